"""Establishing the plan as a frozen version, and starting a revision."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samplan.audit import services as audit
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent.coverage import active_consent
from samplan.directory.models import (
    Organisation,
)
from samplan.notify import services as notify
from samplan.plans.completeness import MissingItem, plan_missing_items
from samplan.plans.lifecycle import Step, require_step
from samplan.plans.models import (
    EstablishedParticipation,
    Plan,
    PlanState,
    PlanVersion,
)
from samplan.plans.services._common import (
    _event,
    _lock,
    _require_consent,
    _set_state,
    _staff_in_plan,
)


class PlanIncomplete(ValidationError):
    def __init__(self, missing: list[MissingItem]) -> None:
        self.missing = missing
        super().__init__(
            [_("Planen saknar: %(item)s") % {"item": m.message} for m in missing], code="missing"
        )


def plan_snapshot(plan: Plan) -> dict[str, Any]:
    """The plan's content as plain data: what a version freezes and what a diff compares."""
    consent = active_consent(plan)

    def org_name(o: Organisation | None) -> str:
        return o.name if o else ""

    return {
        "plan_type": plan.plan_type,
        "title": plan.title,
        "lead_organisation": org_name(plan.lead_organisation),
        "coordinator": {
            "name": plan.coordinator.display_name if plan.coordinator else "",
            "unit": str(plan.coordinator_unit) if plan.coordinator_unit else "",
            "phone": plan.coordinator_phone,
            "email": plan.coordinator_email,
        },
        "time_plan": plan.time_plan,
        "evaluation_plan": plan.evaluation_plan,
        "existing_plan_reference": plan.existing_plan_reference,
        "participants": sorted(
            str(p.unit)
            for p in plan.participants.filter(left_at__isnull=True).select_related(
                "unit__organisation"
            )
        ),
        "consent_organisations": sorted(o.name for o in consent.organisations.all())
        if consent
        else [],
        "needs": [
            {"id": n.pk, "kind": n.kind, "description": n.description, "icf_code": n.icf_code}
            for n in plan.needs.all()
        ],
        "goals": [
            {
                "id": g.pk,
                "person_words": g.person_words,
                "shared_goal": g.shared_goal,
                "target_date": g.target_date.isoformat() if g.target_date else "",
            }
            for g in plan.goals.all()
        ],
        "interventions": [
            {
                "id": i.pk,
                "description": i.description,
                "organisation": i.responsible_organisation.name,
                "unit": i.responsible_unit.name if i.responsible_unit else "",
                "staff": i.responsible_staff.display_name if i.responsible_staff else "",
                "status": i.status,
                "start_date": i.start_date.isoformat() if i.start_date else "",
                "end_date": i.end_date.isoformat() if i.end_date else "",
                "by_others": i.by_other_than_principals,
            }
            for i in plan.interventions.select_related(
                "responsible_organisation", "responsible_unit", "responsible_staff"
            )
        ],
        "follow_ups": [
            {"id": f.pk, "due_date": f.due_date.isoformat(), "what": f.what}
            for f in plan.follow_ups.filter(done_at__isnull=True)
        ],
    }


@transaction.atomic
def plan_establish(*, actor: Actor, plan: Plan, participation: str = "") -> PlanVersion:
    """Freeze the draft as version n+1. A plan with missing items stays a draft.
    `participation`: how the person took part (EstablishedParticipation), recorded on the
    version so that a version the person has not approved says how he or she took part."""
    authz.require(actor, Action.PLAN_EDIT, plan)
    if participation and participation not in EstablishedParticipation.values:
        raise ValidationError({"participation": [_("Välj hur personen deltog.")]})
    _lock(plan)
    # The consent first: a plan without one is told what to do about it.
    _require_consent(plan)
    require_step(plan, Step.ESTABLISH)
    missing = plan_missing_items(plan=plan)
    if missing:
        raise PlanIncomplete(missing)
    assert actor.user is not None
    number = (plan.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = PlanVersion.objects.create(
        plan=plan,
        number=number,
        content=plan_snapshot(plan),
        established_at=timezone.now(),
        established_by=actor.user,
        participation_at_establishment=participation,
    )
    _set_state(plan, PlanState.ESTABLISHED)
    _event(actor, plan, "established", version=number)
    audit.record(actor=actor, action="plan.establish", obj=version, person=plan.person)
    transaction.on_commit(lambda: _notify_participants(plan.pk, "established", number))
    return version


@transaction.atomic
def plan_revise(*, actor: Actor, plan: Plan, reason: str = "") -> Plan:
    """Start a revision: a new draft from the established version."""
    authz.require(actor, Action.PLAN_EDIT, plan)
    _lock(plan)
    require_step(plan, Step.REVISE)
    _require_consent(plan)
    _set_state(plan, PlanState.REVISING)
    _event(actor, plan, "revision_started", reason=reason)
    audit.record(actor=actor, action="plan.revise", obj=plan, person=plan.person)
    return plan


def _notify_participants(plan_id: int, what: str, version: int) -> None:
    plan = Plan.objects.get(pk=plan_id)
    subject = _("Planen är upprättad (version %(n)s)") % {"n": version}
    for user, content in _staff_in_plan(plan).items():
        # The notice names no one but links to the plan, which a unit outside the consent
        # cannot open and has nothing to do with: such a unit is not told.
        if content:
            notify.inbox_post(user=user, subject=subject, body=subject, url=plan.get_absolute_url())
