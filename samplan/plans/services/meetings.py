"""SIP meetings, their invitations and answers, reminders and the mail that carries them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samplan.accounts.models import User
from samplan.agreements.models import SipTime
from samplan.agreements.selectors import sip_slot_fits
from samplan.audit import services as audit
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent.models import Consent
from samplan.core.validators import validate_web_link
from samplan.directory.models import (
    Organisation,
    Unit,
)
from samplan.plans import links
from samplan.plans.lifecycle import Step, StepNotAllowed, require_step
from samplan.plans.links import LinkCheck, LinkPurpose, LinkRefused
from samplan.plans.models import (
    Invitation,
    InvitationAnswer,
    InvitationKind,
    Meeting,
    MeetingMode,
    Participant,
    Plan,
    PlanEvent,
    PlanState,
    new_link_nonce,
)
from samplan.plans.services._common import (
    _event,
    _lock,
    _require_consent,
    _set_state,
)
from samplan.plans.services.meeting_mail import _send_invitation, _send_invitations


@dataclass(frozen=True)
class ExternalInvitee:
    """An invitee without an account. `organisation` as typed; `organisation_id` the
    registry's organisation he or she comes from, if known (else the typed name is looked up
    among the registry's active organisations, exactly and only if it names one). None for a
    next of kin."""

    name: str
    email: str
    organisation: str = ""
    organisation_id: int | None = None


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
    sip_time: SipTime | None = None,
) -> Meeting:
    """Call a SIP meeting and send the summons and invitations (.ics attached): a summons to
    each unit of a principal, an invitation to everyone else. With `sip_time`, the meeting is
    booked on that fixed SIP time: it must be one of its dates and times, and every invited
    unit must keep it free."""
    authz.require(actor, Action.PLAN_EDIT, plan)
    _lock(plan)
    require_step(plan, Step.SCHEDULE_MEETING)
    consent = _require_consent(plan)
    _check_meeting_fields(
        starts_at=starts_at, ends_at=ends_at, mode=mode, location=location, video_url=video_url
    )
    unit_list = list(units)
    external_list = list(externals)
    if not unit_list and not external_list:
        raise ValidationError({"units": [_("Bjud in minst en enhet eller extern deltagare.")]})
    _check_units_covered(consent, unit_list)
    if sip_time is not None and not sip_slot_fits(
        sip_time=sip_time, starts_at=starts_at, ends_at=ends_at, units=unit_list
    ):
        raise ValidationError(
            {
                "sip_slot": [
                    _(
                        "Den fasta SIP-tiden passar inte alla kallade enheter den dagen. Välj "
                        "en annan tid."
                    )
                ]
            }
        )
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
        sip_time=sip_time,
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
    # The principals are summoned and must attend; anyone else is invited.
    kind = InvitationKind.SUMMONS if unit.organisation.is_principal else InvitationKind.INVITATION
    return Invitation.objects.create(meeting=meeting, unit=unit, email=email, kind=kind)


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
        invitee_organisation=_registry_organisation(ext),
        email=ext.email.strip(),
        kind=InvitationKind.INVITATION,
    )


def _registry_organisation(ext: ExternalInvitee) -> Organisation | None:
    """The registry's organisation of an external invitee: the one named by id, or the one
    active organisation whose name is exactly the typed one (case aside); else None."""
    if ext.organisation_id is not None:
        found = Organisation.objects.filter(pk=ext.organisation_id, is_active=True).first()
        if found is None:
            raise ValidationError({"externals": [_("Okänd organisation.")]})
        return found
    name = ext.organisation.strip()
    if not name:
        return None
    matches = list(Organisation.objects.filter(name__iexact=name, is_active=True)[:2])
    return matches[0] if len(matches) == 1 else None


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
    _require_open_meeting(plan, meeting, Step.INVITE)
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


def _require_open_meeting(plan: Plan, meeting: Meeting, step: Step) -> None:
    """The plan's state allows the step, and the meeting is neither cancelled nor held."""
    require_step(plan, step)
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
    _require_open_meeting(plan, meeting, Step.UPDATE_MEETING)
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
    _require_open_meeting(plan, meeting, Step.CANCEL_MEETING)
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
    require_step(meeting.plan, Step.ANSWER_INVITATION)
    if meeting.cancelled_at is not None:
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


def invitation_answer_by_link(
    *, invitation_id: int, token: str, answer: str, reason: str = "", represented_by: str = ""
) -> Invitation:
    """An external invitee without an account answers through the signed link in the mail
    (samplan/plans/links.py). A link answers once: the answer consumes it for answering (it
    still opens the invitation). A refused link raises `LinkRefused`, audited with its reason;
    the refusal's row is written after the answer's transaction has been rolled back, so that
    it stays."""
    check = links.check_link(invitation_id=invitation_id, token=token, purpose=LinkPurpose.ANSWER)
    if check.ok:
        assert check.invitation is not None
        try:
            return _answer_by_link(
                check.invitation,
                answer=answer,
                reason=reason,
                represented_by=represented_by,
            )
        except LinkRefused as exc:
            check = LinkCheck(check.invitation, exc.reason)
    assert check.refusal is not None
    invitation = check.invitation
    audit.record(
        actor=Actor(user=None),
        action="invitation.link_refused",
        obj=invitation,
        person=invitation.meeting.plan.person if invitation is not None else None,
        outcome="denied",
        ground="external invitee's link",
        detail={"reason": str(check.refusal), "purpose": str(LinkPurpose.ANSWER)},
    )
    raise LinkRefused(check.refusal)


