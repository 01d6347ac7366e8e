"""An external invitee opens the invitation through the signed link and answers it once; what
the link shows is the meeting and the invitee's own organisation's interventions, nothing
else of the plan."""

from __future__ import annotations

import base64
import json

import pytest
from django.core import mail as django_mail
from django.test import Client

from samplan.audit.actions import AuditAction
from samplan.audit.extract import action_phrase
from samplan.audit.models import AuditEvent, Outcome
from samplan.consent import services as consent_services
from samplan.plans.models import InvitationAnswer, PlanEvent
from tests.links.conftest import (
    FK_INTERVENTION,
    FK_INVITEE,
    GOAL,
    LOCATION,
    MUNICIPALITY_INTERVENTION,
    NEED,
    NEXT_OF_KIN,
    REGION_INTERVENTION,
    Invited,
    actor,
    last_event,
    token_of,
)

pytestmark = pytest.mark.django_db


def personal_data(invited: Invited) -> list[str]:
    person = invited.person
    return [
        person.given_name,
        person.family_name,
        person.formatted_identifier,
        person.identifier,
        person.identifier[2:],
    ]


def test_the_link_carries_no_personal_data(
    invited: Invited, mailoutbox: list[django_mail.EmailMessage]
) -> None:
    for link, invitation in ((invited.fk_link, invited.fk), (invited.kin_link, invited.kin)):
        token = token_of(link)
        payload_part = token.split(":")[0]
        payload = json.loads(
            base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4))
        )
        assert payload == {"i": invitation.pk, "n": invitation.link_nonce, "p": "invitation"}
        for text in personal_data(invited):
            assert text not in link
    for mail in mailoutbox:
        for text in personal_data(invited):
            assert text not in str(mail.body)
    assert "gäller i 30 dagar" in str(mailoutbox[-1].body)


def test_the_invitee_from_an_organisation_sees_the_meeting_and_its_interventions(
    client: Client, invited: Invited
) -> None:
    response = client.get(invited.fk_link)
    assert response.status_code == 200
    html = response.content.decode()
    assert LOCATION in html
    assert "Öppenpsykiatri Sjöstad" in html  # who else is invited: units by name
    assert FK_INTERVENTION in html
    for hidden in (REGION_INTERVENTION, MUNICIPALITY_INTERVENTION, NEED, GOAL, NEXT_OF_KIN):
        assert hidden not in html
    for text in personal_data(invited):
        assert text not in html
    assert invited.plan.coordinator is None or invited.plan.coordinator.last_name not in html
    event = last_event(AuditAction.INVITATION_LINK_OPEN)
    assert event.outcome == Outcome.OK
    assert event.person == invited.person
    assert event.actor is None
    assert event.actor_unit is None
    assert event.object_id == str(invited.fk.pk)
    assert event.detail["interventions"] == 1
    assert action_phrase(AuditAction.INVITATION_LINK_OPEN) != AuditAction.INVITATION_LINK_OPEN


def test_a_next_of_kin_sees_the_meeting_only(client: Client, invited: Invited) -> None:
    response = client.get(invited.kin_link)
    assert response.status_code == 200
    html = response.content.decode()
    assert LOCATION in html
    for hidden in (FK_INTERVENTION, REGION_INTERVENTION, MUNICIPALITY_INTERVENTION, NEED, GOAL):
        assert hidden not in html
    assert FK_INVITEE not in html  # other invitees by organisation, never by name
    assert "Försäkringskassan" in html
    for text in personal_data(invited):
        assert text not in html
    assert last_event(AuditAction.INVITATION_LINK_OPEN).detail["interventions"] == 0


def test_an_organisation_the_consent_no_longer_covers_sees_no_interventions(
    client: Client, invited: Invited
) -> None:
    consent_services.consent_record(
        actor=actor("karin.holm"),
        plan=invited.plan,
        decision="given",
        method="oral",
        organisations=list(
            invited.plan.consents.get().organisations.exclude(name="Försäkringskassan")
        ),
        information_kinds=["plan", "health", "social"],
    )
    html = client.get(invited.fk_link).content.decode()
    assert LOCATION in html
    assert FK_INTERVENTION not in html


def test_answer_once_then_a_second_answer_is_refused(client: Client, invited: Invited) -> None:
    response = client.post(invited.fk_link, {"answer": "accepted"})
    assert response.status_code == 302
    invited.fk.refresh_from_db()
    assert invited.fk.answer == InvitationAnswer.ACCEPTED
    assert invited.fk.link_answered_at is not None
    answered = last_event(AuditAction.INVITATION_ANSWER_EXTERNAL)
    assert answered.outcome == Outcome.OK
    assert answered.person == invited.person
    assert PlanEvent.objects.filter(
        plan=invited.plan, kind="invitation_answered", detail__invitation=invited.fk.pk
    ).exists()

    # The link still opens the invitation, and says it cannot answer again.
    html = client.get(invited.fk_link).content.decode()
    assert "Tack! Ditt svar är registrerat." in html
    assert "Du har svarat med den här länken" in html
    assert 'name="answer"' not in html

    # A second answer with the same link: refused, audited, nothing changed.
    before = dict(type(invited.fk).objects.values().get(pk=invited.fk.pk))
    events = PlanEvent.objects.count()
    response = client.post(
        invited.fk_link, {"answer": "declined", "decline_reason": "Kan inte ändå"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Du har redan svarat med den här länken" in html
    assert "You have already answered with this link" in html
    refused = last_event(AuditAction.INVITATION_LINK_REFUSED)
    assert refused.outcome == Outcome.DENIED
    assert refused.detail == {"reason": "reused", "purpose": "answer"}
    assert refused.person == invited.person
    assert dict(type(invited.fk).objects.values().get(pk=invited.fk.pk)) == before
    assert PlanEvent.objects.count() == events


def test_bad_answer_input_does_not_use_up_the_link(client: Client, invited: Invited) -> None:
    response = client.post(invited.kin_link, {"answer": "declined"})
    assert response.status_code == 400
    invited.kin.refresh_from_db()
    assert invited.kin.answer == InvitationAnswer.PENDING
    assert invited.kin.link_answered_at is None
    response = client.post(invited.kin_link, {"answer": "declined", "decline_reason": "Sjuk"})
    assert response.status_code == 302
    invited.kin.refresh_from_db()
    assert invited.kin.answer == InvitationAnswer.DECLINED


def test_answering_one_invitation_leaves_the_others_open(client: Client, invited: Invited) -> None:
    assert client.post(invited.fk_link, {"answer": "accepted"}).status_code == 302
    assert client.post(invited.kin_link, {"answer": "accepted"}).status_code == 302


def test_every_open_is_audited(client: Client, invited: Invited) -> None:
    before = AuditEvent.objects.filter(action=AuditAction.INVITATION_LINK_OPEN).count()
    client.get(invited.fk_link)
    client.get(invited.fk_link)
    client.get(invited.kin_link)
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_LINK_OPEN).count() == before + 3
