"""Reaching a plan, what hangs from it, and the lists that name persons through plans.

Who may see a plan is the policy's (`policy.visible_plans`, `policy.own_plans`); the helpers
here apply it, audit the read or the refusal, and give the plan back with its ground."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BooleanField,
    Exists,
    Field,
    IntegerField,
    JSONField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL

from samplan.audit import services as audit_log
from samplan.audit.actions import AuditAction
from samplan.authz import policy
from samplan.authz.access.folded import Rows, prefetched
from samplan.authz.access.reads import audit_persons_shown, audit_rows_read
from samplan.authz.access.refusals import refuse
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent.models import Consent, InformationKind
from samplan.core.prepared import prepared
from samplan.notify.models import InboxMessage
from samplan.plans import selectors
from samplan.plans.models import (
    Deviation,
    FollowUp,
    Goal,
    GoalAttainment,
    Intervention,
    Invitation,
    Meeting,
    Need,
    Participant,
    Plan,
    PlanEvent,
    PlanState,
    PlanVersion,
)


@dataclass(frozen=True)
class PlanAccess:
    """A plan as the actor reached it: the plan, and the ground the audit log records
    ("initiating unit", "participant with consent", "the person", "representative")."""

    plan: Plan
    ground: str


# What a read of one plan shows beside the plan itself, fetched in the same row.
_PLAN_READ_RELATED = (
    "person",
    "initiating_unit__organisation",
    "lead_organisation",
    "coordinator",
    "coordinator_unit__organisation",
)


def access_plan(
    *, actor: Actor, plan_id: int, purpose: str = "read", record_read: bool = True
) -> PlanAccess:
    """One plan the actor may see, with its person, units and coordinator; the read is
    audited as `plan.<purpose>` with its ground. Anything else is the audited 404.

    With purpose "edit" (a request that hands a write to a service) no read is recorded: the
    service's audit event records the access. A page that is shown after all (the write
    refused for bad input) records the read then, with `audit_plan_read`. With
    `record_read=False` the caller records the read itself, with more detail (a document)."""
    plan = (
        policy.visible_plans(actor).select_related(*_PLAN_READ_RELATED).filter(pk=plan_id).first()
    )
    if plan is None:
        raise policy.refuse(actor, Action.PLAN_VIEW)
    ground = policy.plan_read_ground(actor, plan)
    if record_read and purpose != "edit":
        audit_plan_read(actor=actor, plan=plan, purpose=purpose)
    return PlanAccess(plan=plan, ground=ground)


# The lists every plan read (the REST plan, the plan page) shows in full: kept as the plan's
# prefetched lists (`plan.needs.all()`).
_PLAN_READ_LISTS: dict[str, Rows] = {
    "needs": Rows(Need, "plan", lambda n: (n.order, n.pk)),
    "goals": Rows(Goal, "plan", lambda g: (g.order, g.pk)),
}

# What a FHIR CarePlan read shows beside the plan: its needs, goals and interventions (with
# the responsible organisation and unit), kept as the plan's prefetched lists.
_CAREPLAN_READ_LISTS: dict[str, Rows] = {
    **_PLAN_READ_LISTS,
    "interventions": Rows(
        Intervention,
        "plan",
        lambda i: (i.order, i.pk),
        related=("responsible_organisation", "responsible_unit"),
    ),
}

_NEWEST_EVENTS = 30

# What else the plan page shows, with the rows the page names in each (`PlanPageLists`).
_PLAN_PAGE_LISTS: dict[str, Rows] = {
    "participants": Rows(
        Participant,
        "plan",
        lambda p: p.pk,
        related=("unit", "unit__organisation"),
        where=Q(left_at__isnull=True),
    ),
    "meetings": Rows(
        Meeting,
        "plan",
        lambda m: (m.starts_at, m.pk),
        children=(
            (
                "invitations",
                Rows(
                    Invitation,
                    "meeting",
                    lambda i: i.pk,
                    related=("unit", "unit__organisation"),
                ),
            ),
        ),
    ),
    "follow_ups": Rows(
        FollowUp,
        "plan",
        lambda f: (f.due_date, f.pk),
        children=(("goal_results", Rows(GoalAttainment, "follow_up", lambda g: g.pk)),),
    ),
    "deviations": Rows(
        Deviation,
        "plan",
        lambda d: (-d.reported_at.timestamp(), d.pk),
        related=("addressed_to", "reported_unit"),
    ),
    "versions": Rows(PlanVersion, "plan", lambda v: v.number, related=("established_by",)),
    "events": Rows(
        PlanEvent,
        "plan",
        lambda e: (-e.at.timestamp(), -e.pk),
        related=("actor", "unit"),
        newest=(("-at", "-pk"), _NEWEST_EVENTS),
    ),
}


@dataclass(frozen=True)
class PlanPageLists:
    """The plan page's lists that come in the plan's row (`access_plan_page`): the units
    still taking part (with their organisations), the meetings (with their invitations, their
    units and organisations), the follow-ups (with their goal results), the deviations (with
    the addressed organisation and the reporting unit), the established versions (with who
    established them), the newest events (with their actor and unit)."""

    participants: list[Participant]
    meetings: list[Meeting]
    follow_ups: list[FollowUp]
    deviations: list[Deviation]
    versions: list[PlanVersion]
    events: list[PlanEvent]


def _annotation(name: str) -> str:
    return f"folded_{name}"


# A subquery of the plan's read as SQL, by database and name: the same for every plan and every
# reader (it refers to the plan's row only, as `"plans_plan"."id"`), so built and compiled
# once per process. Building a list's subquery anew (some 200 column references) cost more
# than the rest of the plan's query; the plan's query must therefore be the outermost query,
# on the plan table by its own name (as `_read_plan` runs it).
_COMPILED: dict[tuple[str, str], tuple[str, tuple[Any, ...]]] = {}


def _compiled(
    name: str, build: Callable[[], Any], using: str, output_field: Field[Any, Any]
) -> RawSQL:
    found = _COMPILED.get((using, name))
    if found is None:
        query = Plan.objects.all().query
        expression = build().resolve_expression(query)
        sql, params = query.get_compiler(using).compile(expression)
        found = _COMPILED[(using, name)] = (sql, tuple(params))
    # The ORM compiled it from the expressions above, its values kept apart as parameters.
    return RawSQL(found[0], found[1], output_field=output_field)  # noqa: S611


# The audited read of one plan (REST, FHIR, the plan page) ---------------------------------
#
# One query answers whether the actor may see the plan (the policy's `visible_plans`, its
# participation and consent conditions as EXISTS subqueries) and fetches it with its person,
# units and coordinator, whether it has an active consent and its newest version number; the
# actor remembers the plan as visible for the rest of the request, so that the plan-level
# actions (`policy.plan_actions`) cost no second visibility query.


def _has_active_consent() -> Exists:
    return Exists(Consent.objects.active().filter(plan=OuterRef("pk")))


def _latest_version() -> Subquery:
    return Subquery(
        PlanVersion.objects.filter(plan=OuterRef("pk")).order_by("-number").values("number")[:1]
    )


def _newest_version_approved() -> Exists:
    return Exists(
        PlanVersion.objects.filter(plan=OuterRef("pk"), approved_at__isnull=False).filter(
            ~Exists(
                PlanVersion.objects.filter(plan=OuterRef("plan"), number__gt=OuterRef("number"))
            )
        )
    )


def plan_read_queryset(actor: Actor, *, lists: Mapping[str, Rows] | None = None) -> QuerySet[Plan]:
    """The plans the actor may see (`policy.visible_plans`), each with what a plan read
    shows in the same row: `has_active_consent`, `latest_version` (None before the first),
    `newest_version_approved` (the person approved the newest version; FHIR's
    approvedForPatient). With `lists`, those lists of the plan too, one JSON array each
    (`_unfold` makes them instances)."""
    plans: QuerySet[Plan] = policy.visible_plans(actor).select_related(*_PLAN_READ_RELATED)
    using = plans.db
    plans = plans.annotate(
        has_active_consent=_compiled(
            "has_active_consent", _has_active_consent, using, BooleanField()
        ),
        latest_version=_compiled("latest_version", _latest_version, using, IntegerField()),
        newest_version_approved=_compiled(
            "newest_version_approved", _newest_version_approved, using, BooleanField()
        ),
    )
    if lists:
        plans = plans.annotate(
            **{
                _annotation(name): _compiled(name, rows.subquery, using, JSONField())
                for name, rows in lists.items()
            }
        )
    return plans


def _unfold(plan: Plan, lists: Mapping[str, Rows]) -> dict[str, list[Any]]:
    """The lists `plan_read_queryset(lists=...)` fetched in the plan's row, as instances."""
    db = plan._state.db or "default"
    return {
        name: rows.instances(getattr(plan, _annotation(name)), plan, db=db)
        for name, rows in lists.items()
    }


