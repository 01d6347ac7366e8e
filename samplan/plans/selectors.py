"""Reads of plans: narrowed by the policy, audited when they show personal data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from samplan.audit import services as audit
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent.models import InformationKind
from samplan.directory.models import Person
from samplan.plans.completeness import MissingItem, plan_missing_items, plans_missing_items
from samplan.plans.lifecycle import BEFORE_FIRST_MEETING, IN_FORCE, Step, states_where
from samplan.plans.models import (
    OPEN_STATES,
    FollowUp,
    Invitation,
    InvitationAnswer,
    Plan,
    PlanState,
    PlanVersion,
    invitation_secret_hash,
)


def plan_get(*, actor: Actor, pk: int, purpose: str = "read") -> Plan:
    """One plan the actor may see; the read is audited with its ground.

    With purpose "edit" (a request that sends a write to a service) no read event is
    written: the service's own audit event records the access. A page that is shown after
    all (the write refused for bad input) records the read then, with `plan_read_audit`."""
    plan = (
        authz.visible_plans(actor)
        .select_related(
            "person",
            "initiating_unit__organisation",
            "lead_organisation",
            "coordinator",
            "coordinator_unit__organisation",
        )
        .filter(pk=pk)
        .first()
    )
    if plan is None:
        audit.record_denied(actor=actor, action=str(Action.PLAN_VIEW))
        raise authz.Denied(Action.PLAN_VIEW)
    if purpose != "edit":
        plan_read_audit(actor=actor, plan=plan, purpose=purpose)
    return plan


def plan_read_audit(*, actor: Actor, plan: Plan, purpose: str = "read") -> None:
    """The audit event of showing a plan that `plan_get` let through."""
    audit.record(
        actor=actor,
        action=f"plan.{purpose}",
        obj=plan,
        person=plan.person,
        ground=read_ground(actor, plan),
    )


def read_ground(actor: Actor, plan: Plan) -> str:
    """Why the actor sees a plan that `authz.visible_plans` let through, as the audit log
    words it."""
    if actor.unit is not None and plan.initiating_unit_id == actor.unit.pk:
        return "initiating unit"
    return "participant with consent"


def audit_persons_shown(
    *, actor: Actor, action: str, plans: Iterable[Plan], detail: dict[str, Any] | None = None
) -> None:
    """A list that names persons (a worklist, the start page, a page of plans) is a read of
    each of them: one audit event per person, with the ground and the plans through which the
    person was shown, all in one insert. The plans come with `person` selected."""
    shown: dict[int, tuple[Person, set[str], list[int]]] = {}
    for plan in plans:
        _, grounds, plan_ids = shown.setdefault(plan.person_id, (plan.person, set(), []))
        grounds.add(read_ground(actor, plan))
        if plan.pk not in plan_ids:
            plan_ids.append(plan.pk)
    audit.record_many(
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


def plans_for_person(*, actor: Actor, person_id: int) -> QuerySet[Plan]:
    return authz.visible_plans(actor).filter(person_id=person_id).order_by("-created_at")


def version_get(*, plan: Plan, number: int) -> PlanVersion | None:
    return plan.versions.filter(number=number).first()


_PLAN_CONTENT_LISTS = ("needs", "goals", "follow_ups")
_PLAN_CONTENT_TEXTS = ("time_plan", "evaluation_plan")


def version_content(
    *, actor: Actor, plan: Plan, content: dict[str, Any], kinds: frozenset[str] | None = None
) -> dict[str, Any]:
    """A frozen version's content as the actor may see it: versions keep everything, and what
    the consent does not open to the actor's organisation is left out when shown (as on the
    plan page). An intervention's kind is read from the intervention row (one query); one no
    longer in the draft is shown only to its own organisation (by name, as frozen)."""
    from samplan.plans.models import Intervention

    if kinds is None:
        kinds = authz.information_kinds_for(actor, plan)
    if kinds == authz.ALL_INFORMATION_KINDS:
        return content
    shown = dict(content)
    if InformationKind.PLAN not in kinds:
        for key in _PLAN_CONTENT_LISTS:
            if key in shown:
                shown[key] = []
        for key in _PLAN_CONTENT_TEXTS:
            if key in shown:
                shown[key] = ""
    frozen = [i for i in content.get("interventions", []) if isinstance(i, dict)]
    rows = {
        i.pk: i
        for i in Intervention.objects.filter(
            plan=plan, pk__in=[i.get("id") for i in frozen]
        ).select_related("responsible_organisation", "responsible_unit")
    }
    own_name = actor.organisation.name if actor.organisation is not None else None
    shown["interventions"] = [
        item
        for item in frozen
        if (
            authz.intervention_shown(actor, kinds, rows[item["id"]])
            if item.get("id") in rows
            else own_name is not None and item.get("organisation") == own_name
        )
    ]
    return shown


# Worklists ------------------------------------------------------------------------------


def invitations_to_answer(*, actor: Actor) -> QuerySet[Invitation]:
    units = [m.unit_id for m in actor.memberships]
    return (
        Invitation.objects.filter(
            unit_id__in=units,
            answer=InvitationAnswer.PENDING,
            meeting__cancelled_at__isnull=True,
            meeting__held_at__isnull=True,
            meeting__starts_at__gte=timezone.now(),
        )
        .exclude(meeting__plan__state=PlanState.CLOSED)
        .select_related("meeting", "unit")
        .order_by("meeting__starts_at")
    )


def plans_as_coordinator(*, actor: Actor) -> QuerySet[Plan]:
    if actor.user is None:
        return Plan.objects.none()
    return (
        authz.visible_plans(actor)
        .filter(coordinator=actor.user, state__in=OPEN_STATES)
        .select_related("person")
        .order_by("person__family_name")
    )


@dataclass(frozen=True)
class FollowUpRow:
    follow_up: FollowUp
    overdue: bool


def follow_ups_due(
    *, actor: Actor, today: date | None = None, within_days: int = 14
) -> list[FollowUpRow]:
    today = today or timezone.localdate()
    rows = (
        FollowUp.objects.filter(
            plan__in=authz.visible_plans(actor).filter(state__in=IN_FORCE),
            done_at__isnull=True,
            due_date__lte=today + timedelta(days=within_days),
        )
        .select_related("plan__person")
        .order_by("due_date")
    )
    return [FollowUpRow(f, f.due_date < today) for f in rows]


def deadlines_passed(*, actor: Actor, today: date | None = None) -> QuerySet[Plan]:
    """Initiatives whose first meeting has not been held within the deadline."""
    today = today or timezone.localdate()
    return (
        authz.visible_plans(actor)
        .filter(
            state__in=BEFORE_FIRST_MEETING,
            meeting_deadline__lt=today,
        )
        .select_related("person")
        .order_by("meeting_deadline")
    )


@dataclass(frozen=True)
class DraftRow:
    plan: Plan
    missing: list[MissingItem]


def drafts_with_missing_items(*, actor: Actor) -> list[DraftRow]:
    """Drafts the actor may edit that still lack required items: two queries in all."""
    drafts = list(
        authz.editable_plans(actor)
        .filter(state__in=states_where(Step.EDIT_DRAFT))
        .select_related("person")
        .order_by("meeting_deadline")[:50]
    )
    missing = plans_missing_items(plans=drafts)
    return [DraftRow(plan, missing[plan.pk]) for plan in drafts if missing[plan.pk]]


@dataclass(frozen=True)
class Worklist:
    invitations: list[Invitation]  # name no person: when, where, which unit is invited
    coordinated: list[Plan]
    follow_ups: list[FollowUpRow]
    deadlines: list[Plan]
    drafts: list[DraftRow]


def worklist_read(*, actor: Actor) -> Worklist:
    """The worklist (the page and the API): five lists, and one audit event per person they
    name, in a number of queries that does not grow with the lists."""
    worklist = Worklist(
        invitations=list(invitations_to_answer(actor=actor)),
        coordinated=list(plans_as_coordinator(actor=actor)),
        follow_ups=follow_ups_due(actor=actor),
        deadlines=list(deadlines_passed(actor=actor)),
        drafts=drafts_with_missing_items(actor=actor),
    )
    audit_persons_shown(
        actor=actor,
        action="worklist.read",
        plans=[
            *worklist.coordinated,
            *(row.follow_up.plan for row in worklist.follow_ups),
            *worklist.deadlines,
            *(row.plan for row in worklist.drafts),
        ],
    )
    return worklist


@dataclass(frozen=True)
class Today:
    invitations: list[Invitation]  # name no person
    overdue: list[FollowUpRow]
    deadlines: list[Plan]
    drafts: list[DraftRow]


def today_read(*, actor: Actor) -> Today:
    """What the start page shows under "what needs doing today", with one audit event per
    person it names."""
    today = Today(
        invitations=list(invitations_to_answer(actor=actor)),
        overdue=[row for row in follow_ups_due(actor=actor) if row.overdue],
        deadlines=list(deadlines_passed(actor=actor)),
        drafts=drafts_with_missing_items(actor=actor),
    )
    audit_persons_shown(
        actor=actor,
        action="home.read",
        plans=[
            *(row.follow_up.plan for row in today.overdue),
            *today.deadlines,
            *(row.plan for row in today.drafts),
        ],
    )
    return today


def plan_page_data(*, actor: Actor, plan: Plan) -> dict[str, Any]:
    """Everything the plan page (and the API's plan) shows, fetched in a fixed number of
    queries, narrowed to what the consent opens to the actor's organisation
    (`authz.information_kinds_for`): "kinds" says which kinds of information that is, and
    "plan_content" whether the plan's shared content (needs, goals, time plan, evaluation,
    follow-ups) is among them."""
    from samplan.plans.services import active_consent

    kinds = authz.information_kinds_for(actor, plan)
    plan_content = InformationKind.PLAN in kinds
    interventions = [
        i
        for i in plan.interventions.select_related(
            "responsible_organisation", "responsible_unit", "responsible_staff", "goal"
        )
        if authz.intervention_shown(actor, kinds, i)
    ]
    meetings = plan.meetings.prefetch_related(
        Prefetch("invitations", queryset=Invitation.objects.select_related("unit__organisation"))
    )
    return {
        "consent": active_consent(plan),
        "consents": plan.consents.select_related(
            "recorded_by", "recorded_unit", "given_by_representative"
        ).prefetch_related("organisations"),
        "participants": plan.participants.filter(left_at__isnull=True).select_related(
            "unit__organisation"
        ),
        "kinds": kinds,
        # The consent leaves some kinds out for this organisation: the page says so.
        "consent_partial": not set(InformationKind.values) <= set(kinds),
        "plan_content": plan_content,
        "needs": plan.needs.all() if plan_content else [],
        "goals": plan.goals.all() if plan_content else [],
        "interventions": interventions,
        "meetings": meetings,
        "follow_ups": plan.follow_ups.prefetch_related("goal_results") if plan_content else [],
        "deviations": plan.deviations.select_related("addressed_to", "reported_unit"),
        "versions": plan.versions.select_related("established_by"),
        "events": plan.events.select_related("actor", "unit").order_by("-at", "-pk")[:30],
        "missing": plan_missing_items(plan=plan) if plan.is_draft_editable else [],
    }


# Version comparison -------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    section: str
    kind: str  # added, removed, changed
    before: Any
    after: Any


def version_diff(older: dict[str, Any], newer: dict[str, Any]) -> list[Change]:
    """What changed between two frozen versions, section by section."""
    changes: list[Change] = []
    for section in sorted(set(older) | set(newer)):
        a, b = older.get(section), newer.get(section)
        if a == b:
            continue
        if (
            isinstance(a, list)
            and isinstance(b, list)
            and all(isinstance(x, dict) and "id" in x for x in a + b)
        ):
            before = {x["id"]: x for x in a}
            after = {x["id"]: x for x in b}
            for key in before.keys() - after.keys():
                changes.append(Change(section, "removed", before[key], None))
            for key in after.keys() - before.keys():
                changes.append(Change(section, "added", None, after[key]))
            for key in before.keys() & after.keys():
                if before[key] != after[key]:
                    changes.append(Change(section, "changed", before[key], after[key]))
        else:
            changes.append(Change(section, "changed", a, b))
    return changes


def invitation_get_for_answer(*, actor: Actor, pk: int) -> Invitation:
    """An invitation the actor's unit may answer; otherwise the same 404 as a missing one."""
    invitation = (
        Invitation.objects.select_related("meeting__plan", "unit__organisation")
        .filter(pk=pk)
        .first()
    )
    if invitation is None:
        audit.record_denied(actor=actor, action=str(Action.INVITATION_ANSWER))
        raise authz.Denied(Action.INVITATION_ANSWER)
    authz.require(actor, Action.INVITATION_ANSWER, invitation)
    return invitation


def invitation_by_token(*, token: str) -> Invitation | None:
    """An external invitee's invitation, found by the secret in the mailed link."""
    if not token or len(token) > 64:
        return None
    return (
        Invitation.objects.select_related("meeting__plan")
        .filter(token_hash=invitation_secret_hash(token), unit__isnull=True)
        .first()
    )
