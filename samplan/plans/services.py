"""The SIP lifecycle. Every step checks that it is allowed, writes its event and audit row in
the same transaction, and notifies after commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, F, Model, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samplan.accounts.models import User
from samplan.audit import services as audit
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent.coverage import covered_organisation_ids, may_receive_content
from samplan.consent.models import Consent, ConsentDecision, ConsentMethod, InformationKind
from samplan.core.validators import validate_web_link
from samplan.directory.models import (
    Membership,
    Organisation,
    OrganisationKind,
    Person,
    Representative,
    Unit,
)
from samplan.notify import services as notify
from samplan.notify.ics import meeting_calendar
from samplan.notify.workdays import add_working_days
from samplan.plans import icf
from samplan.plans.models import (
    DRAFT_STATES,
    Attainment,
    ClosureReason,
    Deviation,
    DeviationStatus,
    FollowUp,
    Goal,
    GoalAttainment,
    InitiatedBy,
    InitiativeReason,
    Intervention,
    InterventionStatus,
    Invitation,
    InvitationAnswer,
    Meeting,
    MeetingMode,
    Need,
    NeedGroup,
    Participant,
    Plan,
    PlanEvent,
    PlanState,
    PlanType,
    PlanVersion,
    invitation_secret_hash,
)

ADULT_AGE = 18


class StepNotAllowed(ValidationError):
    """A lifecycle step that the plan's state does not allow. Nothing is changed."""


class EditConflict(ValidationError):
    """Someone else changed the plan since the form was opened. Nothing is overwritten."""


def _event(actor: Actor, plan: Plan, kind: str, **detail: Any) -> PlanEvent:
    return PlanEvent.objects.create(
        plan=plan, kind=kind, actor=actor.user, unit=actor.unit, detail=detail
    )


def _require_state(plan: Plan, allowed: Iterable[str], message: str) -> None:
    if plan.state not in list(allowed):
        raise StepNotAllowed(message, code="state")


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


def _require_draft(plan: Plan) -> None:
    if plan.state == PlanState.ESTABLISHED:
        raise StepNotAllowed(
            _("Planen är upprättad och kan inte ändras. Påbörja en revidering för att ändra."),
            code="state",
        )
    _require_state(plan, DRAFT_STATES, _("Planen kan inte ändras i sitt nuvarande läge."))


def _edit_draft(
    actor: Actor, plan: Plan, action: Action = Action.PLAN_EDIT, obj: Any = None
) -> None:
    """The start of every change to the draft: the right to make it, the row lock, the state."""
    authz.require(actor, action, plan if obj is None else obj)
    _lock(plan)
    _require_draft(plan)


# Initiative ---------------------------------------------------------------------------------


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


# Consent ------------------------------------------------------------------------------------


def _person_is_child(person: Person, on: date) -> bool:
    born = person.birth_date
    if born is None:
        return False
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return years < ADULT_AGE


@transaction.atomic
def consent_record(
    *,
    actor: Actor,
    plan: Plan,
    decision: str,
    method: str,
    organisations: Iterable[Organisation] = (),
    information_kinds: Iterable[str] = (),
    given_at: datetime | None = None,
    representative: Representative | None = None,
    note: str = "",
) -> Consent:
    """Record the person's (or a guardian's) decision. Refusal closes an initiative."""
    authz.require(actor, Action.CONSENT_RECORD, plan)
    _lock(plan)
    _require_state(
        plan,
        [
            PlanState.INITIATED,
            PlanState.CONSENTED,
            PlanState.INVITED,
            PlanState.MEETING_HELD,
            PlanState.ESTABLISHED,
            PlanState.REVISING,
            PlanState.PAUSED,
        ],
        _("Planen är avslutad. Samtycke kan inte registreras."),
    )
    assert actor.user is not None
    assert actor.unit is not None
    now = timezone.now()
    given_at = given_at or now
    orgs = list(organisations)
    kinds = sorted(set(information_kinds))
    errors: dict[str, list[str]] = {}
    if decision not in ConsentDecision.values:
        errors["decision"] = [_("Välj om personen samtycker eller inte.")]
    if method not in ConsentMethod.values:
        errors["method"] = [_("Välj hur samtycket lämnades.")]
    if given_at > now + timedelta(minutes=5):
        errors["given_at"] = [_("Tidpunkten kan inte ligga i framtiden.")]
    if decision == ConsentDecision.GIVEN:
        if not orgs:
            errors["organisations"] = [_("Välj vilka organisationer samtycket gäller.")]
        if not kinds:
            errors["information_kinds"] = [_("Välj vilka uppgifter samtycket gäller.")]
        if any(k not in InformationKind.values for k in kinds):
            errors["information_kinds"] = [_("Okänd typ av uppgift.")]
    if representative is not None:
        if representative.person_id != plan.person_id:
            errors["representative"] = [_("Företrädaren hör inte till personen.")]
        elif not representative.may_act_for_person:
            errors["representative"] = [
                _("Den här företrädaren har inte rätt att lämna samtycke för personen.")
            ]
    elif _person_is_child(plan.person, given_at.date()):
        errors["representative"] = [
            _("Personen är under 18 år: samtycket lämnas av en vårdnadshavare.")
        ]
    if errors:
        raise ValidationError(errors)

    Consent.objects.filter(plan=plan, revoked_at__isnull=True, superseded_at__isnull=True).update(
        superseded_at=now
    )
    consent = Consent.objects.create(
        plan=plan,
        decision=decision,
        method=method,
        information_kinds=kinds,
        given_at=given_at,
        given_by_representative=representative,
        note=note,
        recorded_by=actor.user,
        recorded_unit=actor.unit,
    )
    consent.organisations.set(orgs)
    _event(
        actor,
        plan,
        "consent_given" if decision == ConsentDecision.GIVEN else "consent_refused",
        consent=consent.pk,
        organisations=sorted(o.pk for o in orgs),
        method=method,
    )
    audit.record(actor=actor, action=f"consent.{decision}", obj=consent, person=plan.person)
    if decision == ConsentDecision.REFUSED:
        if plan.versions.exists():
            _pause(actor, plan)
        else:
            _close(actor, plan, ClosureReason.CONSENT_REFUSED, note)
    elif plan.state == PlanState.INITIATED:
        _set_state(plan, PlanState.CONSENTED)
    elif plan.state == PlanState.PAUSED:
        _set_state(plan, PlanState.ESTABLISHED if plan.versions.exists() else PlanState.CONSENTED)
    return consent


