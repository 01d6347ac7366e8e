"""The audit of reads that show many rows: one event per person shown, with the ground on
which the actor sees the person and what was shown, all in one insert."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from samplan.audit import services as audit_log
from samplan.audit.actions import AuditAction
from samplan.authz import policy
from samplan.authz.actor import Actor
from samplan.directory.models import Person
from samplan.plans.models import Plan


def audit_persons_shown(
    *,
    actor: Actor,
    action: AuditAction | str,
    plans: Iterable[Plan],
    detail: dict[str, Any] | None = None,
) -> None:
    """A list that names persons (a worklist, the start page, a page of plans) is a read of
    each of them: one audit event per person, with the ground and the plans through which the
    person was shown. The plans come with `person` selected."""
    shown: dict[int, tuple[Person, set[str], list[int]]] = {}
    for plan in plans:
        _, grounds, plan_ids = shown.setdefault(plan.person_id, (plan.person, set(), []))
        grounds.add(policy.plan_read_ground(actor, plan))
        if plan.pk not in plan_ids:
            plan_ids.append(plan.pk)
    audit_log.record_many(
        actor=actor,
        action=action,
        entries=[
            {
                "person": person,
                "ground": ", ".join(sorted(grounds)),
                "detail": {**(detail or {}), "plans": plan_ids},
            }
            for person, grounds, plan_ids in shown.values()
        ],
    )


def audit_rows_read(
    *,
    actor: Actor,
    action: AuditAction | str,
    rows: Iterable[tuple[Person, Plan | None, str]],
) -> None:
    """Rows of personal data returned by id (FHIR resources): one event per person, naming
    the rows' ids; the ground is the plan's, or "staff" for a row outside any plan."""
    by_person: dict[int, tuple[Person, set[str], list[str]]] = {}
    for person, plan, rid in rows:
        entry = by_person.setdefault(person.pk, (person, set(), []))
        entry[1].add(policy.plan_read_ground(actor, plan) if plan is not None else "staff")
        entry[2].append(rid)
    audit_log.record_many(
        actor=actor,
        action=action,
        entries=[
            {"person": person, "ground": ", ".join(sorted(grounds)), "detail": {"ids": ids}}
            for person, grounds, ids in by_person.values()
        ],
    )


def audit_empty_search(*, actor: Actor, action: AuditAction | str, person_id: int | None) -> None:
    """A search by person that found nothing is audited too: who looked for whom."""
    person = Person.objects.filter(pk=person_id).first() if person_id is not None else None
    audit_log.record(actor=actor, action=action, person=person, detail={"ids": []})
