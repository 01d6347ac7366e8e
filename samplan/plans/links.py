"""External invitees' links: signed, time-limited, single-purpose (docs/security.md,
"External invitees' links").

A link is `/invitation/<invitation id>/<token>/`, where the token is Django's
`signing.dumps` of `{"i": invitation id, "n": the invitation's link_nonce, "p": "invitation"}`
under its own salt, with the time it was signed. It carries nothing about the person: no
name, no identity number, no plan. It is checked here, and nothing here writes: the access
helper (`samplan.authz.access.links`) and the answer service audit what `check_link` found.

A link is refused when:

- `INVALID`: it is not a token of this kind (cut short, altered, signed for another purpose or
  with another key);
- `OLD`: it is a link mailed before signed links (`/invitation/<64 hex>/`): refused, with
  the plain message, whatever it was;
- `OTHER_INVITATION`: it is signed for another invitation than the one in the address;
- `REPLACED`: the coordinator has since sent a new link (a new nonce);
- `REVOKED`: the coordinator has revoked it;
- `EXPIRED`: it was signed more than SAMPLAN_EXTERNAL_LINK_DAYS days ago;
- `REUSED` (answering only): an answer has already been given with this link.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.urls import reverse

from samplan.plans.models import Invitation

SALT = "samplan.plans.invitation-link"
PURPOSE = "invitation"
# A token is about 120 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 400


class LinkPurpose(StrEnum):
    OPEN = "open"  # see the meeting and what concerns the invitee
    ANSWER = "answer"  # answer the invitation, once per link


class Refusal(StrEnum):
    INVALID = "invalid"
    OLD = "old"  # a secret from the mails sent before signed links (a separate address)
    OTHER_INVITATION = "other_invitation"
    REPLACED = "replaced"
    REVOKED = "revoked"
    EXPIRED = "expired"
    REUSED = "reused"


class LinkRefused(Http404):
    """A link that does not open (or answer) the invitation. Answered with a plain message
    that says why, as far as the link shows it (`reason`); a 404 where the link says nothing
    (`INVALID`)."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__("link refused")
        self.reason = reason


@dataclass(frozen=True)
class LinkCheck:
    """What a presented link turned out to be. `invitation` is the invitation the link was
    truly signed for (None when the signature does not hold): on a refusal, the audit row
    names it, and so its person."""

    invitation: Invitation | None
    refusal: Refusal | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


def max_age_seconds() -> int:
    return int(settings.EXTERNAL_LINK_DAYS) * 24 * 60 * 60


def make_token(invitation: Invitation) -> str:
    """A new token for the invitation's current link (each mail signs one: the lifetime
    counts from the mail)."""
    if invitation.unit_id is not None or not invitation.link_nonce:
        raise ValueError("only an external invitation has a link")
    payload = {"i": invitation.pk, "n": invitation.link_nonce, "p": PURPOSE}
    return signing.dumps(payload, salt=SALT, compress=False)


def link_path(invitation: Invitation) -> str:
    """The path of a new link to the invitation, for the mail."""
    return reverse("invitation_answer_external", args=[invitation.pk, make_token(invitation)])


def _payload(token: str) -> tuple[dict[str, Any] | None, bool]:
    """The signed payload (None if the signature does not hold) and whether it has expired."""
    signer = signing.TimestampSigner(salt=SALT)
    try:
        value = signer.unsign_object(token, max_age=max_age_seconds())
        expired = False
    except signing.SignatureExpired:
        value = signer.unsign_object(token)
        expired = True
    except (signing.BadSignature, ValueError, UnicodeError):
        return None, False
    if (
        not isinstance(value, dict)
        or value.get("p") != PURPOSE
        or not isinstance(value.get("i"), int)
        or not isinstance(value.get("n"), str)
    ):
        return None, False
    return value, expired


def check_link(
    *, invitation_id: int, token: str, purpose: LinkPurpose = LinkPurpose.OPEN
) -> LinkCheck:
    """Whether the link opens (or answers) the invitation `invitation_id`, and if not, why.
    Reads only; the first refusal that applies is given, in the order of the list above."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return LinkCheck(None, Refusal.INVALID)
    payload, expired = _payload(token)
    if payload is None:
        return LinkCheck(None, Refusal.INVALID)
    invitation = (
        Invitation.objects.select_related("meeting__plan__person", "invitee_organisation")
        .filter(pk=payload["i"], unit__isnull=True)
        .first()
    )
    if invitation is None:
        return LinkCheck(None, Refusal.INVALID)
    if invitation.pk != invitation_id:
        return LinkCheck(invitation, Refusal.OTHER_INVITATION)
    if payload["n"] != invitation.link_nonce:
        return LinkCheck(invitation, Refusal.REPLACED)
    if invitation.link_revoked_at is not None:
        return LinkCheck(invitation, Refusal.REVOKED)
    if expired:
        return LinkCheck(invitation, Refusal.EXPIRED)
    if purpose == LinkPurpose.ANSWER and invitation.link_answered_at is not None:
        return LinkCheck(invitation, Refusal.REUSED)
    return LinkCheck(invitation)