def active_consent(plan: Plan) -> Consent | None:
    return Consent.objects.active().filter(plan=plan).prefetch_related("organisations").first()


@transaction.atomic
def consent_revoke(*, actor: Actor, plan: Plan, note: str = "") -> Consent:
    """Revocation takes effect at once: the plan pauses and other organisations lose access."""
    authz.require(actor, Action.CONSENT_RECORD, plan)
    _lock(plan)
    consent = active_consent(plan)
    if consent is None:
        raise StepNotAllowed(_("Det finns inget gällande samtycke att återkalla."), code="state")
    consent.revoked_at = timezone.now()
    consent.revoked_by = actor.user
    consent.revocation_note = note
    consent.save(update_fields=["revoked_at", "revoked_by", "revocation_note"])
    _event(actor, plan, "consent_revoked", consent=consent.pk)
    audit.record(actor=actor, action="consent.revoke", obj=consent, person=plan.person)
    if plan.state != PlanState.CLOSED:
        _pause(actor, plan)
        _cancel_open_meetings(plan)
    return consent


def _pause(actor: Actor, plan: Plan) -> None:
    _set_state(plan, PlanState.PAUSED)
    _event(actor, plan, "paused")


def _set_state(plan: Plan, state: str) -> None:
    plan.state = state
    plan.save(update_fields=["state", "updated_at"])


def _require_consent(plan: Plan) -> Consent:
    consent = active_consent(plan)
    if consent is None:
        raise StepNotAllowed(
            _("Det finns inget gällande samtycke från personen. Registrera samtycke först."),
            code="consent",
        )
    return consent


# Meetings and invitations -------------------------------------------------------------------


@dataclass(frozen=True)
class ExternalInvitee:
    name: str
    email: str
    organisation: str = ""


def _check_meeting_fields(
    *, starts_at: datetime, ends_at: datetime, mode: str, location: str, video_url: str
) -> None:
    errors: dict[str, list[str]] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = [_("Mötet måste sluta efter att det börjar.")]
    if starts_at < timezone.now() - timedelta(minutes=5):
        errors["starts_at"] = [_("Mötet kan inte börja i det förflutna.")]
    if mode not in MeetingMode.values:
        errors["mode"] = [_("Välj fysiskt eller digitalt möte.")]
    elif mode == MeetingMode.PHYSICAL and not location.strip():
        errors["location"] = [_("Ange var mötet hålls.")]
    elif mode == MeetingMode.DIGITAL and not video_url.strip():
        errors["video_url"] = [_("Ange länken till videomötet.")]
    if "video_url" not in errors:
        try:
            validate_web_link(video_url)
        except ValidationError as exc:
            errors["video_url"] = exc.messages
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def meeting_schedule(
    *,
    actor: Actor,
    plan: Plan,
    starts_at: datetime,
    ends_at: datetime,
    mode: str,
    location: str = "",
    video_url: str = "",
    agenda: str = "",
    units: Iterable[Unit] = (),
    externals: Iterable[ExternalInvitee] = (),
) -> Meeting:
    """Call a SIP meeting and send the invitations (.ics attached)."""
    authz.require(actor, Action.PLAN_EDIT, plan)
    _lock(plan)
    _require_state(
        plan,
        [
            PlanState.CONSENTED,
            PlanState.INVITED,
            PlanState.MEETING_HELD,
            PlanState.ESTABLISHED,
            PlanState.REVISING,
        ],
        _("Det går inte att kalla till möte i planens nuvarande läge."),
    )
    consent = _require_consent(plan)
    _check_meeting_fields(
        starts_at=starts_at, ends_at=ends_at, mode=mode, location=location, video_url=video_url
    )
    unit_list = list(units)
    external_list = list(externals)
    if not unit_list and not external_list:
        raise ValidationError({"units": [_("Bjud in minst en enhet eller extern deltagare.")]})
    _check_units_covered(consent, unit_list)
    assert actor.user is not None
    meeting = Meeting(
        plan=plan,
        starts_at=starts_at,
        ends_at=ends_at,
        mode=mode,
        location=location,
        video_url=video_url,
        agenda=agenda,
        organiser=actor.user,
    )
    meeting.full_clean(exclude=["uid"])
    meeting.save()
    for unit in unit_list:
        _invite_unit(meeting, unit)
    for ext in external_list:
        _invite_external(meeting, ext)
    if plan.state == PlanState.CONSENTED:
        _set_state(plan, PlanState.INVITED)
    _event(
        actor,
        plan,
        "meeting_scheduled",
        meeting=meeting.pk,
        invitations=list(meeting.invitations.values_list("pk", flat=True)),
    )
    audit.record(actor=actor, action="meeting.schedule", obj=meeting, person=plan.person)
    transaction.on_commit(lambda: _send_invitations(meeting.pk, "REQUEST"))
    return meeting


