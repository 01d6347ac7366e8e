"""Reaching a plan, what hangs from it, and the lists that name persons through plans.

Who may see a plan is the policy's (`policy.visible_plans`, `policy.own_plans`); the helpers
here apply it, audit the read or the refusal, and give the plan back with its ground."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db.models import (
    Aggregate,
    Exists,
    Field,
    JSONField,
    Model,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.fields.related import ForeignKey
from django.db.models.functions import JSONArray
from django.utils import timezone

from samplan.audit import services as audit_log
from samplan.audit.actions import AuditAction
from samplan.authz import policy
from samplan.authz.access.reads import audit_persons_shown, audit_rows_read
from samplan.authz.access.refusals import refuse
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent.models import Consent, InformationKind
from samplan.notify.models import InboxMessage
from samplan.plans import selectors
from samplan.plans.models import Goal, Invitation, Need, Plan, PlanState, PlanVersion


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


# A plan's short lists in the plan's own row -------------------------------------------------
#
# A list of a plan that the page and the REST plan show in full (its needs, its goals) comes
# with the plan, as one JSON array per list in the plan's row, instead of a query per list.
# The rows are made into the model's instances as the ORM makes them (`Model.from_db`) and
# kept as the plan's prefetched list: `plan.needs.all()` answers from it, as after
# `prefetch_related("needs")`. They are sorted here, by the model's ordering, because SQLite
# before 3.44 cannot order inside an aggregate.


class _JSONRows(Aggregate):
    """The rows of a subquery as one JSON array (JSONB_AGG on PostgreSQL, JSON_GROUP_ARRAY on
    SQLite); NULL when there are none."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="JSONB_AGG", **extra)


@dataclass(frozen=True)
class _FoldedList:
    """One list of a plan, folded into the plan's row under `annotation`."""

    related_name: str  # the plan's reverse relation (`plan.needs`)
    model: type[Model]
    sort_key: Callable[[Any], Any]  # the model's Meta.ordering, as a key

    @property
    def annotation(self) -> str:
        return f"folded_{self.related_name}"

    @property
    def fields(self) -> list[Field[Any, Any]]:
        return list(self.model._meta.concrete_fields)

    def subquery(self) -> Subquery:
        rows = (
            self.model._default_manager.filter(plan=OuterRef("pk"))
            .order_by()
            .values("plan")
            .annotate(rows=_JSONRows(JSONArray(*(f.attname for f in self.fields))))
            .values("rows")
        )
        return Subquery(rows, output_field=JSONField())


_PLAN_READ_LISTS: Sequence[_FoldedList] = (
    _FoldedList("needs", Need, lambda n: (n.order, n.pk)),
    _FoldedList("goals", Goal, lambda g: (g.order, g.pk)),
)


def _json_value(field: Field[Any, Any], value: Any) -> Any:
    """A column's value as it came out of the JSON array, as the ORM gives it."""
    if value is None:
        return None
    if isinstance(field, JSONField):
        # SQLite puts a JSON column's text into the array as a string.
        return json.loads(value) if isinstance(value, str) else value
    python = field.to_python(value)
    # SQLite keeps a time in UTC without its offset; PostgreSQL writes the offset.
    is_time = field.get_internal_type() == "DateTimeField"
    if settings.USE_TZ and is_time and timezone.is_naive(python):
        python = timezone.make_aware(python, UTC)
    return python


def _unfold(plan: Plan, folded: _FoldedList, db: str) -> None:
    raw = getattr(plan, folded.annotation)
    rows = json.loads(raw) if isinstance(raw, str) else (raw or [])
    fields = folded.fields
    names = [f.attname for f in fields]
    plan_field = folded.model._meta.get_field("plan")
    assert isinstance(plan_field, ForeignKey)
    objects = []
    for row in rows:
        obj = folded.model.from_db(
            db, names, [_json_value(f, v) for f, v in zip(fields, row, strict=True)]
        )
        plan_field.set_cached_value(obj, plan)  # `need.plan` is this plan, as after a prefetch
        objects.append(obj)
    objects.sort(key=folded.sort_key)
    # As `prefetch_related` leaves it (django.db.models.query.prefetch_one_level).
    queryset = getattr(plan, folded.related_name).get_queryset()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    if not hasattr(plan, "_prefetched_objects_cache"):
        plan._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    plan._prefetched_objects_cache[folded.related_name] = queryset  # type: ignore[attr-defined]


