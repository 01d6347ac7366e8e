from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "samplan.audit"
    label = "audit"

    def ready(self) -> None:
        # The policy refuses; the audit log records the refusal. The policy sits below the
        # audit log in the layers, so the writer is handed to it here, not imported by it.
        from samplan.audit.services import record_refusal
        from samplan.authz.policy import record_refusals_with

        record_refusals_with(record_refusal)
