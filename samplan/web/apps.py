from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "samplan.web"
    label = "web"
