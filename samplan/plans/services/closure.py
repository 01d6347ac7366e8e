"""Closing a plan."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samplan.audit import services as audit
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.plans.lifecycle import Step, require_step
from samplan.plans.models import (
    ClosureReason,
    Plan,
    PlanState,
)
from samplan.plans.services._common import (
    _event,
    _lock,
)
from samplan.plans.services.meetings import _cancel_open_meetings


@transaction.atomic
def plan_close(*, actor: Actor, plan: Plan, reason: str, note: str = "") -> Plan:
    authz.require(actor, Action.PLAN_EDIT, plan)
    _lock(plan)
    require_step(plan, Step.CLOSE)
    if reason not in ClosureReason.values:
        raise ValidationError({"reason": [_("Välj skäl för avslut.")]})
    _close(actor, plan, reason, note)
    return plan


def _close(actor: Actor, plan: Plan, reason: str, note: str) -> None:
    plan.state = PlanState.CLOSED
    plan.closure_reason = reason
    plan.closure_note = note
    plan.closed_at = timezone.now()
    plan.save(update_fields=["state", "closure_reason", "closure_note", "closed_at", "updated_at"])
    _cancel_open_meetings(plan)
    _event(actor, plan, "closed", reason=reason)
    audit.record(
        actor=actor, action="plan.close", obj=plan, person=plan.person, detail={"reason": reason}
    )