def _check_units_covered(consent: Consent, units: list[Unit]) -> None:
    covered = {o.pk for o in consent.organisations.all()}
    outside = sorted({u.organisation.name for u in units if u.organisation_id not in covered})
    if outside:
        raise ValidationError(
            {
                "units": [
                    _("Personens samtycke omfattar inte: %(orgs)s.") % {"orgs": ", ".join(outside)}
                ]
            }
        )


def _invite_unit(meeting: Meeting, unit: Unit) -> Invitation:
    if not unit.is_active:
        raise ValidationError({"units": [_("Enheten %(unit)s är inte aktiv.") % {"unit": unit}]})
    email = unit.email or next(
        (
            m.user.email
            for m in unit.memberships.filter(is_active=True).select_related("user")
            if m.user.email
        ),
        "",
    )
    if not email:
        raise ValidationError(
            {"units": [_("Enheten %(unit)s saknar e-postadress.") % {"unit": unit.name}]}
        )
    return Invitation.objects.create(meeting=meeting, unit=unit, email=email)


def _invite_external(meeting: Meeting, ext: ExternalInvitee) -> Invitation:
    if not ext.name.strip() or not ext.email.strip():
        raise ValidationError({"externals": [_("Ange namn och e-post för extern deltagare.")]})
    try:
        validate_email(ext.email.strip())
    except ValidationError:
        raise ValidationError(
            {"externals": [_("E-postadressen %(email)s är inte giltig.") % {"email": ext.email}]}
        ) from None
    return Invitation.objects.create(
        meeting=meeting,
        external_name=ext.name.strip(),
        external_organisation=ext.organisation.strip(),
        email=ext.email.strip(),
    )


@transaction.atomic
def invitation_add(
    *,
    actor: Actor,
    meeting: Meeting,
    unit: Unit | None = None,
    external: ExternalInvitee | None = None,
) -> Invitation:
    plan = meeting.plan
    authz.require(actor, Action.PLAN_EDIT, plan)
    _lock(plan)
    _require_open_meeting(plan, meeting)
    if unit is not None:
        _check_units_covered(_require_consent(plan), [unit])
        invitation = _invite_unit(meeting, unit)
    elif external is not None:
        invitation = _invite_external(meeting, external)
    else:
        raise ValidationError({"units": [_("Välj vem som ska bjudas in.")]})
    _event(actor, plan, "invitation_added", invitation=invitation.pk)
    audit.record(actor=actor, action="invitation.add", obj=invitation, person=plan.person)
    transaction.on_commit(lambda: _send_invitation(invitation.pk, "REQUEST"))
    return invitation


def _require_open_meeting(plan: Plan, meeting: Meeting) -> None:
    if plan.state in (PlanState.CLOSED, PlanState.PAUSED):
        raise StepNotAllowed(
            _("Planen är avslutad eller vilande. Det går inte att kalla eller ändra möten."),
            code="state",
        )
    if meeting.cancelled_at is not None:
        raise StepNotAllowed(_("Mötet är inställt."), code="state")
    if meeting.held_at is not None:
        raise StepNotAllowed(_("Mötet är redan hållet."), code="state")


@transaction.atomic
def meeting_update(
    *,
    actor: Actor,
    meeting: Meeting,
    starts_at: datetime,
    ends_at: datetime,
    mode: str,
    location: str = "",
    video_url: str = "",
    agenda: str = "",
) -> Meeting:
    """Move or change a meeting; every invitee gets an update with the same calendar UID."""
    plan = meeting.plan
    authz.require(actor, Action.PLAN_EDIT, plan)
    _lock(plan)
    _require_open_meeting(plan, meeting)
    _check_meeting_fields(
        starts_at=starts_at, ends_at=ends_at, mode=mode, location=location, video_url=video_url
    )
    meeting.starts_at, meeting.ends_at, meeting.mode = starts_at, ends_at, mode
    meeting.location, meeting.video_url, meeting.agenda = location, video_url, agenda
    meeting.sequence += 1
    # The model's own checks too (the video link's scheme, lengths), as when it was scheduled.
    meeting.full_clean(exclude=["uid"])
    meeting.save()
    _event(actor, plan, "meeting_changed", meeting=meeting.pk, sequence=meeting.sequence)
    audit.record(actor=actor, action="meeting.update", obj=meeting, person=plan.person)
    transaction.on_commit(lambda: _send_invitations(meeting.pk, "REQUEST"))
    return meeting


@transaction.atomic
def meeting_cancel(*, actor: Actor, meeting: Meeting, reason: str = "") -> Meeting:
    plan = meeting.plan
    authz.require(actor, Action.PLAN_EDIT, plan)
    _lock(plan)
    _require_open_meeting(plan, meeting)
    meeting.cancelled_at = timezone.now()
    meeting.sequence += 1
    meeting.save(update_fields=["cancelled_at", "sequence"])
    _event(actor, plan, "meeting_cancelled", meeting=meeting.pk, reason=reason)
    audit.record(actor=actor, action="meeting.cancel", obj=meeting, person=plan.person)
    if (
        plan.state == PlanState.INVITED
        and not plan.meetings.filter(cancelled_at__isnull=True).exists()
    ):
        _set_state(plan, PlanState.CONSENTED)
    transaction.on_commit(lambda: _send_invitations(meeting.pk, "CANCEL"))
    return meeting