# Stand-ins for the values of the plan read's query when it is compiled (core/prepared.py):
# ids no row has.
_STAND_INS: dict[str, tuple[Any, Any]] = {
    "unit": (-7_000_000_001, -7_000_000_002),
    "organisation": (-7_000_000_003, -7_000_000_004),
    "plan": (-7_000_000_005, -7_000_000_006),
}


def _plan_read_row(actor: Actor, plan_id: int, lists: Mapping[str, Rows] | None) -> Plan | None:
    """`plan_read_queryset(actor, lists=lists).filter(pk=plan_id).first()`. For a staff member
    acting through a unit, the query's SQL is built and compiled once per thread and shape
    (the lists asked for), from the policy's own `visible_plans` of a stand-in actor
    (`policy.plan_visibility_stand_in`), and run with this actor's unit, organisation and plan
    as parameters: the same statement, without building it again (issue 12)."""
    values = policy.plan_visibility_values(actor)
    using = Plan.objects.all().db
    prepared_read = None
    if values is not None:
        names = tuple(lists or ())

        def build(*, unit: int, organisation: int, plan: int) -> QuerySet[Plan]:
            stand_in = policy.plan_visibility_stand_in(unit=unit, organisation=organisation)
            return plan_read_queryset(stand_in, lists=lists).filter(pk=plan)

        prepared_read = prepared(("plan_read", names), build, _STAND_INS, using=using)
    if prepared_read is None or values is None:
        return plan_read_queryset(actor, lists=lists).filter(pk=plan_id).first()
    rows = prepared_read.run(plan=plan_id, **values)
    return rows[0] if rows else None


