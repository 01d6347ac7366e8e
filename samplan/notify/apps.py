from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "samplan.notify"
    label = "notify"