def _answer(
    invitation: Invitation, *, answer: str, reason: str, represented_by: str, user: User | None
) -> None:
    meeting = invitation.meeting
    if meeting.cancelled_at is not None or meeting.plan.state == PlanState.CLOSED:
        raise StepNotAllowed(_("Mötet är inställt eller planen avslutad."), code="state")
    if meeting.held_at is not None:
        raise StepNotAllowed(_("Mötet är redan hållet."), code="state")
    errors: dict[str, list[str]] = {}
    if answer not in (
        InvitationAnswer.ACCEPTED,
        InvitationAnswer.DECLINED,
        InvitationAnswer.REPRESENTED,
    ):
        errors["answer"] = [_("Välj ett svar.")]
    elif answer == InvitationAnswer.DECLINED and not reason.strip():
        errors["decline_reason"] = [_("Ange varför ni inte kan komma.")]
    elif answer == InvitationAnswer.REPRESENTED and not represented_by.strip():
        errors["represented_by"] = [_("Ange vem som företräder er.")]
    if errors:
        raise ValidationError(errors)
    invitation.answer = answer
    invitation.decline_reason = reason.strip() if answer == InvitationAnswer.DECLINED else ""
    invitation.represented_by = (
        represented_by.strip() if answer == InvitationAnswer.REPRESENTED else ""
    )
    invitation.answered_at = timezone.now()
    invitation.answered_by = user
    invitation.save()
    if invitation.unit_id and answer in (InvitationAnswer.ACCEPTED, InvitationAnswer.REPRESENTED):
        Participant.objects.update_or_create(
            plan=meeting.plan, unit_id=invitation.unit_id, defaults={"left_at": None}
        )


@transaction.atomic
def invitation_answer(
    *,
    actor: Actor,
    invitation: Invitation,
    answer: str,
    reason: str = "",
    represented_by: str = "",
) -> Invitation:
    authz.require(actor, Action.INVITATION_ANSWER, invitation)
    plan = _lock(invitation.meeting.plan)
    _answer(
        invitation, answer=answer, reason=reason, represented_by=represented_by, user=actor.user
    )
    _event(actor, plan, "invitation_answered", invitation=invitation.pk, answer=answer)
    audit.record(actor=actor, action="invitation.answer", obj=invitation, person=plan.person)
    return invitation


@transaction.atomic
def invitation_answer_by_token(
    *, token: str, answer: str, reason: str = "", represented_by: str = ""
) -> Invitation:
    """An external invitee without an account answers through the link in the mail."""
    invitation = (
        Invitation.objects.select_related("meeting__plan")
        .filter(token_hash=invitation_secret_hash(token))
        .first()
        if token and len(token) <= 64
        else None
    )
    if invitation is None or invitation.unit_id is not None:
        raise authz.Denied(Action.INVITATION_ANSWER)
    plan = _lock(invitation.meeting.plan)
    _answer(invitation, answer=answer, reason=reason, represented_by=represented_by, user=None)
    system = Actor.system()
    _event(
        system, plan, "invitation_answered", invitation=invitation.pk, answer=answer, external=True
    )
    audit.record(
        actor=system, action="invitation.answer_external", obj=invitation, person=plan.person
    )
    return invitation


@transaction.atomic
def meeting_record_held(
    *,
    actor: Actor,
    meeting: Meeting,
    attended: Iterable[Invitation],
    minutes: str = "",
    held_at: datetime | None = None,
) -> Meeting:
    """Record that the meeting took place and who actually attended."""
    plan = meeting.plan
    authz.require(actor, Action.PLAN_EDIT, plan)
    _lock(plan)
    _require_open_meeting(plan, meeting)
    held_at = held_at or timezone.now()
    if held_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"held_at": [_("Mötet kan inte ha hållits i framtiden.")]})
    if held_at < meeting.starts_at - timedelta(hours=1):
        raise StepNotAllowed(
            _("Mötet kan inte registreras som hållet innan det har börjat."), code="early"
        )
    present = {i.pk for i in attended}
    invitations = list(meeting.invitations.all())
    if present - {i.pk for i in invitations}:
        raise ValidationError({"attended": [_("Okänd deltagare.")]})
    for invitation in invitations:
        invitation.attended = invitation.pk in present
        invitation.save(update_fields=["attended"])
    meeting.held_at = held_at
    meeting.minutes = minutes
    meeting.save(update_fields=["held_at", "minutes"])
    if plan.state == PlanState.INVITED:
        _set_state(plan, PlanState.MEETING_HELD)
    _event(actor, plan, "meeting_held", meeting=meeting.pk, attended=sorted(present))
    audit.record(actor=actor, action="meeting.held", obj=meeting, person=plan.person)
    return meeting


REMINDER_AFTER = timedelta(days=2)
MAX_REMINDERS = 3


def invitations_remind_due(*, now: datetime | None = None) -> int:
    """Remind invitees who have not answered; run by `samplan remind` (cron)."""
    now = now or timezone.now()
    due = Invitation.objects.filter(
        answer=InvitationAnswer.PENDING,
        meeting__cancelled_at__isnull=True,
        meeting__held_at__isnull=True,
        meeting__starts_at__gt=now,
        reminders_sent__lt=MAX_REMINDERS,
        created_at__lte=now - REMINDER_AFTER,
    ).exclude(last_reminded_at__gt=now - REMINDER_AFTER)
    sent = 0
    for invitation in due.select_related("meeting__plan"):
        with transaction.atomic():
            invitation.reminders_sent += 1
            invitation.last_reminded_at = now
            invitation.save(update_fields=["reminders_sent", "last_reminded_at"])
            PlanEvent.objects.create(
                plan=invitation.meeting.plan,
                kind="invitation_reminded",
                detail={"invitation": invitation.pk, "count": invitation.reminders_sent},
            )
            pk = invitation.pk
            transaction.on_commit(lambda pk=pk: _send_invitation(pk, "REQUEST", reminder=True))  # type: ignore[misc]
        sent += 1
    return sent