def _read_plan(
    actor: Actor,
    plan_id: int | None,
    *,
    audit_action: AuditAction | str | None = None,
    lists: Mapping[str, Rows] | None = None,
) -> Plan:
    plan = None if plan_id is None else _plan_read_row(actor, plan_id, lists)
    if plan is None:
        raise refuse(actor, Action.PLAN_VIEW, audit_action=audit_action)
    actor.visible_plan_ids.add(plan.pk)
    # A plan the actor sees makes its person one the actor sees (`policy.visible_persons`
    # holds every person with a visible plan): `policy.person_visible` need not ask.
    actor.visible_person_ids.add(plan.person_id)
    return plan


def access_plan_read(*, actor: Actor, plan_id: int) -> PlanAccess:
    """`access_plan` for showing a plan (the REST plan, the plan page): the plan in one query
    with `has_active_consent` and `latest_version`, and its needs and goals (`plan.needs.all()`
    and `plan.goals.all()` ask no more), the read audited as `plan.read`."""
    plan = _read_plan(actor, plan_id, lists=_PLAN_READ_LISTS)
    for name, objects in _unfold(plan, _PLAN_READ_LISTS).items():
        prefetched(plan, name, objects)
    ground = policy.plan_read_ground(actor, plan)
    audit_log.record(
        actor=actor, action=AuditAction.PLAN_READ, obj=plan, person=plan.person, ground=ground
    )
    return PlanAccess(plan=plan, ground=ground)


def access_plan_page(*, actor: Actor, plan_id: int) -> tuple[PlanAccess, PlanPageLists]:
    """`access_plan_read` for the plan page: the plan, its needs and goals, and the page's
    other lists (`PlanPageLists`), all in the plan's one query; the read audited as
    `plan.read`, as `access_plan_read` does."""
    access, unfolded = _read_with_lists(actor, plan_id, {**_PLAN_READ_LISTS, **_PLAN_PAGE_LISTS})
    return access, PlanPageLists(**unfolded)


