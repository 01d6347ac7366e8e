"""Writing audit events. Call inside the transaction of the change it records."""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django.utils import timezone

from samplan.audit import writer
from samplan.audit.actions import AuditAction
from samplan.audit.models import AuditEvent, Outcome
from samplan.authz.actor import Actor
from samplan.core.logging import request_id_var
from samplan.directory.models import Organisation, Person, Representative

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


def _pk(obj: models.Model | None) -> Any:
    return None if obj is None else obj.pk


def record(
    *,
    actor: Actor,
    action: AuditAction | str,
    obj: Any = None,
    person: Person | None = None,
    outcome: str = Outcome.OK,
    ground: str = "",
    detail: dict[str, Any] | None = None,
    organisation: Organisation | None = None,
) -> AuditEvent:
    """Write one audit event: a plain insert in the caller's transaction, waiting for no other
    writer. The event carries its content hash; the sealer (samplan/audit/seal.py) signs it
    after commit. `organisation` names the acting organisation when the actor acts by an
    organisation role (a log reviewer) rather than through a unit."""
    user = actor.user if actor.user is not None and actor.user.is_authenticated else None
    unit = actor.unit
    clean_detail = {
        k: neutralise(v) if isinstance(v, str) else v for k, v in (detail or {}).items()
    }
    acting = unit.organisation if unit else organisation
    shown = person or _person_of(obj)
    (event,) = writer.write(
        timezone.now(),
        [
            (
                _pk(user),
                _pk(unit),
                _pk(acting),
                _pk(shown),
                str(action),
                outcome,
                obj._meta.label_lower if isinstance(obj, models.Model) else "",
                str(obj.pk) if isinstance(obj, models.Model) and obj.pk else "",
                neutralise(ground),
                request_id_var.get(),
                clean_detail,
            )
        ],
        [(user, unit, acting, shown)],
    )
    return event


def record_many(
    *,
    actor: Actor,
    action: AuditAction | str,
    entries: list[dict[str, Any]],
    organisation: Organisation | None = None,
) -> list[AuditEvent]:
    """Several events by one actor in one go (a list or search that shows many persons): one
    insert, as `record` waiting for no other writer. Each entry holds
    `person`, and optionally `ground`, `detail`, `obj` (the object read) and `organisation`.
    `organisation` (per call, or per entry) names the acting organisation when the actor acts
    by an organisation role (a log reviewer) rather than through a unit, as in `record`."""
    if not entries:
        return []
    user = actor.user if actor.user is not None and actor.user.is_authenticated else None
    unit = actor.unit
    user_id = _pk(user)
    unit_id = _pk(unit)
    action = str(action)
    request_id = request_id_var.get()
    contents = []
    related = []
    for entry in entries:
        obj = entry.get("obj")
        acting = unit.organisation if unit else entry.get("organisation", organisation)
        person = entry.get("person")
        contents.append(
            (
                user_id,
                unit_id,
                _pk(acting),
                _pk(person),
                action,
                Outcome.OK,
                obj._meta.label_lower if isinstance(obj, models.Model) else "",
                str(obj.pk) if isinstance(obj, models.Model) and obj.pk else "",
                neutralise(entry.get("ground", "")),
                request_id,
                entry.get("detail", {}),
            )
        )
        related.append((user, unit, acting, person))
    return writer.write(timezone.now(), contents, related)


def record_denied(*, actor: Actor, action: AuditAction | str, obj: Any = None) -> AuditEvent:
    return record(actor=actor, action=action, obj=obj, outcome=Outcome.DENIED)


def record_refusal(actor: Actor, action: str, obj: Any) -> int:
    """The policy's refusal, as the audit row's id (handed to the policy at start-up)."""
    return record_denied(actor=actor, action=action, obj=obj).pk


def record_invalid(
    *, actor: Actor, action: AuditAction | str, obj: Any = None, fields: list[str] | None = None
) -> AuditEvent:
    """Bad input touching personal data: which fields were wrong, never what was typed."""
    return record(
        actor=actor,
        action=action,
        obj=obj,
        outcome=Outcome.INVALID,
        detail={"fields": sorted(fields or [])},
    )