def _meeting_text(meeting: Meeting) -> tuple[str, str]:
    where = meeting.location if meeting.mode == MeetingMode.PHYSICAL else meeting.safe_video_url
    local = timezone.localtime(meeting.starts_at)
    when = f"{local:%Y-%m-%d %H:%M}–{timezone.localtime(meeting.ends_at):%H:%M}"
    return when, where


def _send_invitations(meeting_id: int, method: str) -> None:
    for pk in Invitation.objects.filter(meeting_id=meeting_id).values_list("pk", flat=True):
        _send_invitation(pk, method)


def _send_invitation(invitation_id: int, method: str, *, reminder: bool = False) -> None:
    """Mail one invitee. The mail names no person: it says when and where, and links to
    Samplan (or, for external invitees, to the answer page of their own invitation).

    Time, place and agenda go only where the active consent reaches (a unit of a covered
    organisation, or the initiating unit); the services refuse to invite anyone else, but the
    consent may have been narrowed or revoked since. Then an invitation, change or reminder is
    not sent at all: the invitee should not come, and a coordinator would not want the new
    time, place or agenda spread beyond the consent. A cancellation still goes out, with the
    time the invitee already has and without place or agenda, so that the meeting leaves the
    invitee's calendar.
    """
    invitation = Invitation.objects.select_related(
        "meeting__plan", "meeting__organiser", "unit"
    ).get(pk=invitation_id)
    meeting = invitation.meeting
    plan = meeting.plan
    covered = covered_organisation_ids(plan)
    if invitation.unit is not None:
        content = may_receive_content(
            plan,
            unit_id=invitation.unit.pk,
            organisation_id=invitation.unit.organisation_id,
            covered=covered,
        )
    else:
        # An external invitee has no organisation for the consent to name: the coordinator
        # invites him or her with the person. The invitation follows the consent as a whole.
        content = bool(covered)
    cancelled = method == "CANCEL"
    if not content and not cancelled:
        return
    when, where = _meeting_text(meeting)
    if cancelled:
        subject = _("Inställt: SIP-möte %(when)s") % {"when": when}
    elif reminder:
        subject = _("Påminnelse: kallelse till SIP-möte %(when)s") % {"when": when}
    elif meeting.sequence:
        subject = _("Ändrad tid eller plats: SIP-möte %(when)s") % {"when": when}
    else:
        subject = _("Kallelse till SIP-möte %(when)s") % {"when": when}
    if invitation.unit_id:
        # The plan itself opens to the unit only once it takes part: it answers first.
        link = reverse("invitation_answer", args=[invitation.pk])
    else:
        link = reverse("invitation_answer_external", args=[invitation.link_secret()])
    lines = [
        _("Du är kallad till ett möte om en samordnad individuell plan (SIP)."),
        "",
        _("När: %(when)s") % {"when": when},
        _("Var: %(where)s") % {"where": where},
        "",
    ]
    if cancelled:
        lines = [_("Mötet är inställt."), "", _("När: %(when)s") % {"when": when}]
    else:
        lines.append(_("Svara här: %(link)s") % {"link": link})
    organiser = meeting.organiser
    ics = meeting_calendar(
        uid=meeting.uid,
        sequence=meeting.sequence,
        start=meeting.starts_at,
        end=meeting.ends_at,
        summary=_("SIP-möte"),
        location=where if content else "",
        description=meeting.agenda if content else "",
        organizer_email=organiser.email or settings.DEFAULT_FROM_EMAIL,
        organizer_name=organiser.display_name,
        attendees=[(invitation.email, invitation.invitee_name)],
        method="CANCEL" if cancelled else "REQUEST",
        video_url=meeting.safe_video_url if content else "",
    )
    notify.mail_queue(
        to=[invitation.email],
        subject=subject,
        body="\n".join(lines),
        ics=ics,
        ics_method="CANCEL" if cancelled else "REQUEST",
        topic="invitation",
        related=invitation,
    )
    if invitation.unit_id:
        for membership in Membership.objects.filter(
            unit_id=invitation.unit_id, is_active=True, user__is_active=True
        ).select_related("user"):
            notify.inbox_post(
                user=membership.user, subject=subject, body="\n".join(lines), url=link
            )


# The draft ----------------------------------------------------------------------------------


PLAN_DETAIL_FIELDS = {
    "title",
    "lead_organisation",
    "coordinator",
    "coordinator_unit",
    "coordinator_phone",
    "coordinator_email",
    "time_plan",
    "evaluation_plan",
    "existing_plan_reference",
    "lss_decision_date",
}


