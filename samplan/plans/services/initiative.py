"""The initiative: a unit starts a SIP for a person."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samplan.audit import services as audit
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.directory.models import (
    Person,
    Representative,
)
from samplan.notify.workdays import add_working_days
from samplan.plans.models import (
    InitiatedBy,
    InitiativeReason,
    NeedGroup,
    Participant,
    Plan,
    PlanType,
)
from samplan.plans.services._common import (
    _event,
)


@transaction.atomic
def plan_initiate(
    *,
    actor: Actor,
    person: Person,
    reasons: list[str],
    need_groups: list[str] | None = None,
    initiated_by: str = InitiatedBy.STAFF,
    on_behalf_of: Representative | None = None,
    initiated_on: date | None = None,
    note: str = "",
    plan_type: str = PlanType.SIP,
    lss_decision_date: date | None = None,
    existing_plan_reference: str = "",
) -> Plan:
    # A unit with a relation to the person, or one that looked the person up a while ago.
    authz.require(actor, Action.PLAN_INITIATE, person)
    assert actor.unit is not None
    assert actor.user is not None
    today = timezone.localdate()
    initiated_on = initiated_on or today
    errors: dict[str, list[str]] = {}
    if not reasons:
        errors["reasons"] = [_("Ange minst ett skäl till initiativet.")]
    if any(r not in InitiativeReason.values for r in reasons):
        errors["reasons"] = [_("Okänt skäl.")]
    if any(g not in NeedGroup.values for g in need_groups or []):
        errors["need_groups"] = [_("Okänd målgrupp.")]
    if initiated_on > today:
        errors["initiated_on"] = [_("Initiativdatumet kan inte ligga i framtiden.")]
    if initiated_by in (InitiatedBy.NEXT_OF_KIN, InitiatedBy.REPRESENTATIVE) and (
        on_behalf_of is None or on_behalf_of.person_id != person.pk
    ):
        errors["on_behalf_of"] = [_("Välj vilken närstående eller företrädare det gäller.")]
    if plan_type == PlanType.LSS_IP and lss_decision_date is None:
        errors["lss_decision_date"] = [
            _("En individuell plan enligt LSS erbjuds när det finns ett LSS-beslut: ange datum.")
        ]
    if plan_type in (PlanType.HABILITATION, PlanType.REHABILITATION) and not (
        existing_plan_reference.strip()
    ):
        errors["existing_plan_reference"] = [_("Ange vilken befintlig plan som kompletteras.")]
    if errors:
        raise ValidationError(errors)
    plan = Plan(
        person=person,
        plan_type=plan_type,
        initiated_by=initiated_by,
        initiated_on=initiated_on,
        initiating_unit=actor.unit,
        initiating_user=actor.user,
        on_behalf_of=on_behalf_of,
        reasons=sorted(set(reasons)),
        need_groups=sorted(set(need_groups or [])),
        initiative_note=note,
        meeting_deadline=add_working_days(initiated_on, settings.MEETING_DEADLINE_WORKING_DAYS),
        lss_decision_date=lss_decision_date,
        existing_plan_reference=existing_plan_reference,
    )
    # Choices and lengths are checked by the model, as for every other caller.
    plan.full_clean(exclude=["reasons", "need_groups"])
    plan.save()
    Participant.objects.create(plan=plan, unit=actor.unit)
    _event(actor, plan, "initiated", reasons=plan.reasons, by=initiated_by)
    audit.record(actor=actor, action="plan.initiate", obj=plan, person=person)
    return plan
