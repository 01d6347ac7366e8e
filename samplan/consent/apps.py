from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "samplan.consent"
    label = "consent"
