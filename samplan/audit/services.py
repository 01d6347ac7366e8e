"""Writing audit events. Call inside the transaction of the change it records."""

from __future__ import annotations

import re
from typing import Any

from django.db import models

from samplan.audit.models import AuditEvent, Outcome
from samplan.authz.actor import Actor
from samplan.core.logging import request_id_var
from samplan.directory.models import Person, Representative

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def neutralise(text: str) -> str:
    """Control characters (CR, LF, NUL ...) cannot forge or split a log line."""
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)


def _person_of(obj: Any) -> Person | None:
    if isinstance(obj, Person):
        return obj
    if isinstance(obj, Representative):
        return obj.person
    person = getattr(obj, "person", None)
    return person if isinstance(person, Person) else None


def record(
    *,
    actor: Actor,
    action: str,
    obj: Any = None,
    person: Person | None = None,
    outcome: str = Outcome.OK,
    ground: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    user = actor.user if actor.user is not None and actor.user.is_authenticated else None
    unit = actor.unit
    clean_detail = {
        k: neutralise(v) if isinstance(v, str) else v for k, v in (detail or {}).items()
    }
    return AuditEvent.objects.create(
        actor=user,
        actor_unit=unit,
        actor_organisation=unit.organisation if unit else None,
        person=person or _person_of(obj),
        action=action,
        outcome=outcome,
        object_type=obj._meta.label_lower if isinstance(obj, models.Model) else "",
        object_id=str(obj.pk) if isinstance(obj, models.Model) and obj.pk else "",
        ground=neutralise(ground),
        request_id=request_id_var.get(),
        detail=clean_detail,
    )


def record_denied(*, actor: Actor, action: str, obj: Any = None) -> AuditEvent:
    return record(actor=actor, action=action, obj=obj, outcome=Outcome.DENIED)


def record_invalid(
    *, actor: Actor, action: str, obj: Any = None, fields: list[str] | None = None
) -> AuditEvent:
    """Bad input touching personal data: which fields were wrong, never what was typed."""
    return record(
        actor=actor,
        action=action,
        obj=obj,
        outcome=Outcome.INVALID,
        detail={"fields": sorted(fields or [])},
    )
