"""Responsibility disputes on a plan: units that disagree about who is responsible for what.

Recorded by staff who may edit the plan; the agreement that covers it is found at once and its
named contacts are told (a link to the plan, nothing about the person); open, on the plan and
in the figures, until resolved. Both writes are audited against the plan's person."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samplan.agreements.models import AgreementContact, ResponsibilityDispute
from samplan.agreements.selectors import covering_agreement
from samplan.audit import services as audit
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.directory.models import Unit
from samplan.notify import services as notify
from samplan.plans.lifecycle import Step, StepNotAllowed, require_step
from samplan.plans.models import Plan, PlanEvent


def _lock(plan: Plan) -> None:
    Plan.objects.select_for_update().filter(pk=plan.pk).first()
    plan.refresh_from_db()


@transaction.atomic
def dispute_record(
    *, actor: Actor, plan: Plan, units: Iterable[Unit], subject: str
) -> ResponsibilityDispute:
    """Record which units of the plan disagree about what. Refused next to the field: fewer
    than two units, a unit not taking part in the plan, no subject. Nothing is changed then."""
    authz.require(actor, Action.DISPUTE_RECORD, plan)
    _lock(plan)
    # A dispute may be recorded while the plan is open, as a deviation may be reported.
    require_step(plan, Step.REPORT_DEVIATION)
    assert actor.user is not None
    assert actor.unit is not None
    unit_list = list({u.pk: u for u in units}.values())
    errors: dict[str, list[str]] = {}
    taking_part = set(
        plan.participants.filter(left_at__isnull=True).values_list("unit_id", flat=True)
    )
    outside = sorted(str(u.name) for u in unit_list if u.pk not in taking_part)
    if outside:
        errors["units"] = [
            _("Enheten deltar inte i planen: %(units)s.") % {"units": ", ".join(outside)}
        ]
    elif len(unit_list) < 2:
        errors["units"] = [_("Välj minst två enheter som är oense.")]
    if not subject.strip():
        errors["subject"] = [_("Beskriv vad oenigheten gäller.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    agreement = covering_agreement(
        organisation_ids={u.organisation_id for u in unit_list},
        on=timezone.localdate(now),
        need_groups=list(plan.need_groups or []),
    )
    dispute = ResponsibilityDispute.objects.create(
        plan=plan,
        agreement=agreement,
        subject=subject.strip(),
        recorded_by=actor.user,
        recorded_unit=actor.unit,
        recorded_at=now,
    )
    dispute.units.set(unit_list)
    PlanEvent.objects.create(
        plan=plan,
        kind="dispute_recorded",
        actor=actor.user,
        unit=actor.unit,
        detail={"dispute": dispute.pk, "agreement": agreement.pk if agreement else None},
    )
    audit.record(actor=actor, action="dispute.record", obj=dispute, person=plan.person)
    if agreement is not None:
        pk = dispute.pk
        transaction.on_commit(lambda: _notify_contacts(pk))
    return dispute


@transaction.atomic
def dispute_resolve(
    *, actor: Actor, dispute: ResponsibilityDispute, resolution: str
) -> ResponsibilityDispute:
    """Record how the dispute was resolved, by whom and when. Closing a door is always
    allowed: a dispute may be resolved whatever the plan's state."""
    authz.require(actor, Action.DISPUTE_RESOLVE, dispute)
    plan = dispute.plan
    _lock(plan)
    dispute.refresh_from_db(fields=["resolved_at", "resolved_by", "resolution"])
    if dispute.resolved_at is not None:
        raise StepNotAllowed(_("Oenigheten är redan löst."), code="state")
    if not resolution.strip():
        raise ValidationError({"resolution": [_("Beskriv hur oenigheten löstes.")]})
    dispute.resolved_at = timezone.now()
    dispute.resolved_by = actor.user
    dispute.resolution = resolution.strip()
    dispute.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    PlanEvent.objects.create(
        plan=plan,
        kind="dispute_resolved",
        actor=actor.user,
        unit=actor.unit,
        detail={"dispute": dispute.pk},
    )
    audit.record(actor=actor, action="dispute.resolve", obj=dispute, person=plan.person)
    return dispute


def _notify_contacts(dispute_id: int) -> None:
    """The agreement's named contacts get one mail each: the agreement's title and a link to
    the plan, which opens only to those the policy lets in. No person, no subject text."""
    dispute = ResponsibilityDispute.objects.select_related("agreement").get(pk=dispute_id)
    if dispute.agreement is None:
        return
    link = dispute.plan.get_absolute_url() if dispute.plan_id else ""
    contacts = AgreementContact.objects.filter(agreement=dispute.agreement).order_by("pk")
    for contact in contacts:
        notify.mail_queue(
            to=[contact.email],
            subject=_("Oenighet om ansvar i en samordnad individuell plan"),
            body="\n".join(
                [
                    _(
                        "En oenighet om ansvar har registrerats i en samordnad individuell plan "
                        "(SIP) som omfattas av överenskommelsen ”%(title)s”, där du är "
                        "kontaktperson."
                    )
                    % {"title": dispute.agreement.title},
                    "",
                    _("Planen i Samplan: %(link)s") % {"link": link},
                ]
            ),
            topic="dispute",
            related=dispute,
        )
