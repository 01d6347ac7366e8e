from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "samplan.subscriptions"
    label = "subscriptions"
