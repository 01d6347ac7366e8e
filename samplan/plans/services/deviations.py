"""Deviations: reported against a plan, addressed to an organisation in it, handled."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samplan.audit import services as audit
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.directory.models import (
    Organisation,
)
from samplan.notify import services as notify
from samplan.plans.lifecycle import Step, StepNotAllowed, require_step
from samplan.plans.models import (
    Deviation,
    DeviationStatus,
    Plan,
)
from samplan.plans.services._common import (
    _event,
    _lock,
    _staff_in_plan,
)


@transaction.atomic
def deviation_report(
    *, actor: Actor, plan: Plan, kind: str, description: str, addressed_to: Organisation
) -> Deviation:
    authz.require(actor, Action.DEVIATION_REPORT, plan)
    _lock(plan)
    require_step(plan, Step.REPORT_DEVIATION)
    assert actor.user is not None
    assert actor.unit is not None
    deviation = Deviation(
        plan=plan,
        kind=kind,
        description=description.strip(),
        addressed_to=addressed_to,
        reported_by=actor.user,
        reported_unit=actor.unit,
    )
    deviation.full_clean()
    involved = set(plan.participants.values_list("unit__organisation_id", flat=True))
    if addressed_to.pk not in involved:
        raise ValidationError(
            {"addressed_to": [_("Avvikelsen kan bara riktas till en organisation i planen.")]}
        )
    deviation.save()
    _event(actor, plan, "deviation_reported", deviation=deviation.pk, deviation_kind=kind)
    audit.record(actor=actor, action="deviation.report", obj=deviation, person=plan.person)
    transaction.on_commit(lambda: _notify_deviation(deviation.pk))
    return deviation


@transaction.atomic
def deviation_set_status(
    *, actor: Actor, deviation: Deviation, status: str, resolution: str = ""
) -> Deviation:
    authz.require(actor, Action.DEVIATION_HANDLE, deviation)
    _lock(deviation.plan)
    require_step(deviation.plan, Step.HANDLE_DEVIATION)
    # The deviation's row too, re-read under the lock: of two hands handling it at once, the
    # second sees the first one's status.
    Deviation.objects.select_for_update().filter(pk=deviation.pk).first()
    deviation.refresh_from_db(fields=["status", "resolution", "handled_at", "handled_by"])
    if deviation.status == DeviationStatus.HANDLED:
        raise StepNotAllowed(_("Avvikelsen är redan hanterad."), code="state")
    if status not in DeviationStatus.values:
        raise ValidationError({"status": [_("Okänd status.")]})
    if status == DeviationStatus.HANDLED and not resolution.strip():
        raise ValidationError({"resolution": [_("Beskriv hur avvikelsen har hanterats.")]})
    deviation.status = status
    deviation.resolution = resolution.strip()
    if status == DeviationStatus.HANDLED:
        deviation.handled_at = timezone.now()
        deviation.handled_by = actor.user
    deviation.save()
    _event(actor, deviation.plan, "deviation_status", deviation=deviation.pk, status=status)
    audit.record(
        actor=actor, action="deviation.status", obj=deviation, person=deviation.plan.person
    )
    return deviation


def _notify_deviation(deviation_id: int) -> None:
    """Staff of the addressed organisation's units in the plan are told. The description
    (free text, it may name the person) and the link go only to those the active consent
    covers, or to the initiating unit. The others get a notice that names no person, quotes
    nothing and links nowhere: the deviation is addressed to them, and the coordinator who
    reported it expects them to learn that something waits, even though only a wider
    consent can show them what."""
    deviation = Deviation.objects.select_related("plan").get(pk=deviation_id)
    plan = deviation.plan
    staff = _staff_in_plan(plan, organisation=deviation.addressed_to_id)
    for user, content in staff.items():
        if content:
            notify.inbox_post(
                user=user,
                subject=_("Ny avvikelse: %(kind)s") % {"kind": deviation.get_kind_display()},
                body=deviation.description,
                url=plan.get_absolute_url(),
                plan=plan,
            )
        else:
            notify.inbox_post(
                user=user,
                subject=_("Avvikelse i en plan som rör er verksamhet"),
                body=_(
                    "Det finns en avvikelse i en samordnad individuell plan som rör er "
                    "verksamhet. Personens samtycke omfattar inte er organisation, och därför "
                    "visas här inga uppgifter om personen eller avvikelsen. De kan visas för er "
                    "först om samtycket utvidgas till er organisation."
                ),
            )
