"""Plans through their lifecycle. Each endpoint reaches its plan through the policy, calls
the service of the same name, and answers with what changed."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from samplan.accounts.models import User
from samplan.audit.actions import AuditAction
from samplan.authz import access
from samplan.authz import policy as authz
from samplan.authz.access.plans import access_plan_api_read
from samplan.authz.policy import Action
from samplan.consent import services as consent_services
from samplan.directory.models import Organisation, Unit
from samplan.plans import selectors, services
from samplan.plans.models import (
    Deviation,
    FollowUp,
    Goal,
    Intervention,
    Invitation,
    Meeting,
    Need,
    Plan,
    PlanState,
)

from . import out
from .common import (
    ERRORS,
    ERRORS_WITH_CONFLICT,
    actor_of,
    child_of_plan,
    plan_for,
    resolve,
    resolve_many,
    resolve_required,
)
from .schemas import (
    MAX_ID,
    CloseIn,
    ConsentIn,
    ConsentOut,
    DeviationIn,
    DeviationOut,
    DeviationStatusIn,
    DiffOut,
    FollowUpIn,
    FollowUpOut,
    FollowUpResultIn,
    GoalIn,
    GoalOut,
    InterventionIn,
    InterventionOut,
    InterventionUpdateIn,
    InvitationAnswerIn,
    InvitationOut,
    MeetingCancelIn,
    MeetingHeldIn,
    MeetingOut,
    MeetingScheduleIn,
    MeetingUpdateIn,
    NeedIn,
    NeedOut,
    NoteIn,
    PlanDetailsIn,
    PlanInitiateIn,
    PlanOut,
    PlanPageOut,
    PlanSummaryOut,
    ReviseIn,
    VersionOut,
)

router = Router(tags=["plans"])


# django-ninja declares Path and Query generic aliases to type checkers; called plainly they
# lack the type argument strict mypy asks for (see common.path_id).
def _id() -> Any:
    return Path(..., ge=1, le=MAX_ID)  # type: ignore[type-arg]


def _number() -> Any:
    return Path(..., ge=1, le=2**31 - 1)  # type: ignore[type-arg]


# Reading ------------------------------------------------------------------------------------


def _cursor_encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"plan:{last_id}".encode()).decode().rstrip("=")


def _cursor_decode(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _sep, number = raw.partition(":")
        value = int(number) if kind == "plan" and number.isascii() and number.isdigit() else -1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value = -1
    if not 0 <= value <= MAX_ID:
        raise ValidationError({"cursor": ["Ogiltig markör. / Invalid cursor."]})
    return value


@router.get("/plans", response={200: PlanPageOut, **ERRORS})
def plan_list(
    request: HttpRequest,
    state: PlanState | None = None,
    cursor: str = Query("", max_length=100),  # type: ignore[type-arg]
    limit: int = Query(25, ge=1, le=100),  # type: ignore[type-arg]
) -> Any:
    """The plans the actor may see, oldest first. Pass `next` as `cursor` for the next page;
    a page costs the same however far into the list it is (keyset paging on id)."""
    actor = actor_of(request)
    after = _cursor_decode(cursor) if cursor else 0
    plans = authz.visible_plans(actor).filter(pk__gt=after)
    if state is not None:
        plans = plans.filter(state=state)
    page = list(plans.select_related("person").order_by("pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    # One audit event per person on the page, each naming the plans shown.
    access.audit_persons_shown(
        actor=actor, action=AuditAction.PLAN_LIST, plans=page, detail={"state": str(state or "")}
    )
    return {
        "items": [out.plan_summary(p) for p in page],
        "next": _cursor_encode(page[-1].pk) if more else None,
    }


@router.get("/plans/{plan_id}", response={200: PlanOut, **ERRORS})
def plan_get(request: HttpRequest, plan_id: int = _id()) -> Any:
    # The plan, its visibility and active consent in one query (audited); the body written
    # directly (out.json_response), in the shape of PlanOut (tests/api/test_direct_json.py).
    # The plan page's lists come in the plan's row too (access_plan_api_read), in place of
    # the selector's (the same rows; the follow-ups only where the plan's content is shown),
    # as the plan page takes them.
    actor = actor_of(request)
    reached, lists = access_plan_api_read(actor=actor, plan_id=plan_id)
    plan = reached.plan
    request.api_object = plan  # type: ignore[attr-defined]
    data = selectors.plan_api_data(actor=actor, plan=plan, interventions=lists["interventions"])
    data.update(
        participants=lists["participants"],
        meetings=lists["meetings"],
        deviations=lists["deviations"],
        versions=lists["versions"],
        follow_ups=lists["follow_ups"] if data["plan_content"] else [],
    )
    return out.json_response(out.plan(plan, data, actor=actor))


@router.get("/plans/{plan_id}/versions/{number}", response={200: VersionOut, **ERRORS})
def version_get(request: HttpRequest, plan_id: int = _id(), number: int = _number()) -> Any:
    plan = plan_for(request, plan_id, "version")
    version = selectors.version_get(plan=plan, number=number)
    if version is None:
        raise authz.refuse(actor_of(request), Action.PLAN_VIEW, plan)
    content = selectors.version_content(actor=actor_of(request), plan=plan, content=version.content)
    return out.version(version, content)


@router.get("/plans/{plan_id}/versions/{a}/diff/{b}", response={200: DiffOut, **ERRORS})
def version_diff(
    request: HttpRequest, plan_id: int = _id(), a: int = _number(), b: int = _number()
) -> Any:
    plan = plan_for(request, plan_id, "version_diff")
    older = selectors.version_get(plan=plan, number=min(a, b))
    newer = selectors.version_get(plan=plan, number=max(a, b))
    if older is None or newer is None:
        raise authz.refuse(actor_of(request), Action.PLAN_VIEW, plan)
    actor = actor_of(request)
    kinds = authz.information_kinds_for(actor, plan)
    changes = selectors.version_diff(
        selectors.version_content(actor=actor, plan=plan, content=older.content, kinds=kinds),
        selectors.version_content(actor=actor, plan=plan, content=newer.content, kinds=kinds),
    )
    return {
        "older": older.number,
        "newer": newer.number,
        "changes": [
            {"section": c.section, "kind": c.kind, "before": c.before, "after": c.after}
            for c in changes
        ],
    }


# Initiative and consent ---------------------------------------------------------------------


@router.post("/plans", response={201: PlanSummaryOut, **ERRORS})
def plan_initiate(request: HttpRequest, payload: PlanInitiateIn) -> Any:
    actor = actor_of(request)
    # Who may start a plan is decided before the body's ids are looked up.
    authz.require(actor, Action.PLAN_INITIATE)
    person = resolve_required(authz.briefly_visible_persons(actor), payload.person, "person")
    plan = services.plan_initiate(
        actor=actor,
        person=person,
        reasons=[str(r) for r in payload.reasons],
        need_groups=[str(g) for g in payload.need_groups],
        initiated_by=str(payload.initiated_by),
        on_behalf_of=resolve(person.representatives.all(), payload.on_behalf_of, "on_behalf_of"),
        initiated_on=payload.initiated_on,
        note=payload.note,
        plan_type=str(payload.plan_type),
        lss_decision_date=payload.lss_decision_date,
        existing_plan_reference=payload.existing_plan_reference,
    )
    return Status(201, out.plan_summary(plan))


@router.post("/plans/{plan_id}/consents", response={201: ConsentOut, **ERRORS_WITH_CONFLICT})
def consent_record(request: HttpRequest, payload: ConsentIn, plan_id: int = _id()) -> Any:
    plan = plan_for(request, plan_id, "consent")
    consent = consent_services.consent_record(
        actor=actor_of(request),
        plan=plan,
        decision=str(payload.decision),
        method=str(payload.method),
        organisations=resolve_many(
            Organisation.objects.filter(is_active=True), payload.organisations, "organisations"
        ),
        information_kinds=[str(k) for k in payload.information_kinds],
        given_at=payload.given_at,
        representative=resolve(
            plan.person.representatives.all(), payload.representative, "representative"
        ),
        note=payload.note,
    )
    return Status(201, out.consent(consent))


@router.post("/plans/{plan_id}/consents/revoke", response={200: ConsentOut, **ERRORS_WITH_CONFLICT})
def consent_revoke(request: HttpRequest, payload: NoteIn, plan_id: int = _id()) -> Any:
    """Takes effect at once: the plan pauses and the other organisations lose access."""
    plan = plan_for(request, plan_id, "consent")
    consent = consent_services.consent_revoke(actor=actor_of(request), plan=plan, note=payload.note)
    return out.consent(consent)


# Meetings and invitations -------------------------------------------------------------------


def _units() -> Any:
    return Unit.objects.select_related("organisation")


@router.post("/plans/{plan_id}/meetings", response={201: MeetingOut, **ERRORS_WITH_CONFLICT})
def meeting_schedule(request: HttpRequest, payload: MeetingScheduleIn, plan_id: int = _id()) -> Any:
    """Call a meeting: units of organisations the consent covers, and external invitees."""
    plan = plan_for(request, plan_id, "meeting")
    meeting = services.meeting_schedule(
        actor=actor_of(request),
        plan=plan,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        mode=str(payload.mode),
        location=payload.location,
        video_url=payload.video_url,
        agenda=payload.agenda,
        units=resolve_many(_units(), payload.units, "units"),
        externals=[
            services.ExternalInvitee(e.name, e.email, e.organisation) for e in payload.externals
        ],
    )
    return Status(201, out.meeting(meeting))


@router.put("/meetings/{meeting_id}", response={200: MeetingOut, **ERRORS_WITH_CONFLICT})
def meeting_update(request: HttpRequest, payload: MeetingUpdateIn, meeting_id: int = _id()) -> Any:
    meeting = child_of_plan(request, Meeting, meeting_id, "meeting")
    meeting = services.meeting_update(
        actor=actor_of(request),
        meeting=meeting,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        mode=str(payload.mode),
        location=payload.location,
        video_url=payload.video_url,
        agenda=payload.agenda,
    )
    return out.meeting(meeting)


@router.post("/meetings/{meeting_id}/cancel", response={200: MeetingOut, **ERRORS_WITH_CONFLICT})
def meeting_cancel(request: HttpRequest, payload: MeetingCancelIn, meeting_id: int = _id()) -> Any:
    meeting = child_of_plan(request, Meeting, meeting_id, "meeting")
    meeting = services.meeting_cancel(
        actor=actor_of(request), meeting=meeting, reason=payload.reason
    )
    return out.meeting(meeting)


@router.post("/meetings/{meeting_id}/held", response={200: MeetingOut, **ERRORS_WITH_CONFLICT})
def meeting_held(request: HttpRequest, payload: MeetingHeldIn, meeting_id: int = _id()) -> Any:
    """Record that the meeting took place; `attended` lists the invitations that came."""
    meeting = child_of_plan(request, Meeting, meeting_id, "meeting")
    meeting = services.meeting_record_held(
        actor=actor_of(request),
        meeting=meeting,
        # The service matches these against the meeting's own invitations by id and refuses
        # an id that is not one of them ("attended"); nothing is read through them.
        attended=[Invitation(pk=pk) for pk in dict.fromkeys(payload.attended)],
        minutes=payload.minutes,
        held_at=payload.held_at,
    )
    return out.meeting(meeting)


@router.post(
    "/invitations/{invitation_id}/answer", response={200: InvitationOut, **ERRORS_WITH_CONFLICT}
)
def invitation_answer(
    request: HttpRequest, payload: InvitationAnswerIn, invitation_id: int = _id()
) -> Any:
    """Staff of the invited unit answer; the plan opens to them once they take part."""
    actor = actor_of(request)
    invitation = (
        Invitation.objects.select_related("meeting__plan", "unit__organisation")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise authz.refuse(actor, Action.INVITATION_ANSWER)
    authz.require(actor, Action.INVITATION_ANSWER, invitation)
    invitation = services.invitation_answer(
        actor=actor,
        invitation=invitation,
        answer=str(payload.answer),
        reason=payload.decline_reason,
        represented_by=payload.represented_by,
    )
    return out.invitation(invitation)


# The draft ----------------------------------------------------------------------------------


@router.patch("/plans/{plan_id}", response={200: PlanSummaryOut, **ERRORS_WITH_CONFLICT})
def plan_update(request: HttpRequest, payload: PlanDetailsIn, plan_id: int = _id()) -> Any:
    """Change the plan's details: only the fields sent. Send the `revision` you read to be
    told (409) when someone else has changed the plan since."""
    plan = plan_for(request, plan_id, "edit")
    sent = payload.model_dump(exclude_unset=True)
    revision = sent.pop("revision", None)
    if "lead_organisation" in sent:
        sent["lead_organisation"] = resolve(
            Organisation.objects.all(), sent["lead_organisation"], "lead_organisation"
        )
    if "coordinator" in sent:
        sent["coordinator"] = resolve(
            User.objects.filter(is_active=True), sent["coordinator"], "coordinator"
        )
    if "coordinator_unit" in sent:
        sent["coordinator_unit"] = resolve(_units(), sent["coordinator_unit"], "coordinator_unit")
    plan = services.plan_update_details(
        actor=actor_of(request), plan=plan, expected_revision=revision, **sent
    )
    return out.plan_summary(plan)


def _revision_query() -> Any:
    return Query(None, ge=1, le=2**31 - 1)  # type: ignore[type-arg]


@router.post("/plans/{plan_id}/needs", response={201: NeedOut, **ERRORS_WITH_CONFLICT})
def need_add(request: HttpRequest, payload: NeedIn, plan_id: int = _id()) -> Any:
    plan = plan_for(request, plan_id, "edit")
    need = services.need_add(
        actor=actor_of(request),
        plan=plan,
        kind=str(payload.kind),
        description=payload.description,
        icf_code=payload.icf_code,
        expected_revision=payload.revision,
    )
    return Status(201, out.need(need))


@router.put("/needs/{need_id}", response={200: NeedOut, **ERRORS_WITH_CONFLICT})
def need_update(request: HttpRequest, payload: NeedIn, need_id: int = _id()) -> Any:
    need = child_of_plan(request, Need, need_id, "edit")
    need = services.need_update(
        actor=actor_of(request),
        need=need,
        kind=str(payload.kind),
        description=payload.description,
        icf_code=payload.icf_code,
        expected_revision=payload.revision,
    )
    return out.need(need)


@router.delete("/needs/{need_id}", response={204: None, **ERRORS_WITH_CONFLICT})
def need_remove(
    request: HttpRequest, need_id: int = _id(), revision: int | None = _revision_query()
) -> Any:
    need = child_of_plan(request, Need, need_id, "edit")
    services.need_remove(actor=actor_of(request), need=need, expected_revision=revision)
    return Status(204, None)


@router.post("/plans/{plan_id}/goals", response={201: GoalOut, **ERRORS_WITH_CONFLICT})
def goal_add(request: HttpRequest, payload: GoalIn, plan_id: int = _id()) -> Any:
    plan = plan_for(request, plan_id, "edit")
    goal = services.goal_add(
        actor=actor_of(request),
        plan=plan,
        shared_goal=payload.shared_goal,
        person_words=payload.person_words,
        target_date=payload.target_date,
        expected_revision=payload.revision,
    )
    return Status(201, out.goal(goal))


@router.put("/goals/{goal_id}", response={200: GoalOut, **ERRORS_WITH_CONFLICT})
def goal_update(request: HttpRequest, payload: GoalIn, goal_id: int = _id()) -> Any:
    goal = child_of_plan(request, Goal, goal_id, "edit")
    goal = services.goal_update(
        actor=actor_of(request),
        goal=goal,
        shared_goal=payload.shared_goal,
        person_words=payload.person_words,
        target_date=payload.target_date,
        expected_revision=payload.revision,
    )
    return out.goal(goal)


@router.delete("/goals/{goal_id}", response={204: None, **ERRORS_WITH_CONFLICT})
def goal_remove(
    request: HttpRequest, goal_id: int = _id(), revision: int | None = _revision_query()
) -> Any:
    goal = child_of_plan(request, Goal, goal_id, "edit")
    services.goal_remove(actor=actor_of(request), goal=goal, expected_revision=revision)
    return Status(204, None)


def _intervention_fields(plan: Plan, sent: dict[str, Any]) -> dict[str, Any]:
    """Ids to objects, from the same choices the plan page offers."""
    fields = dict(sent)
    if "responsible_organisation" in fields:
        fields["responsible_organisation"] = resolve(
            Organisation.objects.filter(is_active=True),
            fields["responsible_organisation"],
            "responsible_organisation",
        )
    if "responsible_unit" in fields:
        fields["responsible_unit"] = resolve(
            _units().filter(is_active=True), fields["responsible_unit"], "responsible_unit"
        )
    if "responsible_staff" in fields:
        staff = User.objects.filter(
            Q(is_active=True),
            Q(memberships__is_active=True),
            Q(memberships__unit__participations__plan=plan),
        ).distinct()
        fields["responsible_staff"] = resolve(
            staff, fields["responsible_staff"], "responsible_staff"
        )
    if "goal" in fields:
        fields["goal"] = resolve(plan.goals.all(), fields["goal"], "goal")
    if "status" in fields:
        fields["status"] = str(fields["status"])
    return fields


@router.post(
    "/plans/{plan_id}/interventions", response={201: InterventionOut, **ERRORS_WITH_CONFLICT}
)
def intervention_add(request: HttpRequest, payload: InterventionIn, plan_id: int = _id()) -> Any:
    plan = plan_for(request, plan_id, "edit")
    sent = payload.model_dump()
    revision = sent.pop("revision")
    intervention = services.intervention_add(
        actor=actor_of(request),
        plan=plan,
        expected_revision=revision,
        **_intervention_fields(plan, sent),
    )
    return Status(201, out.intervention(intervention))


@router.put(
    "/interventions/{intervention_id}", response={200: InterventionOut, **ERRORS_WITH_CONFLICT}
)
def intervention_update(
    request: HttpRequest, payload: InterventionUpdateIn, intervention_id: int = _id()
) -> Any:
    """Only the fields sent are changed. Each organisation may change its own interventions."""
    intervention = child_of_plan(request, Intervention, intervention_id, "edit")
    sent = payload.model_dump(exclude_unset=True)
    revision = sent.pop("revision", None)
    intervention = services.intervention_update(
        actor=actor_of(request),
        intervention=intervention,
        expected_revision=revision,
        **_intervention_fields(intervention.plan, sent),
    )
    return out.intervention(intervention)


@router.delete("/interventions/{intervention_id}", response={204: None, **ERRORS_WITH_CONFLICT})
def intervention_remove(
    request: HttpRequest,
    intervention_id: int = _id(),
    revision: int | None = _revision_query(),
) -> Any:
    intervention = child_of_plan(request, Intervention, intervention_id, "edit")
    services.intervention_remove(
        actor=actor_of(request), intervention=intervention, expected_revision=revision
    )
    return Status(204, None)


# Follow-ups and deviations ------------------------------------------------------------------


@router.post("/plans/{plan_id}/follow-ups", response={201: FollowUpOut, **ERRORS_WITH_CONFLICT})
def follow_up_schedule(request: HttpRequest, payload: FollowUpIn, plan_id: int = _id()) -> Any:
    plan = plan_for(request, plan_id, "edit")
    follow_up = services.follow_up_schedule(
        actor=actor_of(request),
        plan=plan,
        due_date=payload.due_date,
        what=payload.what,
        expected_revision=payload.revision,
    )
    return Status(201, out.follow_up(follow_up))


@router.post(
    "/follow-ups/{follow_up_id}/result", response={200: FollowUpOut, **ERRORS_WITH_CONFLICT}
)
def follow_up_record(
    request: HttpRequest, payload: FollowUpResultIn, follow_up_id: int = _id()
) -> Any:
    follow_up = child_of_plan(request, FollowUp, follow_up_id, "follow_up")
    follow_up = services.follow_up_record(
        actor=actor_of(request),
        follow_up=follow_up,
        result=payload.result,
        attainment=str(payload.attainment),
        goal_attainments={g.goal: str(g.attainment) for g in payload.goal_attainments},
    )
    return out.follow_up(follow_up)


@router.post("/plans/{plan_id}/deviations", response={201: DeviationOut, **ERRORS_WITH_CONFLICT})
def deviation_report(request: HttpRequest, payload: DeviationIn, plan_id: int = _id()) -> Any:
    """Addressed to an organisation taking part in the plan."""
    plan = plan_for(request, plan_id, "deviation")
    deviation = services.deviation_report(
        actor=actor_of(request),
        plan=plan,
        kind=str(payload.kind),
        description=payload.description,
        addressed_to=resolve_required(
            Organisation.objects.all(), payload.addressed_to, "addressed_to"
        ),
    )
    return Status(201, out.deviation(deviation))


@router.post(
    "/deviations/{deviation_id}/status", response={200: DeviationOut, **ERRORS_WITH_CONFLICT}
)
def deviation_status(
    request: HttpRequest, payload: DeviationStatusIn, deviation_id: int = _id()
) -> Any:
    deviation = child_of_plan(request, Deviation, deviation_id, "deviation")
    deviation = services.deviation_set_status(
        actor=actor_of(request),
        deviation=deviation,
        status=str(payload.status),
        resolution=payload.resolution,
    )
    return out.deviation(deviation)


# Establish, revise, close -------------------------------------------------------------------


@router.post("/plans/{plan_id}/establish", response={201: VersionOut, **ERRORS_WITH_CONFLICT})
def plan_establish(request: HttpRequest, plan_id: int = _id()) -> Any:
    """Freeze the draft as the next version. A plan that lacks a required item answers 409
    with the list of what is missing."""
    plan = plan_for(request, plan_id, "establish")
    version = services.plan_establish(actor=actor_of(request), plan=plan)
    return Status(201, out.version(version))


@router.post("/plans/{plan_id}/revise", response={200: PlanSummaryOut, **ERRORS_WITH_CONFLICT})
def plan_revise(request: HttpRequest, payload: ReviseIn, plan_id: int = _id()) -> Any:
    plan = plan_for(request, plan_id, "revise")
    plan = services.plan_revise(actor=actor_of(request), plan=plan, reason=payload.reason)
    return out.plan_summary(plan)


@router.post("/plans/{plan_id}/close", response={200: PlanSummaryOut, **ERRORS_WITH_CONFLICT})
def plan_close(request: HttpRequest, payload: CloseIn, plan_id: int = _id()) -> Any:
    plan = plan_for(request, plan_id, "close")
    plan = services.plan_close(
        actor=actor_of(request), plan=plan, reason=str(payload.reason), note=payload.note
    )
    return out.plan_summary(plan)
