from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "samplan.plans"
    label = "plans"