@transaction.atomic
def plan_update_details(
    *, actor: Actor, plan: Plan, expected_revision: int | None = None, **fields: Any
) -> Plan:
    _edit_draft(actor, plan)
    unknown = set(fields) - PLAN_DETAIL_FIELDS
    if unknown:
        raise ValidationError(_("Okända fält: %(f)s") % {"f": ", ".join(sorted(unknown))})
    errors: dict[str, list[str]] = {}
    lead = fields.get("lead_organisation", plan.lead_organisation)
    if lead is not None and lead.kind not in (
        OrganisationKind.MUNICIPALITY,
        OrganisationKind.REGION,
    ):
        errors["lead_organisation"] = [
            _("Det övergripande ansvaret ligger hos en huvudman: en kommun eller en region.")
        ]
    coordinator = fields.get("coordinator", plan.coordinator)
    coordinator_unit = fields.get("coordinator_unit", plan.coordinator_unit)
    if coordinator is not None and coordinator_unit is None:
        membership = (
            coordinator.memberships.filter(
                is_active=True,
                unit__participations__plan=plan,
                unit__participations__left_at__isnull=True,
            )
            .select_related("unit__organisation")
            .first()
        )
        coordinator_unit = membership.unit if membership else None
        fields["coordinator_unit"] = coordinator_unit
    # The unit is checked whether or not a coordinator is named in it (yet): it must be one of
    # a principal's units that takes part in the plan now.
    if coordinator_unit is not None:
        if not plan.participants.filter(unit=coordinator_unit, left_at__isnull=True).exists():
            errors["coordinator_unit"] = [
                _("Samordnarens enhet måste vara en enhet som deltar i planen.")
            ]
        elif not coordinator_unit.organisation.is_principal:
            errors["coordinator_unit"] = [
                _("Samordnaren ska komma från en av huvudmännen (kommun eller region).")
            ]
    if coordinator is not None:
        if (
            coordinator_unit is None
            or not coordinator.is_active
            or not coordinator.memberships.filter(unit=coordinator_unit, is_active=True).exists()
        ):
            errors["coordinator"] = [_("Samordnaren måste arbeta i en enhet som deltar i planen.")]
        elif not errors.get("coordinator_unit"):
            same = coordinator == plan.coordinator
            fields.setdefault(
                "coordinator_phone", plan.coordinator_phone if same else coordinator.phone
            )
            fields.setdefault(
                "coordinator_email", plan.coordinator_email if same else coordinator.email
            )
    if errors:
        raise ValidationError(errors)
    _bump(plan, expected_revision)
    changed = [k for k, v in fields.items() if getattr(plan, k) != v]
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.full_clean(exclude=["person", "initiating_unit", "initiating_user"])
    plan.save()
    _event(actor, plan, "draft_changed", fields=sorted(changed))
    audit.record(
        actor=actor,
        action="plan.update",
        obj=plan,
        person=plan.person,
        detail={"fields": sorted(changed)},
    )
    return plan


def _draft_item(
    actor: Actor, plan: Plan, expected_revision: int | None, action: str, obj: Model, kind: str
) -> None:
    _bump(plan, expected_revision)
    _event(actor, plan, "draft_changed", item=kind, id=obj.pk)
    audit.record(actor=actor, action=action, obj=obj, person=plan.person)


@transaction.atomic
def need_add(
    *,
    actor: Actor,
    plan: Plan,
    kind: str,
    description: str,
    icf_code: str = "",
    expected_revision: int | None = None,
) -> Need:
    _edit_draft(actor, plan)
    need = Need(
        plan=plan,
        kind=kind,
        description=description.strip(),
        icf_code=_icf(icf_code),
        order=plan.needs.count(),
    )
    need.full_clean()
    need.save()
    _draft_item(actor, plan, expected_revision, "need.add", need, "need")
    return need


def _icf(code: str) -> str:
    try:
        return icf.validate(code)
    except ValidationError as exc:
        raise ValidationError({"icf_code": exc.messages}) from None


@transaction.atomic
def need_update(
    *,
    actor: Actor,
    need: Need,
    kind: str,
    description: str,
    icf_code: str = "",
    expected_revision: int | None = None,
) -> Need:
    plan = need.plan
    _edit_draft(actor, plan)
    need.kind, need.description, need.icf_code = kind, description.strip(), _icf(icf_code)
    need.full_clean()
    need.save()
    _draft_item(actor, plan, expected_revision, "need.update", need, "need")
    return need


@transaction.atomic
def need_remove(*, actor: Actor, need: Need, expected_revision: int | None = None) -> None:
    plan = need.plan
    _edit_draft(actor, plan)
    _draft_item(actor, plan, expected_revision, "need.remove", need, "need")
    need.delete()


@transaction.atomic
def goal_add(
    *,
    actor: Actor,
    plan: Plan,
    shared_goal: str,
    person_words: str = "",
    target_date: date | None = None,
    expected_revision: int | None = None,
) -> Goal:
    _edit_draft(actor, plan)
    goal = Goal(
        plan=plan,
        shared_goal=shared_goal.strip(),
        person_words=person_words.strip(),
        target_date=target_date,
        order=plan.goals.count(),
    )
    goal.full_clean()
    goal.save()
    _draft_item(actor, plan, expected_revision, "goal.add", goal, "goal")
    return goal


@transaction.atomic
def goal_update(
    *,
    actor: Actor,
    goal: Goal,
    shared_goal: str,
    person_words: str = "",
    target_date: date | None = None,
    expected_revision: int | None = None,
) -> Goal:
    plan = goal.plan
    _edit_draft(actor, plan)
    goal.shared_goal, goal.person_words = shared_goal.strip(), person_words.strip()
    goal.target_date = target_date
    goal.full_clean()
    goal.save()
    _draft_item(actor, plan, expected_revision, "goal.update", goal, "goal")
    return goal


@transaction.atomic
def goal_remove(*, actor: Actor, goal: Goal, expected_revision: int | None = None) -> None:
    plan = goal.plan
    _edit_draft(actor, plan)
    _draft_item(actor, plan, expected_revision, "goal.remove", goal, "goal")
    goal.delete()


