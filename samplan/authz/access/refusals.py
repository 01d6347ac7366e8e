"""Audited refusals and bad input.

A refusal to show an object is a 404, the same as for a missing one, and is written to the
audit log (`refuse`). Bad input that touches personal data is recorded with the names of the
fields that were wrong, never with what was typed (`audit_invalid`). A service's transaction
that a refusal unwinds takes the refusal's audit row with it; `ensure_refusal_audited`, called
where every refusal ends up (the middleware, the API's and FHIR's error handlers), writes it
again."""

from __future__ import annotations

from typing import Any

from samplan.audit import services as audit_log
from samplan.audit.actions import AuditAction
from samplan.audit.models import AuditEvent
from samplan.authz import policy
from samplan.authz.actor import Actor
from samplan.authz.policy import Action, Denied


def refuse(
    actor: Actor,
    action: Action,
    obj: Any = None,
    *,
    audit_action: AuditAction | str | None = None,
) -> Denied:
    """The audited refusal of `action`, for the caller to raise. The audit row names
    `audit_action` where the interface words what was asked more precisely (a FHIR read)."""
    if audit_action is None:
        return policy.refuse(actor, action, obj)
    event = audit_log.record_denied(actor=actor, action=audit_action, obj=obj)
    return Denied(action, obj, actor=actor, audit_event_id=event.pk)


def audit_invalid(
    *,
    actor: Actor,
    action: Action | AuditAction | str,
    fields: list[str],
    obj: Any = None,
) -> None:
    """Bad input touching personal data: which fields were wrong, never what was typed. Call
    it after the refused change has been rolled back, so that the row stays."""
    audit_log.record_invalid(actor=actor, action=str(action), obj=obj, fields=fields)


def ensure_refusal_audited(exc: Denied) -> None:
    """Writes a refusal again if the transaction it unwound rolled back its audit row."""
    if exc.actor is None or exc.audit_event_id is None:
        return
    if not AuditEvent.objects.filter(pk=exc.audit_event_id).exists():
        obj = exc.obj if getattr(exc.obj, "pk", None) else None
        event = audit_log.record_denied(actor=exc.actor, action=str(exc.action), obj=obj)
        exc.audit_event_id = event.pk