def _read_with_lists(
    actor: Actor, plan_id: int, lists: dict[str, Rows]
) -> tuple[PlanAccess, dict[str, list[Any]]]:
    """The plan with these lists folded into its one query: needs and goals set as the
    plan's prefetched lists, the others returned by name; the read audited as `plan.read`."""
    plan = _read_plan(actor, plan_id, lists=lists)
    unfolded = _unfold(plan, lists)
    for name in _PLAN_READ_LISTS:
        prefetched(plan, name, unfolded.pop(name))
    ground = policy.plan_read_ground(actor, plan)
    audit_log.record(
        actor=actor, action=AuditAction.PLAN_READ, obj=plan, person=plan.person, ground=ground
    )
    return PlanAccess(plan=plan, ground=ground), unfolded


# What the REST API's plan (`GET /api/v1/plans/{id}`) shows of the plan page's lists: all
# but the events.
_PLAN_API_LISTS: dict[str, Rows] = {
    **_PLAN_READ_LISTS,
    "interventions": _CAREPLAN_READ_LISTS["interventions"],
    **{name: rows for name, rows in _PLAN_PAGE_LISTS.items() if name != "events"},
}


def access_plan_api_read(*, actor: Actor, plan_id: int) -> tuple[PlanAccess, dict[str, list[Any]]]:
    """`access_plan_read` for the REST API's plan: the plan, its needs and goals (as the
    plan's prefetched lists), and its participants, meetings, follow-ups, deviations and
    versions (returned by name, as `PlanPageLists` holds them), all in the plan's one query;
    the read audited as `plan.read`. What of them the reader may see is the caller's to
    narrow, as `plans.selectors.plan_page_data` does."""
    return _read_with_lists(actor, plan_id, _PLAN_API_LISTS)


def plan_contact_shown(*, actor: Actor, plan: Plan, kinds: frozenset[str]) -> bool:
    """Whether a plan read through `access_plan_read` shows the person's contact details
    (`Action.PERSON_VIEW_CONTACT`). The kinds of information the plan opens to the actor
    answer it without a query when they include contact details: a relation through this plan
    then opens them (`policy.contact_opened_ids`). Otherwise the policy is asked."""
    if plan.person.protected_identity:
        return False
    if InformationKind.CONTACT in kinds and plan.pk in actor.visible_plan_ids:
        return True
    return policy.can(actor, Action.PERSON_VIEW_CONTACT, plan.person)


def access_careplan_read(*, actor: Actor, plan_id: int | None) -> Plan:
    """A plan read as a FHIR CarePlan by id: as `access_plan_read` (its needs, goals and
    interventions, with their responsible organisations and units, in the plan's one query:
    `plan.interventions.all()` asks no more), audited (and refused) as `careplan.fhir_read`,
    naming the resource id, as the FHIR searches write their rows. What of them the reader may
    see is the caller's to narrow (`policy.information_kinds_for`)."""
    plan = _read_plan(
        actor, plan_id, audit_action=AuditAction.CAREPLAN_FHIR_READ, lists=_CAREPLAN_READ_LISTS
    )
    for name, objects in _unfold(plan, _CAREPLAN_READ_LISTS).items():
        prefetched(plan, name, objects)
    audit_rows_read(
        actor=actor, action=AuditAction.CAREPLAN_FHIR_READ, rows=[(plan.person, plan, str(plan.pk))]
    )
    return plan


def audit_plan_read(*, actor: Actor, plan: Plan, purpose: str = "read") -> None:
    """The audit event of showing a plan that `access_plan` let through."""
    audit_log.record(
        actor=actor,
        action=f"plan.{purpose}",
        obj=plan,
        person=plan.person,
        ground=policy.plan_read_ground(actor, plan),
    )


def access_plan_child[M: Model](
    *, actor: Actor, model: type[M], pk: int, purpose: str = "read"
) -> tuple[M, PlanAccess]:
    """A meeting, need, goal ... reached through its plan, so that the plan's visibility
    decides. A missing object and one in an invisible plan get the same audited 404."""
    plan_id = model._default_manager.filter(pk=pk).values_list("plan_id", flat=True).first()
    if plan_id is None:
        raise policy.refuse(actor, Action.PLAN_VIEW)
    access = access_plan(actor=actor, plan_id=plan_id, purpose=purpose)
    obj = model._default_manager.get(pk=pk)
    obj.plan = access.plan  # type: ignore[attr-defined]
    return obj, access