# The audited read of one plan (REST, FHIR, the plan page) ---------------------------------
#
# One query answers whether the actor may see the plan (the policy's `visible_plans`, its
# participation and consent conditions as EXISTS subqueries) and fetches it with its person,
# units and coordinator, whether it has an active consent and its newest version number; the
# actor remembers the plan as visible for the rest of the request, so that the plan-level
# actions (`policy.plan_actions`) cost no second visibility query.


def plan_read_queryset(actor: Actor, *, lists: bool = False) -> QuerySet[Plan]:
    """The plans the actor may see (`policy.visible_plans`), each with what a plan read
    shows in the same row: `has_active_consent`, `latest_version` (None before the first),
    `newest_version_approved` (the person approved the newest version; FHIR's
    approvedForPatient). With `lists`, the plan's needs and goals too (`_PLAN_READ_LISTS`),
    made the plan's prefetched lists by `_read_plan`."""
    plans: QuerySet[Plan] = (
        policy.visible_plans(actor)
        .select_related(*_PLAN_READ_RELATED)
        .annotate(
            has_active_consent=Exists(Consent.objects.active().filter(plan=OuterRef("pk"))),
            latest_version=Subquery(
                PlanVersion.objects.filter(plan=OuterRef("pk"))
                .order_by("-number")
                .values("number")[:1]
            ),
            newest_version_approved=Exists(
                PlanVersion.objects.filter(plan=OuterRef("pk"), approved_at__isnull=False).filter(
                    ~Exists(
                        PlanVersion.objects.filter(
                            plan=OuterRef("plan"), number__gt=OuterRef("number")
                        )
                    )
                )
            ),
        )
    )
    if lists:
        plans = plans.annotate(**{f.annotation: f.subquery() for f in _PLAN_READ_LISTS})
    return plans


def _read_plan(
    actor: Actor,
    plan_id: int | None,
    *,
    audit_action: AuditAction | str | None = None,
    lists: bool = False,
) -> Plan:
    plan = (
        None
        if plan_id is None
        else plan_read_queryset(actor, lists=lists).filter(pk=plan_id).first()
    )
    if plan is None:
        raise refuse(actor, Action.PLAN_VIEW, audit_action=audit_action)
    if lists:
        db = plan._state.db or "default"
        for folded in _PLAN_READ_LISTS:
            _unfold(plan, folded, db)
    actor.visible_plan_ids.add(plan.pk)
    # A plan the actor sees makes its person one the actor sees (`policy.visible_persons`
    # holds every person with a visible plan): `policy.person_visible` need not ask.
    actor.visible_person_ids.add(plan.person_id)
    return plan


def access_plan_read(*, actor: Actor, plan_id: int) -> PlanAccess:
    """`access_plan` for showing a plan (the REST plan, the plan page): the plan in one query
    with `has_active_consent` and `latest_version`, and its needs and goals (`plan.needs.all()`
    and `plan.goals.all()` ask no more), the read audited as `plan.read`."""
    plan = _read_plan(actor, plan_id, lists=True)
    ground = policy.plan_read_ground(actor, plan)
    audit_log.record(
        actor=actor, action=AuditAction.PLAN_READ, obj=plan, person=plan.person, ground=ground
    )
    return PlanAccess(plan=plan, ground=ground)


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
    """A plan read as a FHIR CarePlan by id: as `access_plan_read`, audited (and refused) as
    `careplan.fhir_read`, naming the resource id, as the FHIR searches write their rows."""
    plan = _read_plan(actor, plan_id, audit_action=AuditAction.CAREPLAN_FHIR_READ)
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
