"""Expired, revoked, replaced, tampered, misdirected and old links are refused with a plain
message (Swedish and English), audited with outcome denied, and change nothing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core import mail as django_mail
from django.core import signing
from django.test import Client, override_settings
from django.urls import reverse

from samplan.audit.actions import AuditAction
from samplan.audit.models import AuditEvent, Outcome
from samplan.plans import links, services
from samplan.plans.models import Invitation, InvitationAnswer, PlanEvent
from tests.links.conftest import (
    LOCATION,
    Invited,
    actor,
    invitation_row,
    last_event,
    link_in,
    token_of,
)

pytestmark = pytest.mark.django_db

DAY = 24 * 60 * 60


@contextmanager
def signed_days_ago(days: float) -> Iterator[None]:
    """Links signed inside the block carry a time `days` ago."""
    original = signing.TimestampSigner.timestamp

    def past(self: signing.TimestampSigner) -> str:
        return signing.b62_encode(int(time.time() - days * DAY))

    signing.TimestampSigner.timestamp = past  # type: ignore[method-assign]
    try:
        yield
    finally:
        signing.TimestampSigner.timestamp = original  # type: ignore[method-assign]


def link_of(invitation: Invitation) -> str:
    return links.link_path(invitation)


def assert_refused(
    client: Client,
    link: str,
    invitation: Invitation,
    *,
    status: int,
    swedish: str,
    english: str,
    reason: str,
    person_named: bool = True,
) -> None:
    """GET and POST with the link are refused with the message, audited, and change nothing."""
    before = invitation_row(invitation)
    events = PlanEvent.objects.count()
    for method, purpose in (("get", "open"), ("post", "answer")):
        count = AuditEvent.objects.filter(action=AuditAction.INVITATION_LINK_REFUSED).count()
        if method == "get":
            response = client.get(link)
        else:
            response = client.post(link, {"answer": "accepted"})
        assert response.status_code == status, (method, link)
        html = response.content.decode()
        assert swedish in html
        assert english in html
        assert LOCATION not in html
        assert (
            AuditEvent.objects.filter(action=AuditAction.INVITATION_LINK_REFUSED).count()
            == count + 1
        )
        event = last_event(AuditAction.INVITATION_LINK_REFUSED)
        assert event.outcome == Outcome.DENIED
        assert event.detail == {"reason": reason, "purpose": purpose}
        assert (event.person is not None) == person_named
    assert invitation_row(invitation) == before
    assert PlanEvent.objects.count() == events


def test_an_expired_link_is_refused(client: Client, invited: Invited) -> None:
    with signed_days_ago(31):
        old = link_of(invited.fk)
    assert_refused(
        client,
        old,
        invited.fk,
        status=410,
        swedish="Länken har gått ut.",
        english="The link has expired.",
        reason="expired",
    )
    assert last_event(AuditAction.INVITATION_LINK_REFUSED).person == invited.person


def test_the_lifetime_is_the_setting(client: Client, invited: Invited) -> None:
    with signed_days_ago(29):
        recent = link_of(invited.fk)
    with signed_days_ago(31):
        old = link_of(invited.fk)
    assert client.get(recent).status_code == 200
    assert client.get(old).status_code == 410
    with override_settings(EXTERNAL_LINK_DAYS=60):
        assert client.get(old).status_code == 200
    with override_settings(EXTERNAL_LINK_DAYS=7):
        assert client.get(recent).status_code == 410


def test_a_tampered_link_is_refused(client: Client, invited: Invited) -> None:
    token = token_of(invited.fk_link)
    payload, stamp, signature = token.split(":")

    def flip(character: str) -> str:
        """Another character: the alteration changes the link whatever it holds."""
        return "A" if character != "A" else "B"

    other = links.make_token(invited.kin).split(":")[0]  # the next of kin's payload
    for wrong in (
        f"{payload}:{stamp}:{flip(signature[0])}{signature[1:]}",  # signature altered
        f"{payload[:-1]}{flip(payload[-1])}:{stamp}:{signature}",  # payload altered
        f"{other}:{stamp}:{signature}",  # another invitation's payload, this signature
        f"{payload}:{stamp}",  # cut short
        signing.dumps({"i": invited.fk.pk, "n": invited.fk.link_nonce, "p": "invitation"}),
        signing.dumps(
            {"i": invited.fk.pk, "n": invited.fk.link_nonce, "p": "login"}, salt=links.SALT
        ),
        "x" * 500,
    ):
        assert wrong != token
        assert_refused(
            client,
            reverse("invitation_answer_external", args=[invited.fk.pk, wrong]),
            invited.fk,
            status=404,
            swedish="Länken fungerar inte.",
            english="The link does not work.",
            reason="invalid",
            person_named=False,
        )


def test_a_link_for_one_invitation_does_not_open_another(client: Client, invited: Invited) -> None:
    misdirected = reverse(
        "invitation_answer_external", args=[invited.kin.pk, token_of(invited.fk_link)]
    )
    assert_refused(
        client,
        misdirected,
        invited.kin,
        status=404,
        swedish="Länken hör till en annan kallelse.",
        english="The link belongs to another invitation.",
        reason="other_invitation",
    )
    # The audit row names the invitation the link was signed for.
    assert last_event(AuditAction.INVITATION_LINK_REFUSED).object_id == str(invited.fk.pk)
    # Nor does it open a unit's invitation.
    unit_invitation = invited.meeting.invitations.get(unit__isnull=False)
    response = client.get(
        reverse("invitation_answer_external", args=[unit_invitation.pk, token_of(invited.fk_link)])
    )
    assert response.status_code == 404


def test_a_link_of_the_old_kind_is_refused(client: Client, invited: Invited) -> None:
    response = client.get(f"/invitation/{'ab12' * 16}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Länken kommer från en äldre sorts kallelse" in html
    assert "The link is from an older kind of invitation" in html
    event = last_event(AuditAction.INVITATION_LINK_REFUSED)
    assert event.outcome == Outcome.DENIED
    assert event.detail["reason"] == "old"


def test_a_revoked_link_is_refused_and_a_new_one_replaces_it(
    invited: Invited,
    login: Callable[[str], Client],
    mailoutbox: list[django_mail.EmailMessage],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    karin = login("karin.holm")
    plan_page = karin.get(invited.plan.get_absolute_url()).content.decode()
    revoke = reverse(
        "invitation_link_revoke", args=[invited.plan.pk, invited.meeting.pk, invited.fk.pk]
    )
    assert revoke in plan_page
    response = karin.post(revoke)
    assert response.status_code == 302
    invited.fk.refresh_from_db()
    assert invited.fk.link_revoked_at is not None
    event = last_event(AuditAction.INVITATION_LINK_REVOKE)
    assert event.outcome == Outcome.OK
    assert event.person == invited.person
    assert event.actor is not None
    assert event.actor.username == "karin.holm"
    assert PlanEvent.objects.filter(plan=invited.plan, kind="invitation_link_revoked").exists()
    assert (
        "Länken i en kallelse spärrad"
        in karin.get(invited.plan.get_absolute_url()).content.decode()
    )
    # Revoking twice is refused with a message, nothing written.
    events = PlanEvent.objects.count()
    assert karin.post(revoke).status_code == 302
    assert PlanEvent.objects.count() == events

    karin.logout()
    anyone = Client()
    assert_refused(
        anyone,
        invited.fk_link,
        invited.fk,
        status=410,
        swedish="Länken är spärrad",
        english="The link has been revoked",
        reason="revoked",
    )
    # The other invitee's link still works.
    assert anyone.get(invited.kin_link).status_code == 200
    # No reminder or change goes to a revoked link's address.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_update(
            actor=actor("karin.holm"),
            meeting=invited.meeting,
            starts_at=invited.meeting.starts_at,
            ends_at=invited.meeting.ends_at,
            mode=invited.meeting.mode,
            location="Ekbacka kommunhus, rum 4",
        )
    assert "hanna@fk.example" not in [m.to[0] for m in mailoutbox]

    # A new link: mailed, works once, and the link from before is refused as replaced.
    karin = login("karin.holm")
    mailoutbox.clear()
    reissue = reverse(
        "invitation_link_reissue", args=[invited.plan.pk, invited.meeting.pk, invited.fk.pk]
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert karin.post(reissue).status_code == 302
    assert last_event(AuditAction.INVITATION_LINK_REISSUE).person == invited.person
    assert PlanEvent.objects.filter(plan=invited.plan, kind="invitation_link_reissued").exists()
    new_link = link_in(str(next(m for m in mailoutbox if m.to == ["hanna@fk.example"]).body))
    karin.logout()
    assert anyone.get(new_link).status_code == 200
    assert_refused(
        anyone,
        invited.fk_link,
        invited.fk,
        status=410,
        swedish="Det finns en nyare länk till den här kallelsen.",
        english="There is a newer link to this invitation.",
        reason="replaced",
    )
    assert anyone.post(new_link, {"answer": "accepted"}).status_code == 302
    invited.fk.refresh_from_db()
    assert invited.fk.answer == InvitationAnswer.ACCEPTED


def test_after_a_new_link_the_invitee_may_answer_again(client: Client, invited: Invited) -> None:
    assert client.post(invited.kin_link, {"answer": "accepted"}).status_code == 302
    services.invitation_link_reissue(actor=actor("karin.holm"), invitation=invited.kin)
    invited.kin.refresh_from_db()
    new_link = links.link_path(invited.kin)
    response = client.post(new_link, {"answer": "declined", "decline_reason": "Sjuk"})
    assert response.status_code == 302
    invited.kin.refresh_from_db()
    assert invited.kin.answer == InvitationAnswer.DECLINED


def test_only_the_coordinator_revokes(invited: Invited, login: Callable[[str], Client]) -> None:
    revoke = reverse(
        "invitation_link_revoke", args=[invited.plan.pk, invited.meeting.pk, invited.fk.pk]
    )
    assert login("omar.haddad").post(revoke).status_code == 404
    assert Client().post(revoke).status_code == 302  # to the login page
    invited.fk.refresh_from_db()
    assert invited.fk.link_revoked_at is None
    # A unit's invitation has no link to revoke: refused with a message.
    unit_invitation = invited.meeting.invitations.get(unit__isnull=False)
    karin = login("karin.holm")
    response = karin.post(
        reverse(
            "invitation_link_revoke",
            args=[invited.plan.pk, invited.meeting.pk, unit_invitation.pk],
        ),
        follow=True,
    )
    assert "Bara en kallelse till en extern deltagare har en länk." in response.content.decode()


def test_a_revocation_while_answering_wins(client: Client, invited: Invited) -> None:
    """The answer re-reads the invitation under a lock: a link revoked after it was checked
    does not answer."""
    check = links.check_link(
        invitation_id=invited.fk.pk,
        token=token_of(invited.fk_link),
        purpose=links.LinkPurpose.ANSWER,
    )
    assert check.ok
    services.invitation_link_revoke(actor=actor("karin.holm"), invitation=invited.fk)
    with pytest.raises(links.LinkRefused) as refused:
        services.invitation_answer_by_link(
            invitation_id=invited.fk.pk, token=token_of(invited.fk_link), answer="accepted"
        )
    assert refused.value.reason == links.Refusal.REVOKED
