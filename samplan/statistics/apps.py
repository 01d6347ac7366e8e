from django.apps import AppConfig


class StatisticsConfig(AppConfig):
    name = "samplan.statistics"
    label = "statistics"
