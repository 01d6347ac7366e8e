"""Helpers shared by the lifecycle's services: the refusals, the row lock, the plan's
events, the draft's optimistic lock and the requirement of an active consent (what that is:
`Consent.objects.active()`; the plan's: `samplan.consent.coverage.active_consent`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from samplan.accounts.models import User
from samplan.audit import services as audit
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent.coverage import active_consent, covered_organisation_ids, may_receive_content
from samplan.consent.models import Consent
from samplan.directory.models import (
    Membership,
)
from samplan.plans.lifecycle import Step, StepNotAllowed, require_step
from samplan.plans.models import (
    Plan,
    PlanEvent,
    PlanState,
)


class EditConflict(ValidationError):
    """Someone else changed the plan since the form was opened. Nothing is overwritten."""


def _event(actor: Actor, plan: Plan, kind: str, **detail: Any) -> PlanEvent:
    return PlanEvent.objects.create(
        plan=plan, kind=kind, actor=actor.user, unit=actor.unit, detail=detail
    )


def _lock(plan: Plan) -> Plan:
    """Re-read the plan under a row lock so that two steps cannot interleave."""
    locked = Plan.objects.select_for_update().get(pk=plan.pk)
    plan.refresh_from_db()
    return locked


def _bump(plan: Plan, expected_revision: int | None) -> None:
    """Optimistic locking for the draft: refuse a form based on an older revision."""
    if expected_revision is not None and expected_revision != plan.revision:
        raise EditConflict(
            _(
                "Någon annan har ändrat planen sedan du öppnade den. Dina ändringar är inte "
                "sparade men finns kvar i formuläret: läs in planen på nytt och för över dem."
            ),
            code="conflict",
        )
    Plan.objects.filter(pk=plan.pk).update(revision=F("revision") + 1, updated_at=timezone.now())
    plan.refresh_from_db(fields=["revision", "updated_at"])


def _edit_draft(
    actor: Actor, plan: Plan, action: Action = Action.PLAN_EDIT, obj: Model | None = None
) -> None:
    """The start of every change to the draft: the right to make it, the row lock, the state."""
    authz.require(actor, action, plan if obj is None else obj)
    _lock(plan)
    require_step(plan, Step.EDIT_DRAFT)


def _draft_item(
    actor: Actor, plan: Plan, expected_revision: int | None, action: str, obj: Model, kind: str
) -> None:
    _bump(plan, expected_revision)
    _event(actor, plan, "draft_changed", item=kind, id=obj.pk)
    audit.record(actor=actor, action=action, obj=obj, person=plan.person)


def _set_state(plan: Plan, state: str) -> None:
    plan.state = state
    plan.save(update_fields=["state", "updated_at"])


def _pause(actor: Actor, plan: Plan) -> None:
    _set_state(plan, PlanState.PAUSED)
    _event(actor, plan, "paused")


def _require_consent(plan: Plan) -> Consent:
    consent = active_consent(plan)
    if consent is None:
        raise StepNotAllowed(
            _("Det finns inget gällande samtycke från personen. Registrera samtycke först."),
            code="consent",
        )
    return consent


def _staff_in_plan(plan: Plan, **unit_lookups: Any) -> dict[User, bool]:
    """Active staff of the units taking part in the plan (narrowed by `unit_lookups`), each
    with whether the plan's content may reach him or her: through one of those units that
    the active consent covers, or the initiating unit. One query for the consent, one for
    the staff."""
    covered = covered_organisation_ids(plan)
    memberships = Membership.objects.filter(
        unit__participations__plan=plan,
        unit__participations__left_at__isnull=True,
        is_active=True,
        user__is_active=True,
        **{f"unit__{key}": value for key, value in unit_lookups.items()},
    ).select_related("user", "unit")
    staff: dict[User, bool] = {}
    for membership in memberships:
        content = may_receive_content(
            plan,
            unit_id=membership.unit_id,
            organisation_id=membership.unit.organisation_id,
            covered=covered,
        )
        staff[membership.user] = staff.get(membership.user, False) or content
    return staff