def _check_intervention(fields: dict[str, Any], plan: Plan) -> None:
    errors: dict[str, list[str]] = {}
    org = fields.get("responsible_organisation")
    unit = fields.get("responsible_unit")
    staff = fields.get("responsible_staff")
    if org is None:
        errors["responsible_organisation"] = [_("Ange vilken organisation som ansvarar.")]
    elif unit is not None and unit.organisation_id != org.pk:
        errors["responsible_unit"] = [_("Enheten hör inte till den ansvariga organisationen.")]
    if (
        staff is not None
        and unit is not None
        and not staff.memberships.filter(unit=unit, is_active=True).exists()
    ):
        errors["responsible_staff"] = [_("Personen arbetar inte i den ansvariga enheten.")]
    elif (
        staff is not None
        and org is not None
        and not staff.memberships.filter(unit__organisation=org, is_active=True).exists()
    ):
        errors["responsible_staff"] = [_("Personen arbetar inte i den ansvariga organisationen.")]
    if fields.get("status") not in InterventionStatus.values:
        errors["status"] = [_("Ange om insatsen är planerad eller beslutad.")]
    start, end = fields.get("start_date"), fields.get("end_date")
    if start and end and end < start:
        errors["end_date"] = [_("Slutdatumet kan inte ligga före startdatumet.")]
    goal = fields.get("goal")
    if goal is not None and goal.plan_id != plan.pk:
        errors["goal"] = [_("Målet hör inte till den här planen.")]
    if not str(fields.get("description", "")).strip():
        errors["description"] = [_("Beskriv insatsen.")]
    if errors:
        raise ValidationError(errors)


INTERVENTION_FIELDS = {
    "description",
    "responsible_organisation",
    "responsible_unit",
    "responsible_staff",
    "status",
    "start_date",
    "end_date",
    "goal",
}


@transaction.atomic
def intervention_add(
    *, actor: Actor, plan: Plan, expected_revision: int | None = None, **fields: Any
) -> Intervention:
    _edit_draft(actor, plan)
    fields = {k: fields.get(k) for k in INTERVENTION_FIELDS}
    _check_intervention(fields, plan)
    intervention = Intervention(plan=plan, order=plan.interventions.count(), **fields)
    intervention.full_clean()
    intervention.save()
    _draft_item(actor, plan, expected_revision, "intervention.add", intervention, "intervention")
    return intervention


@transaction.atomic
def intervention_update(
    *,
    actor: Actor,
    intervention: Intervention,
    expected_revision: int | None = None,
    **fields: Any,
) -> Intervention:
    """The plan's editors, and each organisation for its own interventions."""
    plan = intervention.plan
    _edit_draft(actor, plan, Action.INTERVENTION_EDIT, intervention)
    merged = {k: fields.get(k, getattr(intervention, k)) for k in INTERVENTION_FIELDS}
    if not authz.can(actor, Action.PLAN_EDIT, plan) and (
        merged["responsible_organisation"] != intervention.responsible_organisation
    ):
        raise ValidationError(
            {
                "responsible_organisation": [
                    _("Du kan inte flytta insatsen till en annan organisation.")
                ]
            }
        )
    _check_intervention(merged, plan)
    for name, value in merged.items():
        setattr(intervention, name, value)
    intervention.full_clean()
    intervention.save()
    _draft_item(actor, plan, expected_revision, "intervention.update", intervention, "intervention")
    return intervention


@transaction.atomic
def intervention_remove(
    *, actor: Actor, intervention: Intervention, expected_revision: int | None = None
) -> None:
    plan = intervention.plan
    _edit_draft(actor, plan, Action.INTERVENTION_EDIT, intervention)
    _draft_item(actor, plan, expected_revision, "intervention.remove", intervention, "intervention")
    intervention.delete()


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
    if plan.state in (PlanState.CLOSED, PlanState.PAUSED):
        raise StepNotAllowed(_("Planen är avslutad eller vilande."), code="state")
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


# Completeness, establishing and revising ----------------------------------------------------


@dataclass(frozen=True)
class MissingItem:
    key: str
    message: str


MISSING_MESSAGES = {
    "consent": gettext_lazy("Gällande samtycke från personen"),
    "meeting": gettext_lazy("Ett hållet SIP-möte"),
    "needs": gettext_lazy("Personens behov, förutsättningar och intressen"),
    "goals": gettext_lazy("Mål för de samordnade insatserna"),
    "interventions": gettext_lazy("Planerade och beslutade insatser"),
    "principals": gettext_lazy("Både kommun och region deltar i planen"),
    "lead_organisation": gettext_lazy("Vilken huvudman som har det övergripande ansvaret"),
    "coordinator": gettext_lazy("Samordnarens namn"),
    "coordinator_contact": gettext_lazy("Samordnarens kontaktuppgifter (telefon och e-post)"),
    "time_plan": gettext_lazy("En tidsplan för samordningen"),
    "evaluation_plan": gettext_lazy("Vad som ska följas upp eller utvärderas"),
    "follow_up": gettext_lazy("En inplanerad uppföljning med datum"),
    "lss_yearly_review": gettext_lazy("Uppföljning inom ett år (individuell plan enligt LSS)"),
    "existing_plan": gettext_lazy("Vilken befintlig plan som kompletteras"),
}


def plan_missing_items(*, plan: Plan) -> list[MissingItem]:
    """Every required item the plan still lacks (SoL/HSL 16:4 and SOSFS 2008:20)."""
    return plans_missing_items(plans=[plan])[plan.pk]


def _exists(model: type[Model], **lookups: Any) -> Exists:
    return Exists(model._default_manager.filter(plan=OuterRef("pk"), **lookups))


