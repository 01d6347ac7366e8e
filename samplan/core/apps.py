from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "samplan.core"
    label = "core"
