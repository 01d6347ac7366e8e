from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "samplan.agreements"
    label = "agreements"
