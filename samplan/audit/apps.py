from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "samplan.audit"
    label = "audit"
