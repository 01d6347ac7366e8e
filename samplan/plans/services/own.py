"""What the person (or a guardian, or a next of kin) does from the own view (issue 11): ask a
unit for a SIP, approve an established version, ask for the plan to end; and the
coordinator's setting of a child's own view.

Who may is the policy's (`Action.OWN_*`, samplan/authz/policy.py); when, the lifecycle
table's. Each write leaves an event in the plan's history and an audit row, in the same
transaction; the staff who must act are told in their inbox after commit.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samplan.accounts.models import User
from samplan.audit import services as audit
from samplan.audit.actions import AuditAction
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.directory.models import (
    Membership,
    OrganisationKind,
    Person,
    RepresentativeKind,
    Unit,
)
from samplan.notify import services as notify
from samplan.notify.workdays import add_working_days
from samplan.plans.lifecycle import Step, require_step
from samplan.plans.models import (
    InitiatedBy,
    InitiativeReason,
    Participant,
    PersonParticipation,
    Plan,
    PlanState,
    PlanVersion,
)
from samplan.plans.services._common import _event, _lock

NOTE_MAX = 2000


def _who(actor: Actor, person: Person) -> dict[str, str]:
    """The plan event's note of who acted: the person or a representative."""
    if actor.user is not None and person.user_id == actor.user.pk:
        return {"by": "person"}
    return {"by": "representative"}


def _check_note(note: str, errors: dict[str, list[str]]) -> None:
    if len(note) > NOTE_MAX:
        errors["note"] = [
            _("Skriv högst %(n)s tecken.") % {"n": NOTE_MAX},
        ]


def sip_request_units() -> list[Unit]:
    """The units a person may ask for a SIP: the active units of the principals (kommun,
    region), with their organisations. One query."""
    return list(
        Unit.objects.filter(
            is_active=True,
            organisation__is_active=True,
            organisation__kind__in=[OrganisationKind.MUNICIPALITY, OrganisationKind.REGION],
        )
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )


def _unit_staff(unit_id: int) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            unit_id=unit_id, is_active=True, user__is_active=True
        ).select_related("user")
    ]


@transaction.atomic
def sip_request_own(*, actor: Actor, person: Person, unit_id: int | None, note: str = "") -> Plan:
    """The person (or a representative, a next of kin) asks a unit of a principal for a SIP.
    The request is an initiative (initiated by the person, reason "the person has asked for
    coordination") that the chosen unit sees as its own: on its worklist, in its staff's
    inbox. Nothing more happens without the person's consent, which the unit records next."""
    authz.require(actor, Action.OWN_SIP_REQUEST, person)
    assert actor.user is not None
    errors: dict[str, list[str]] = {}
    unit = next((u for u in sip_request_units() if u.pk == unit_id), None)
    if unit is None:
        errors["unit"] = [
            _("Välj en verksamhet i kommunen eller regionen. Den du valde finns inte i listan.")
        ]
    _check_note(note, errors)
    if errors:
        raise ValidationError(errors)
    assert unit is not None
    representative = None
    initiated_by = InitiatedBy.PERSON
    if person.user_id != actor.user.pk:
        representative = authz.acting_representative(actor, person)
        assert representative is not None  # the policy said the actor represents the person
        initiated_by = (
            InitiatedBy.NEXT_OF_KIN
            if representative.kind == RepresentativeKind.NEXT_OF_KIN
            else InitiatedBy.REPRESENTATIVE
        )
    today = timezone.localdate()
    plan = Plan.objects.create(
        person=person,
        initiated_by=initiated_by,
        initiated_on=today,
        initiating_unit=unit,
        initiating_user=actor.user,
        on_behalf_of=representative,
        reasons=[InitiativeReason.PERSON_REQUEST],
        initiative_note=note,
        meeting_deadline=add_working_days(today, settings.MEETING_DEADLINE_WORKING_DAYS),
    )
    Participant.objects.create(plan=plan, unit=unit)
    _event(
        actor,
        plan,
        "initiated",
        reasons=plan.reasons,
        by=initiated_by,
        requested_by_person=True,
    )
    audit.record(actor=actor, action=AuditAction.PLAN_REQUEST_OWN, obj=plan, person=person)
    recipients = _unit_staff(unit.pk)
    subject = _("En person ber om en samordnad individuell plan (SIP)")
    body = _("Begäran har kommit från personens egen sida i Samplan. Öppna planen för att se den.")
    transaction.on_commit(
        lambda: [
            notify.inbox_post(
                user=user, subject=subject, body=body, url=plan.get_absolute_url(), plan=plan
            )
            for user in recipients
        ]
    )
    return plan


