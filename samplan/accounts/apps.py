from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "samplan.accounts"
    label = "accounts"

    def ready(self) -> None:
        from samplan.accounts import signals  # noqa: F401