def access_invitation_for_answer(*, actor: Actor, invitation_id: int) -> Invitation:
    """An invitation the actor's unit may answer; otherwise the same audited 404 as a missing
    one. Answering shows the meeting, not the plan: no read of the person is recorded."""
    invitation = (
        Invitation.objects.select_related("meeting__plan", "unit__organisation")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise policy.refuse(actor, Action.INVITATION_ANSWER)
    policy.require(actor, Action.INVITATION_ANSWER, invitation)
    return invitation


def access_worklist(*, actor: Actor) -> selectors.Worklist:
    """The worklist (the page and the API): one audit event per person it names."""
    worklist = selectors.worklist_get(actor=actor)
    audit_persons_shown(
        actor=actor,
        action=AuditAction.WORKLIST_READ,
        plans=[
            *worklist.coordinated,
            *(row.follow_up.plan for row in worklist.follow_ups),
            *worklist.deadlines,
            *(row.plan for row in worklist.drafts),
        ],
    )
    return worklist


def access_today(*, actor: Actor) -> selectors.Today:
    """ "What needs doing today" on the start page: one audit event per person it names."""
    today = selectors.today_get(actor=actor)
    audit_persons_shown(
        actor=actor,
        action=AuditAction.HOME_READ,
        plans=[
            *(row.follow_up.plan for row in today.overdue),
            *today.deadlines,
            *(row.plan for row in today.drafts),
        ],
    )
    return today


def _own_ground(actor: Actor, plan: Plan) -> str:
    if actor.user is not None and plan.person.user_id == actor.user.pk:
        return "the person"
    return "representative"


def access_own_plans(*, actor: Actor) -> list[PlanAccess]:
    """The plans of the signed-in person, or of those he or she represents with the person's
    leave: each shown plan is a read of its person, audited."""
    plans = list(
        policy.own_plans(actor)
        .exclude(state=PlanState.CLOSED, versions__isnull=True)
        .select_related("person", "lead_organisation", "coordinator")
        .distinct()
        .order_by("-created_at")
    )
    accessed = [PlanAccess(plan=plan, ground=_own_ground(actor, plan)) for plan in plans]
    audit_log.record_many(
        actor=actor,
        action=AuditAction.PLAN_READ_OWN_LIST,
        entries=[{"obj": a.plan, "person": a.plan.person, "ground": a.ground} for a in accessed],
    )
    return accessed


def access_own_plan(*, actor: Actor, plan_id: int, record_read: bool = True) -> PlanAccess:
    """One of the person's own plans (or one he or she may see as a representative). With
    `record_read=False` the caller records the read itself (a document)."""
    plan = policy.own_plans(actor).select_related("person").filter(pk=plan_id).first()
    if plan is None:
        raise policy.refuse(actor, Action.OWN_PLAN_VIEW)
    access = PlanAccess(plan=plan, ground=_own_ground(actor, plan))
    if not record_read:
        return access
    audit_log.record(
        actor=actor,
        action=AuditAction.PLAN_READ_OWN,
        obj=plan,
        person=plan.person,
        ground=access.ground,
    )
    return access


def access_inbox_message(*, actor: Actor, message: InboxMessage) -> bool:
    """Whether an inbox message's body and link may be shown. A message that quotes a plan (a
    deviation's text) is shown only while the reader, through the acting unit, may see the
    plan, as the plan page would be: a consent revoked or narrowed since it was sent closes it
    too. Showing it is a read of the plan's person, audited. Other messages carry no personal
    data and are always shown."""
    if message.plan_id is None:
        return True
    plan = policy.visible_plans(actor).filter(pk=message.plan_id).select_related("person").first()
    if plan is None:
        return False
    audit_log.record(
        actor=actor,
        action=AuditAction.INBOX_READ,
        obj=message,
        person=plan.person,
        ground=policy.plan_read_ground(actor, plan),
        detail={"plan": plan.pk},
    )
    return True
