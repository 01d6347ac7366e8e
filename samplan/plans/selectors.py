"""Reads of plans, narrowed by the policy and not audited: the interfaces reach them through
samplan/authz/access/, which records what is shown."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone

from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.consent.models import Consent, InformationKind
from samplan.core.prepared import prepared
from samplan.plans import lifecycle
from samplan.plans.completeness import MissingItem, plan_missing_items, plans_missing_items
from samplan.plans.lifecycle import BEFORE_FIRST_MEETING, IN_FORCE, Step, states_where, step_allowed
from samplan.plans.models import (
    OPEN_STATES,
    FollowUp,
    Intervention,
    Invitation,
    InvitationAnswer,
    Plan,
    PlanState,
    PlanVersion,
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


# The start page and the worklist cut their lists from the open plans the actor may see, read
# once (`_open_plans`): the policy's visibility is asked in one query per page, not once per
# list. Each list is the same as its queryset above (tests/test_page_queries_scale.py).


def _open_plans_query(actor: Actor) -> QuerySet[Plan]:
    return (
        authz.visible_plans(actor)
        .filter(state__in=OPEN_STATES)
        .select_related("person")
        .order_by("person__family_name")
    )


def _open_plans_of_stand_in(*, unit: int, organisation: int) -> QuerySet[Plan]:
    return _open_plans_query(authz.plan_visibility_stand_in(unit=unit, organisation=organisation))


# Ids no row has, for compiling the open plans' statement (core/prepared.py).
_STAND_INS: dict[str, tuple[Any, Any]] = {
    "unit": (-7_000_000_011, -7_000_000_012),
    "organisation": (-7_000_000_013, -7_000_000_014),
}


def _open_plans(actor: Actor) -> list[Plan]:
    """The open plans the actor may see, with their persons, in `plans_as_coordinator`'s
    order; remembered as visible for the request (an actor lives for one request), so that
    `authz.plan_actions` asks no second query. For a staff member acting through a unit, the
    statement is the policy's `visible_plans` of a stand-in actor with the same unit and
    organisation (`authz.plan_visibility_values`), compiled once and run with this actor's
    values (issue 12: building and compiling it cost more than running it)."""
    values = authz.plan_visibility_values(actor)
    statement = None
    if values is not None:
        using = Plan.objects.all().db
        statement = prepared(
            ("plans.open_plans",), _open_plans_of_stand_in, _STAND_INS, using=using
        )
    if statement is not None and values is not None:
        plans: list[Plan] = statement.run(**values)
    else:
        plans = list(_open_plans_query(actor))
    actor.visible_plan_ids.update(plan.pk for plan in plans)
    return plans


def _follow_ups_due_in(
    plans: list[Plan], *, today: date | None = None, within_days: int = 14
) -> list[FollowUpRow]:
    """`follow_ups_due` among these (visible) plans: one query, none without a plan in force."""
    today = today or timezone.localdate()
    in_force = {plan.pk: plan for plan in plans if plan.state in lifecycle.IN_FORCE}
    rows = list(
        FollowUp.objects.filter(
            plan_id__in=sorted(in_force),
            done_at__isnull=True,
            due_date__lte=today + timedelta(days=within_days),
        ).order_by("due_date")
    )
    for row in rows:
        row.plan = in_force[row.plan_id]
    return [FollowUpRow(f, f.due_date < today) for f in rows]


def _deadlines_passed_in(plans: list[Plan], *, today: date | None = None) -> list[Plan]:
    """`deadlines_passed` among these (visible) plans, without a query."""
    today = today or timezone.localdate()
    passed = [
        p for p in plans if p.state in lifecycle.BEFORE_FIRST_MEETING and p.meeting_deadline < today
    ]
    return sorted(passed, key=lambda p: p.meeting_deadline)


def _drafts_with_missing_items_in(actor: Actor, plans: list[Plan]) -> list[DraftRow]:
    """`drafts_with_missing_items` among these (visible) plans: the policy's editor rule per
    plan (`authz.plan_actions`, no query), then the missing items of at most 50."""
    editable = [
        p
        for p in plans
        if step_allowed(p, Step.EDIT_DRAFT)
        and authz.Action.PLAN_EDIT in authz.plan_actions(actor, p)
    ]
    drafts = sorted(editable, key=lambda p: p.meeting_deadline)[:50]
    missing = plans_missing_items(plans=drafts) if drafts else {}
    return [DraftRow(plan, missing[plan.pk]) for plan in drafts if missing[plan.pk]]


def worklist_get(*, actor: Actor) -> Worklist:
    """The worklist (the page and the API): five lists, in a number of queries that does not
    grow with the lists. Unaudited: reached through `access.access_worklist`."""
    plans = _open_plans(actor)
    user_id = actor.user.pk if actor.user is not None else None
    worklist = Worklist(
        invitations=list(invitations_to_answer(actor=actor)),
        coordinated=[p for p in plans if user_id is not None and p.coordinator_id == user_id],
        follow_ups=_follow_ups_due_in(plans),
        deadlines=_deadlines_passed_in(plans),
        drafts=_drafts_with_missing_items_in(actor, plans),
    )
    return worklist


@dataclass(frozen=True)
class Today:
    invitations: list[Invitation]  # name no person
    overdue: list[FollowUpRow]
    deadlines: list[Plan]
    drafts: list[DraftRow]


def today_get(*, actor: Actor) -> Today:
    """What the start page shows under "what needs doing today". Unaudited: reached through
    `access.access_today`."""
    plans = _open_plans(actor)
    today = Today(
        invitations=list(invitations_to_answer(actor=actor)),
        overdue=[row for row in _follow_ups_due_in(plans) if row.overdue],
        deadlines=_deadlines_passed_in(plans),
        drafts=_drafts_with_missing_items_in(actor, plans),
    )
    return today


def plan_page_data(*, actor: Actor, plan: Plan) -> dict[str, Any]:
    """Everything the plan page (and the API's plan) shows, fetched in a fixed number of
    queries, narrowed to what the consent opens to the actor's organisation
    (`authz.information_kinds_for`): "kinds" says which kinds of information that is, and
    "plan_content" whether the plan's shared content (needs, goals, time plan, evaluation,
    follow-ups) is among them."""

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
    consents = list(
        plan.consents.select_related(
            "recorded_by", "recorded_unit", "given_by_representative"
        ).prefetch_related("organisations")
    )
    return {
        # The active one among the plan's consents (Consent.is_active), without asking again.
        "consent": next((c for c in consents if c.is_active), None),
        "consents": consents,
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
        "missing": plan_missing_items(plan=plan) if step_allowed(plan, Step.EDIT_DRAFT) else [],
    }


# The REST API's plan ---------------------------------------------------------------------
#
# The REST plan read (`GET /api/v1/plans/{id}`) takes the plan's lists from the plan's own row
# (`access.access_plan_api_read`); what it still asks beside them, the interventions and the
# consents with their organisations, is one statement each, built and compiled once per
# thread (core/prepared.py) and run with the plan's id: building and compiling those
# querysets cost more than the database spent answering them (issue 12).

# Ids no row has, for compiling the statements.
_PLAN_STAND_INS: dict[str, tuple[Any, Any]] = {"plan": (-7_000_000_021, -7_000_000_022)}


def _api_consents_query(*, plan: int) -> QuerySet[Consent]:
    """A plan's consents, in their order, one row per consent and organisation (one row with
    `organisation_ref` None for a consent of no organisation)."""
    return (
        Consent.objects.filter(plan_id=plan)
        .annotate(organisation_ref=F("organisations__id"))
        .order_by("recorded_at", "pk", "organisation_ref")
    )


def _prepared_rows(
    key: str, build: Callable[..., QuerySet[Any]], plan_id: int, using: str
) -> list[Any]:
    statement = prepared(("plans.api", key), build, _PLAN_STAND_INS, using=using)
    if statement is None:
        return list(build(plan=plan_id))
    rows: list[Any] = statement.run(plan=plan_id)
    return rows


def plan_api_data(
    *, actor: Actor, plan: Plan, interventions: Sequence[Intervention]
) -> dict[str, Any]:
    """What `plan_page_data` gives of what the REST API's plan shows (`api.out.plan`), read
    from the plan's prefetched needs and goals and its `interventions` (with their
    responsible organisations and units), all from the plan's row
    (`access.access_plan_api_read`), and one statement compiled once: the consents and their
    organisations.
    The same narrowing: the kinds of information the consent opens to the actor's
    organisation (`authz.information_kinds_for`), the plan's shared content only where they
    include it, each intervention as `authz.intervention_shown` says. "consent_organisations"
    holds the ids of each consent's organisations (by consent id), in place of the
    consents' prefetched organisations. The lists that come in the plan's row (participants,
    meetings, follow-ups, deviations, versions) are the caller's."""
    kinds = authz.information_kinds_for(actor, plan)
    plan_content = InformationKind.PLAN in kinds
    using = Plan.objects.all().db
    interventions = [i for i in interventions if authz.intervention_shown(actor, kinds, i)]
    consents: dict[int, Consent] = {}
    organisations: dict[int, list[int]] = {}
    for row in _prepared_rows("consents", _api_consents_query, plan.pk, using):
        consent = consents.setdefault(row.pk, row)
        ids = organisations.setdefault(consent.pk, [])
        if row.organisation_ref is not None:
            ids.append(row.organisation_ref)
    listed = list(consents.values())
    return {
        # The active one among the plan's consents (Consent.is_active), as plan_page_data.
        "consent": next((c for c in listed if c.is_active), None),
        "consents": listed,
        "consent_organisations": organisations,
        "kinds": kinds,
        "plan_content": plan_content,
        "needs": plan.needs.all() if plan_content else [],
        "goals": plan.goals.all() if plan_content else [],
        "interventions": interventions,
        "missing": plan_missing_items(plan=plan) if step_allowed(plan, Step.EDIT_DRAFT) else [],
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
