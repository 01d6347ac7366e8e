"""Reaching an invitation through an external invitee's signed link.

The link is checked by `samplan.plans.links.check_link`; what the invitee may see is the
policy's (`policy.external_invitee_sees_meeting`, `policy.external_invitee_organisation_id`).
Every use is audited: an open as `invitation.link_open` (a read of the person's data, though
the page never names the person), a refusal as `invitation.link_refused` with its reason. The
actor is nobody: no user, no unit; the link is the only credential, and a signed-in user who
opens one is treated as anyone else holding it."""

from __future__ import annotations

from dataclasses import dataclass

from samplan.audit import services as audit_log
from samplan.audit.actions import AuditAction
from samplan.audit.models import Outcome
from samplan.authz import policy
from samplan.authz.actor import Actor
from samplan.documents.content import InterventionItem, document_content
from samplan.plans.links import LinkCheck, LinkPurpose, LinkRefused, Refusal, check_link
from samplan.plans.models import Invitation, Meeting

GROUND = "external invitee's link"


def link_actor() -> Actor:
    """Whoever holds an external invitee's link: no user, no unit, not the system."""
    return Actor(user=None)


@dataclass(frozen=True)
class InvitationLinkAccess:
    """An invitation as its external invitee may see it, and nothing more of the plan."""

    invitation: Invitation
    meeting: Meeting
    sees_meeting: bool  # place or video link, agenda, who is invited (else the time only)
    invitees: tuple[str, ...]  # units by name, other external invitees by organisation
    organisation: str  # whose interventions are shown ("" for none)
    interventions: tuple[InterventionItem, ...]
    may_answer: bool  # the link has not been used to answer yet


def audit_link_refused(check: LinkCheck, *, purpose: LinkPurpose) -> LinkRefused:
    """The audit row of a refused link, and the refusal for the caller to raise. The row
    names the invitation the link was truly signed for (and so its person) when the
    signature holds, and nothing when it does not."""
    assert check.refusal is not None
    audit_log.record(
        actor=link_actor(),
        action=AuditAction.INVITATION_LINK_REFUSED,
        obj=check.invitation,
        person=check.invitation.meeting.plan.person if check.invitation is not None else None,
        outcome=Outcome.DENIED,
        ground=GROUND,
        detail={"reason": str(check.refusal), "purpose": str(purpose)},
    )
    return LinkRefused(check.refusal)


def refuse_old_invitation_link() -> LinkRefused:
    """A link mailed before signed links: refused (docs/security.md), the refusal audited.
    The old secret is not looked up: it opens nothing, so it names nothing either."""
    return audit_link_refused(LinkCheck(None, Refusal.OLD), purpose=LinkPurpose.OPEN)


def _invitees(invitation: Invitation) -> tuple[str, ...]:
    shown = []
    for other in invitation.meeting.invitations.select_related("unit__organisation"):
        if other.pk == invitation.pk:
            continue
        if other.unit is not None:
            shown.append(f"{other.unit.name} ({other.unit.organisation.name})")
        else:
            shown.append(other.external_organisation or "")
    return tuple(sorted(shown, key=lambda s: (s == "", s)))


def access_invitation_by_link(*, invitation_id: int, token: str) -> InvitationLinkAccess:
    """The invitation an external invitee's link opens, with what the policy lets the invitee
    see; the open is audited. A refused link raises `LinkRefused`, audited."""
    check = check_link(invitation_id=invitation_id, token=token)
    if not check.ok:
        raise audit_link_refused(check, purpose=LinkPurpose.OPEN)
    invitation = check.invitation
    assert invitation is not None
    meeting = invitation.meeting
    plan = meeting.plan
    sees_meeting = policy.external_invitee_sees_meeting(invitation)
    organisation_id = policy.external_invitee_organisation_id(invitation)
    interventions: tuple[InterventionItem, ...] = ()
    if organisation_id is not None:
        content = document_content(
            plan=plan, kinds=frozenset(), own_organisation_id=organisation_id
        )
        interventions = content.interventions
    audit_log.record(
        actor=link_actor(),
        action=AuditAction.INVITATION_LINK_OPEN,
        obj=invitation,
        person=plan.person,
        ground=GROUND,
        detail={"interventions": len(interventions)},
    )
    return InvitationLinkAccess(
        invitation=invitation,
        meeting=meeting,
        sees_meeting=sees_meeting,
        invitees=_invitees(invitation) if sees_meeting else (),
        organisation=(
            invitation.invitee_organisation.name
            if organisation_id is not None and invitation.invitee_organisation is not None
            else ""
        ),
        interventions=interventions,
        may_answer=invitation.link_answered_at is None,
    )
