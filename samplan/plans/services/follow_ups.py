"""Follow-ups: scheduled in the plan, recorded with goal attainment."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samplan.audit import services as audit
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.plans.lifecycle import Step, StepNotAllowed, require_step
from samplan.plans.models import (
    Attainment,
    FollowUp,
    GoalAttainment,
    Plan,
)
from samplan.plans.services._common import (
    _draft_item,
    _event,
    _lock,
)


@transaction.atomic
def follow_up_schedule(
    *,
    actor: Actor,
    plan: Plan,
    due_date: date,
    what: str,
    expected_revision: int | None = None,
) -> FollowUp:
    authz.require(actor, Action.PLAN_EDIT, plan)
    _lock(plan)
    require_step(plan, Step.SCHEDULE_FOLLOW_UP)
    errors: dict[str, list[str]] = {}
    if not what.strip():
        errors["what"] = [_("Ange vad som ska följas upp.")]
    if due_date < plan.initiated_on:
        errors["due_date"] = [_("Uppföljningen kan inte ligga före initiativet.")]
    if errors:
        raise ValidationError(errors)
    follow_up = FollowUp.objects.create(plan=plan, due_date=due_date, what=what.strip())
    _draft_item(actor, plan, expected_revision, "follow_up.schedule", follow_up, "follow_up")
    return follow_up


@transaction.atomic
def follow_up_record(
    *,
    actor: Actor,
    follow_up: FollowUp,
    result: str,
    attainment: str,
    goal_attainments: dict[int, str] | None = None,
) -> FollowUp:
    plan = follow_up.plan
    authz.require(actor, Action.FOLLOW_UP_RECORD, plan)
    _lock(plan)
    require_step(plan, Step.RECORD_FOLLOW_UP)
    if not plan.versions.exists():
        raise StepNotAllowed(_("Planen måste vara upprättad innan den följs upp."), code="state")
    if follow_up.done_at is not None:
        raise StepNotAllowed(_("Uppföljningen är redan registrerad."), code="state")
    errors: dict[str, list[str]] = {}
    if attainment not in Attainment.values:
        errors["attainment"] = [_("Ange hur väl målen har uppnåtts.")]
    if not result.strip():
        errors["result"] = [_("Beskriv resultatet av uppföljningen.")]
    goals = {g.pk: g for g in plan.goals.all()}
    for goal_id, value in (goal_attainments or {}).items():
        if goal_id not in goals or value not in Attainment.values:
            errors["goal_attainments"] = [_("Okänt mål eller bedömning.")]
    if errors:
        raise ValidationError(errors)
    follow_up.result = result.strip()
    follow_up.attainment = attainment
    follow_up.done_at = timezone.now()
    follow_up.done_by = actor.user
    follow_up.version_number = (
        plan.versions.order_by("-number").values_list("number", flat=True).first()
    )
    follow_up.save()
    for goal_id, value in (goal_attainments or {}).items():
        GoalAttainment.objects.create(
            follow_up=follow_up,
            goal=goals[goal_id],
            goal_text=goals[goal_id].shared_goal,
            attainment=value,
        )
    _event(actor, plan, "followed_up", follow_up=follow_up.pk, attainment=attainment)
    audit.record(actor=actor, action="follow_up.record", obj=follow_up, person=plan.person)
    return follow_up