@transaction.atomic
def _answer_by_link(
    checked: Invitation, *, answer: str, reason: str, represented_by: str
) -> Invitation:
    plan = _lock(checked.meeting.plan)
    # Re-read under the lock: a second answer with the same link racing this one, or a
    # revocation in between, is refused.
    invitation = (
        Invitation.objects.select_for_update().select_related("meeting__plan").get(pk=checked.pk)
    )
    if invitation.link_nonce != checked.link_nonce:
        raise LinkRefused(links.Refusal.REPLACED)
    if invitation.link_revoked_at is not None:
        raise LinkRefused(links.Refusal.REVOKED)
    if invitation.link_answered_at is not None:
        raise LinkRefused(links.Refusal.REUSED)
    _answer(invitation, answer=answer, reason=reason, represented_by=represented_by, user=None)
    invitation.link_answered_at = invitation.answered_at
    invitation.save(update_fields=["link_answered_at"])
    nobody = Actor(user=None)
    _event(
        nobody, plan, "invitation_answered", invitation=invitation.pk, answer=answer, external=True
    )
    audit.record(
        actor=nobody,
        action="invitation.answer_external",
        obj=invitation,
        person=plan.person,
        ground="external invitee's link",
    )
    return invitation


def _external_invitation(actor: Actor, invitation: Invitation) -> tuple[Plan, Invitation]:
    """The coordinator's hold on an external invitation's link: the plan edited, locked, and
    the invitation re-read under the lock."""
    plan = invitation.meeting.plan
    authz.require(actor, Action.PLAN_EDIT, plan)
    _lock(plan)
    locked = Invitation.objects.select_for_update().select_related("meeting").get(pk=invitation.pk)
    if locked.unit_id is not None:
        raise StepNotAllowed(
            _("Bara en kallelse till en extern deltagare har en länk."), code="not_external"
        )
    locked.meeting.plan = plan
    return plan, locked


@transaction.atomic
def invitation_link_revoke(*, actor: Actor, invitation: Invitation) -> Invitation:
    """The coordinator revokes an external invitee's link: every link mailed for the
    invitation is refused from now on, until a new one is sent (`invitation_link_reissue`).
    Allowed in every state of the plan: closing a door is always allowed."""
    plan, invitation = _external_invitation(actor, invitation)
    if invitation.link_revoked_at is not None:
        raise StepNotAllowed(_("Länken är redan spärrad."), code="revoked")
    invitation.link_revoked_at = timezone.now()
    invitation.save(update_fields=["link_revoked_at"])
    _event(actor, plan, "invitation_link_revoked", invitation=invitation.pk)
    audit.record(actor=actor, action="invitation.link_revoke", obj=invitation, person=plan.person)
    return invitation


@transaction.atomic
def invitation_link_reissue(*, actor: Actor, invitation: Invitation) -> Invitation:
    """The coordinator sends an external invitee a new link (after a revocation, a lost mail,
    or so that the invitee may change an answer): links mailed before are refused as replaced,
    and the new one may answer once. Only for a meeting that is still to be held."""
    plan, invitation = _external_invitation(actor, invitation)
    _require_open_meeting(plan, invitation.meeting, Step.INVITE)
    invitation.link_nonce = new_link_nonce()
    invitation.link_revoked_at = None
    invitation.link_answered_at = None
    invitation.save(update_fields=["link_nonce", "link_revoked_at", "link_answered_at"])
    _event(actor, plan, "invitation_link_reissued", invitation=invitation.pk)
    audit.record(actor=actor, action="invitation.link_reissue", obj=invitation, person=plan.person)
    pk = invitation.pk
    transaction.on_commit(lambda: _send_invitation(pk, "REQUEST"))
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
    _require_open_meeting(plan, meeting, Step.HOLD_MEETING)
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


def _cancel_open_meetings(plan: Plan) -> None:
    """Meetings not yet held are cancelled, and every invitee gets a calendar cancellation."""
    now = timezone.now()
    for meeting in plan.meetings.filter(cancelled_at__isnull=True, held_at__isnull=True):
        meeting.cancelled_at = now
        meeting.sequence += 1
        meeting.save(update_fields=["cancelled_at", "sequence"])
        pk = meeting.pk
        transaction.on_commit(lambda pk=pk: _send_invitations(pk, "CANCEL"))  # type: ignore[misc]
