"""The mail (with its .ics) that carries a meeting to each invitee: a summons (kallelse) to
the principals' units, who must attend, or an invitation (inbjudan) to everyone else."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from samplan.consent.coverage import covered_organisation_ids, may_receive_content
from samplan.directory.models import Membership
from samplan.notify import services as notify
from samplan.notify.ics import meeting_calendar
from samplan.plans import links
from samplan.plans.models import Invitation, InvitationKind, Meeting, MeetingMode


def _meeting_text(meeting: Meeting) -> tuple[str, str]:
    where = meeting.location if meeting.mode == MeetingMode.PHYSICAL else meeting.safe_video_url
    local = timezone.localtime(meeting.starts_at)
    when = f"{local:%Y-%m-%d %H:%M}–{timezone.localtime(meeting.ends_at):%H:%M}"
    return when, where


def _send_invitations(meeting_id: int, method: str) -> None:
    for pk in Invitation.objects.filter(meeting_id=meeting_id).values_list("pk", flat=True):
        _send_invitation(pk, method)


def _subject(
    invitation: Invitation, meeting: Meeting, when: str, *, method: str, reminder: bool
) -> str:
    summons = invitation.kind == InvitationKind.SUMMONS
    if method == "CANCEL":
        return _("Inställt: SIP-möte %(when)s") % {"when": when}
    if reminder:
        if summons:
            return _("Påminnelse: kallelse till SIP-möte %(when)s") % {"when": when}
        return _("Påminnelse: inbjudan till SIP-möte %(when)s") % {"when": when}
    if meeting.sequence:
        return _("Ändrad tid eller plats: SIP-möte %(when)s") % {"when": when}
    if summons:
        return _("Kallelse till SIP-möte %(when)s") % {"when": when}
    return _("Inbjudan till SIP-möte %(when)s") % {"when": when}


def _body(invitation: Invitation, meeting: Meeting, when: str, where: str, link: str) -> list[str]:
    if invitation.kind == InvitationKind.SUMMONS:
        lines = [
            _("Du är kallad till ett möte om en samordnad individuell plan (SIP)."),
            _(
                "Kallelsen går till huvudmännen, som ska delta. Kan ni inte komma, se till att "
                "någon med mandat att fatta beslut företräder er."
            ),
        ]
    else:
        lines = [_("Du är inbjuden till ett möte om en samordnad individuell plan (SIP).")]
    lines += ["", _("När: %(when)s") % {"when": when}, _("Var: %(where)s") % {"where": where}]
    if meeting.sip_time_id is not None:
        lines.append(_("Mötet är bokat på en fast SIP-tid."))
    lines += ["", _("Svara här: %(link)s") % {"link": link}]
    if not invitation.unit_id:
        lines += [
            "",
            _(
                "Länken är personlig och gäller i %(days)s dagar. Dela den inte med någon "
                "annan. Med den kan du se mötet och svara en gång."
            )
            % {"days": settings.EXTERNAL_LINK_DAYS},
        ]
    return lines


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
    if invitation.unit_id is None and invitation.link_revoked_at is not None and not cancelled:
        # The coordinator revoked the invitee's link (a wrong address, a lost phone): no new
        # time, place or link goes to that address until a new link is sent.
        return
    when, where = _meeting_text(meeting)
    subject = _subject(invitation, meeting, when, method=method, reminder=reminder)
    if invitation.unit_id:
        # The plan itself opens to the unit only once it takes part: it answers first.
        link = reverse("invitation_answer", args=[invitation.pk])
    else:
        # A new signature for each mail: the link's lifetime counts from this mail.
        link = links.link_path(invitation)
    if cancelled:
        lines = [_("Mötet är inställt."), "", _("När: %(when)s") % {"when": when}]
    else:
        lines = _body(invitation, meeting, when, where, link)
    organiser = meeting.organiser
    summary = (
        _("SIP-möte (kallelse)")
        if invitation.kind == InvitationKind.SUMMONS
        else _("SIP-möte (inbjudan)")
    )
    ics = meeting_calendar(
        uid=meeting.uid,
        sequence=meeting.sequence,
        start=meeting.starts_at,
        end=meeting.ends_at,
        summary=summary,
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