@transaction.atomic
def version_approve_own(*, actor: Actor, plan: Plan, version_id: int | None) -> PlanVersion:
    """The person (or a guardian) approves an established version of his or her plan: the
    newest one, once. Recorded on the version (when, by whom, how the person took part)."""
    authz.require(actor, Action.OWN_VERSION_APPROVE, plan)
    _lock(plan)
    version = (
        PlanVersion.objects.filter(pk=version_id, plan=plan).first()
        if version_id is not None
        else None
    )
    newest = plan.versions.order_by("-number").first()
    if version is None:
        raise ValidationError({"version": [_("Välj en version av din egen plan.")]})
    if plan.state == PlanState.CLOSED:
        raise ValidationError({"version": [_("Planen är avslutad och kan inte godkännas.")]})
    if newest is not None and version.pk != newest.pk:
        raise ValidationError(
            {"version": [_("Det finns en nyare version. Bara den senaste kan godkännas.")]}
        )
    if version.approved_at is not None:
        raise ValidationError({"version": [_("Den här versionen är redan godkänd.")]})
    assert actor.user is not None
    representative = None
    if plan.person.user_id != actor.user.pk:
        representative = authz.acting_representative(actor, plan.person)
    version.approved_at = timezone.now()
    version.approved_by = actor.user
    version.approved_by_representative = representative
    version.person_participation = (
        PersonParticipation.APPROVED
        if representative is None
        else PersonParticipation.APPROVED_BY_REPRESENTATIVE
    )
    version.save(
        update_fields=[
            "approved_at",
            "approved_by",
            "approved_by_representative",
            "person_participation",
        ]
    )
    _event(actor, plan, "version_approved", version=version.number, **_who(actor, plan.person))
    audit.record(actor=actor, action=AuditAction.PLAN_APPROVE_OWN, obj=version, person=plan.person)
    _tell_coordinator(
        plan,
        _("Personen har godkänt version %(n)s av planen") % {"n": version.number},
    )
    return version


@transaction.atomic
def plan_request_end_own(*, actor: Actor, plan: Plan, note: str = "") -> Plan:
    """The person (or a guardian) asks for the plan to end (the person may end a SIP at any
    time). The coordinator is told and closes it through the normal close step."""
    authz.require(actor, Action.OWN_PLAN_END_REQUEST, plan)
    _lock(plan)
    require_step(plan, Step.CLOSE)
    errors: dict[str, list[str]] = {}
    _check_note(note, errors)
    if errors:
        raise ValidationError(errors)
    _event(actor, plan, "end_requested", **_who(actor, plan.person))
    audit.record(actor=actor, action=AuditAction.PLAN_REQUEST_END_OWN, obj=plan, person=plan.person)
    _tell_coordinator(
        plan,
        _("Personen ber att planen avslutas"),
        body=note or _("Personen har bett om att planen avslutas. Avsluta den på planens sida."),
    )
    return plan


def _tell_coordinator(plan: Plan, subject: str, *, body: str = "") -> None:
    """The coordinator's inbox, after commit; before a coordinator is named, the staff of the
    initiating unit. The message names the plan, so it is shown only while the reader may
    see the plan."""
    recipients = (
        [plan.coordinator] if plan.coordinator is not None else _unit_staff(plan.initiating_unit_id)
    )
    url = plan.get_absolute_url()
    transaction.on_commit(
        lambda: [
            notify.inbox_post(user=user, subject=subject, body=body or subject, url=url, plan=plan)
            for user in recipients
        ]
    )


@transaction.atomic
def plan_set_child_own_view(*, actor: Actor, plan: Plan, on: bool) -> Plan:
    """The coordinator (or the lead organisation) lets a child see the plan with his or her
    own login, as age and maturity allow, or stops it."""
    authz.require(actor, Action.PLAN_EDIT, plan)
    _lock(plan)
    if plan.child_own_view == on:
        return plan
    plan.child_own_view = on
    plan.save(update_fields=["child_own_view", "updated_at"])
    _event(actor, plan, "child_own_view", on=on)
    audit.record(
        actor=actor,
        action=AuditAction.PLAN_CHILD_VIEW,
        obj=plan,
        person=plan.person,
        detail={"on": on},
    )
    return plan