def plans_missing_items(*, plans: Iterable[Plan]) -> dict[int, list[MissingItem]]:
    """The completeness check for many plans in one query (the worklists show it for every
    draft); each plan's facts come from EXISTS subqueries."""
    ids = [p.pk for p in plans]
    within_a_year = timezone.localdate() + timedelta(days=365)
    facts = Plan.objects.filter(pk__in=ids).annotate(
        f_consent=Exists(Consent.objects.active().filter(plan=OuterRef("pk"))),
        f_version=_exists(PlanVersion),
        f_held_meeting=_exists(Meeting, held_at__isnull=False),
        f_need=_exists(Need),
        f_goal=Exists(Goal.objects.filter(plan=OuterRef("pk")).exclude(shared_goal="")),
        f_intervention=_exists(Intervention),
        f_municipality=_exists(
            Participant,
            left_at__isnull=True,
            unit__organisation__kind=OrganisationKind.MUNICIPALITY,
        ),
        f_region=_exists(
            Participant, left_at__isnull=True, unit__organisation__kind=OrganisationKind.REGION
        ),
        f_follow_up=_exists(FollowUp, done_at__isnull=True),
        f_follow_up_within_year=_exists(
            FollowUp, done_at__isnull=True, due_date__lte=within_a_year
        ),
    )
    result: dict[int, list[MissingItem]] = {}
    for plan in facts:
        f = plan.__dict__
        missing = [
            key
            for key, lacking in (
                ("consent", not f["f_consent"]),
                ("meeting", not f["f_version"] and not f["f_held_meeting"]),
                ("needs", not f["f_need"]),
                ("goals", not f["f_goal"]),
                ("interventions", not f["f_intervention"]),
                ("principals", not (f["f_municipality"] and f["f_region"])),
                ("lead_organisation", plan.lead_organisation_id is None),
                ("coordinator", plan.coordinator_id is None),
                (
                    "coordinator_contact",
                    plan.coordinator_id is not None
                    and not (plan.coordinator_phone and plan.coordinator_email),
                ),
                ("time_plan", not plan.time_plan.strip()),
                ("evaluation_plan", not plan.evaluation_plan.strip()),
                ("follow_up", not f["f_follow_up"]),
                (
                    "lss_yearly_review",
                    plan.plan_type == PlanType.LSS_IP and not f["f_follow_up_within_year"],
                ),
                (
                    "existing_plan",
                    plan.plan_type in (PlanType.HABILITATION, PlanType.REHABILITATION)
                    and not plan.existing_plan_reference.strip(),
                ),
            )
            if lacking
        ]
        result[plan.pk] = [MissingItem(key, str(MISSING_MESSAGES[key])) for key in missing]
    return result


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
def plan_establish(*, actor: Actor, plan: Plan) -> PlanVersion:
    """Freeze the draft as version n+1. A plan with missing items stays a draft."""
    authz.require(actor, Action.PLAN_EDIT, plan)
    _lock(plan)
    if plan.state == PlanState.ESTABLISHED:
        raise StepNotAllowed(_("Planen är redan upprättad."), code="state")
    _require_consent(plan)
    _require_state(
        plan,
        [PlanState.MEETING_HELD, PlanState.REVISING, PlanState.INVITED, PlanState.CONSENTED],
        _("Planen kan inte upprättas i sitt nuvarande läge."),
    )
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
    _require_state(
        plan,
        [PlanState.ESTABLISHED],
        _("Bara en upprättad plan kan revideras."),
    )
    _require_consent(plan)
    _set_state(plan, PlanState.REVISING)
    _event(actor, plan, "revision_started", reason=reason)
    audit.record(actor=actor, action="plan.revise", obj=plan, person=plan.person)
    return plan


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
    if plan.state in (PlanState.CLOSED, PlanState.PAUSED):
        raise StepNotAllowed(_("Planen är avslutad eller vilande."), code="state")
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


# Deviations and closure ---------------------------------------------------------------------


@transaction.atomic
def deviation_report(
    *, actor: Actor, plan: Plan, kind: str, description: str, addressed_to: Organisation
) -> Deviation:
    authz.require(actor, Action.DEVIATION_REPORT, plan)
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


@transaction.atomic
def plan_close(*, actor: Actor, plan: Plan, reason: str, note: str = "") -> Plan:
    authz.require(actor, Action.PLAN_EDIT, plan)
    _lock(plan)
    if plan.state == PlanState.CLOSED:
        raise StepNotAllowed(_("Planen är redan avslutad."), code="state")
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


def _cancel_open_meetings(plan: Plan) -> None:
    """Meetings not yet held are cancelled, and every invitee gets a calendar cancellation."""
    now = timezone.now()
    for meeting in plan.meetings.filter(cancelled_at__isnull=True, held_at__isnull=True):
        meeting.cancelled_at = now
        meeting.sequence += 1
        meeting.save(update_fields=["cancelled_at", "sequence"])
        pk = meeting.pk
        transaction.on_commit(lambda pk=pk: _send_invitations(pk, "CANCEL"))  # type: ignore[misc]


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


def _notify_participants(plan_id: int, what: str, version: int) -> None:
    plan = Plan.objects.get(pk=plan_id)
    subject = _("Planen är upprättad (version %(n)s)") % {"n": version}
    for user, content in _staff_in_plan(plan).items():
        # The notice names no one but links to the plan, which a unit outside the consent
        # cannot open and has nothing to do with: such a unit is not told.
        if content:
            notify.inbox_post(user=user, subject=subject, body=subject, url=plan.get_absolute_url())


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
