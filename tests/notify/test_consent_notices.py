"""Notices and mails follow the person's consent (issue 9): a plan's content (a deviation's
text, a meeting's place and agenda, a link to the plan) reaches only the initiating unit and
units of organisations the active consent covers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from samplan.accounts.models import User
from samplan.audit.models import AuditEvent
from samplan.authz.actor import Actor
from samplan.consent import services as consent_services
from samplan.consent.coverage import consent_covers, covered_organisation_ids
from samplan.directory.models import Organisation, Person, Unit
from samplan.notify.models import InboxMessage, OutboundMail
from samplan.plans import services
from samplan.plans.models import Meeting, Plan
from tests.factories import PersonFactory, relate

pytestmark = pytest.mark.django_db

SECRET = "Hemligt Avvikelsesson har inte fått sin depåinjektion."
AGENDA = "Genomgång av Hemligt Avvikelssons läkemedel"
PLACE = "Storgatan 1, hemma hos Hemligt"


def actor(username: str) -> Actor:
    return Actor.for_user(User.objects.get(username=username))


def org(name: str) -> Organisation:
    return Organisation.objects.get(name=name)


@pytest.fixture
def run_on_commit(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Callable[[], Any]:
    """Runs the notices a service queues for after its commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def person() -> Person:
    return PersonFactory.create(given_name="Hemligt", family_name="Avvikelsesson")


@pytest.fixture
def karin() -> Actor:
    return actor("karin.holm")


@pytest.fixture
def omar() -> User:
    # Öppenpsykiatri Sjöstad, Region Sjöland
    return User.objects.get(username="omar.haddad")


@pytest.fixture
def plan(person: Person, run_on_commit: Callable[[], Any]) -> Plan:
    """Karin's initiative for the person, consent for Ekbacka and the region, and a meeting to
    which Öppenpsykiatri Sjöstad is invited and says yes: the region's unit takes part."""
    plan = relate("karin.holm", person)
    karin = actor("karin.holm")
    give_consent(plan, karin, "Ekbacka kommun", "Region Sjöland")
    start = timezone.now() + timedelta(days=3)
    with run_on_commit():
        meeting = services.meeting_schedule(
            actor=karin,
            plan=plan,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            mode="physical",
            location=PLACE,
            agenda=AGENDA,
            units=[Unit.objects.get(name="Öppenpsykiatri Sjöstad")],
        )
    services.invitation_answer(
        actor=actor("omar.haddad"), invitation=meeting.invitations.get(), answer="accepted"
    )
    return plan


def give_consent(plan: Plan, who: Actor, *organisations: str) -> None:
    consent_services.consent_record(
        actor=who,
        plan=plan,
        decision="given",
        method="oral",
        organisations=[org(o) for o in organisations],
        information_kinds=["plan"],
    )


def report(plan: Plan, to: str, run_on_commit: Callable[[], Any], who: Actor | None = None) -> None:
    with run_on_commit():
        services.deviation_report(
            actor=who or actor("karin.holm"),
            plan=plan,
            kind="not_delivered",
            description=SECRET,
            addressed_to=org(to),
        )


def inbox_text(user: User) -> Iterator[str]:
    for m in InboxMessage.objects.filter(recipient=user):
        yield f"{m.subject}\n{m.body}\n{m.url}"


def region_staff_in_plan() -> list[User]:
    """Everyone the region's participating unit has: each of them is told of a deviation."""
    return list(
        User.objects.filter(
            memberships__unit__name="Öppenpsykiatri Sjöstad",
            memberships__is_active=True,
            is_active=True,
        ).distinct()
    )


# Deviations -----------------------------------------------------------------------------------


def test_a_covered_organisation_gets_the_deviation(
    plan: Plan, omar: User, run_on_commit: Callable[[], Any]
) -> None:
    InboxMessage.objects.all().delete()
    report(plan, "Region Sjöland", run_on_commit)
    [message] = InboxMessage.objects.filter(recipient=omar)
    assert message.body == SECRET
    assert message.url == plan.get_absolute_url()
    assert message.plan_id == plan.pk


def test_an_uncovered_organisation_gets_a_notice_without_personal_data(
    plan: Plan, person: Person, omar: User, karin: Actor, run_on_commit: Callable[[], Any]
) -> None:
    # The person narrows the consent to the municipality: the region still takes part in
    # the plan but no longer sees it.
    give_consent(plan, karin, "Ekbacka kommun")
    assert not consent_covers(plan, org("Region Sjöland").pk)
    InboxMessage.objects.all().delete()
    report(plan, "Region Sjöland", run_on_commit)
    staff = region_staff_in_plan()
    assert omar in staff
    for user in staff:
        [message] = InboxMessage.objects.filter(recipient=user)
        text = "\n".join(inbox_text(user))
        assert SECRET not in text
        assert person.given_name not in text
        assert person.family_name not in text
        assert f"/plans/{plan.pk}" not in text
        assert message.url == ""
        assert message.plan_id is None
        assert "avvikelse" in message.body
    # Nothing about it went out by mail either.
    assert not OutboundMail.objects.filter(body__contains="Avvikelsesson").exists()


def test_after_revocation_only_the_initiating_unit_gets_the_text(
    plan: Plan, omar: User, karin: Actor, run_on_commit: Callable[[], Any]
) -> None:
    with run_on_commit():
        consent_services.consent_revoke(actor=karin, plan=plan)
    assert covered_organisation_ids(plan) == frozenset()
    InboxMessage.objects.all().delete()
    report(plan, "Region Sjöland", run_on_commit)
    report(plan, "Ekbacka kommun", run_on_commit)
    assert all(SECRET not in text for text in inbox_text(omar))
    # Karin's unit initiated the plan: it sees the plan, so it gets the text.
    karin_texts = list(inbox_text(User.objects.get(username="karin.holm")))
    assert any(SECRET in text for text in karin_texts)


def test_before_consent_the_initiating_unit_gets_the_text(
    person: Person, run_on_commit: Callable[[], Any]
) -> None:
    plan = relate("karin.holm", person)
    report(plan, "Ekbacka kommun", run_on_commit)
    [message] = InboxMessage.objects.filter(recipient__username="karin.holm", plan=plan)
    assert message.body == SECRET


# Invitations ----------------------------------------------------------------------------------


def test_inviting_a_unit_outside_the_consent_is_refused(
    plan: Plan, karin: Actor, run_on_commit: Callable[[], Any]
) -> None:
    """What the code did before issue 9 and still does: the service refuses the unit, so no
    mail is queued for it."""
    meeting = plan.meetings.get()
    strandvik = Unit.objects.get(name="Socialpsykiatri Strandvik")
    mails = OutboundMail.objects.count()
    with pytest.raises(ValidationError), run_on_commit():
        services.invitation_add(actor=karin, meeting=meeting, unit=strandvik)
    assert OutboundMail.objects.count() == mails
    assert not meeting.invitations.filter(unit=strandvik).exists()


def test_after_the_consent_narrows_the_uncovered_unit_gets_no_change_and_a_bare_cancellation(
    plan: Plan, omar: User, karin: Actor, run_on_commit: Callable[[], Any]
) -> None:
    meeting: Meeting = plan.meetings.get()
    invitation = meeting.invitations.get()
    give_consent(plan, karin, "Ekbacka kommun")
    OutboundMail.objects.all().delete()
    InboxMessage.objects.all().delete()

    start = meeting.starts_at + timedelta(days=1)
    with run_on_commit():
        services.meeting_update(
            actor=karin,
            meeting=meeting,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            mode="physical",
            location=PLACE,
            agenda=AGENDA,
        )
    assert not OutboundMail.objects.filter(related_id=str(invitation.pk)).exists()
    assert not InboxMessage.objects.filter(recipient=omar).exists()

    with run_on_commit():
        services.meeting_cancel(actor=karin, meeting=meeting)
    [mail] = OutboundMail.objects.filter(related_id=str(invitation.pk), topic="invitation")
    assert mail.ics_method == "CANCEL"
    assert meeting.uid in mail.ics  # so that the calendar removes the meeting
    for text in (mail.subject, mail.body, mail.ics, *inbox_text(omar)):
        assert "Storgatan" not in text
        assert "läkemedel" not in text
        assert "Hemligt" not in text


def test_a_covered_unit_gets_place_and_agenda(
    plan: Plan, karin: Actor, run_on_commit: Callable[[], Any]
) -> None:
    meeting = plan.meetings.get()
    invitation = meeting.invitations.get()
    OutboundMail.objects.all().delete()
    with run_on_commit():
        services.meeting_cancel(actor=karin, meeting=meeting)
    [mail] = OutboundMail.objects.filter(related_id=str(invitation.pk), topic="invitation")
    assert "Storgatan" in mail.ics.replace("\r\n ", "")
    assert "läkemedel" in mail.ics.replace("\r\n ", "")


# Plan established ---------------------------------------------------------------------------


def test_established_notice_skips_units_outside_the_consent(
    plan: Plan, karin: Actor, omar: User
) -> None:
    from samplan.plans.services.versions import _notify_participants

    give_consent(plan, karin, "Ekbacka kommun")
    _notify_participants(plan.pk, "established", 1)
    assert not InboxMessage.objects.filter(recipient=omar, url=plan.get_absolute_url()).exists()
    assert InboxMessage.objects.filter(
        recipient__username="karin.holm", url=plan.get_absolute_url()
    ).exists()

    give_consent(plan, karin, "Ekbacka kommun", "Region Sjöland")
    _notify_participants(plan.pk, "established", 1)
    assert InboxMessage.objects.filter(recipient=omar, url=plan.get_absolute_url()).exists()


# Reading a deviation in the inbox -------------------------------------------------------------


def test_reading_a_deviation_is_audited_and_closes_with_the_consent(
    plan: Plan,
    person: Person,
    omar: User,
    karin: Actor,
    login: Callable[[str], Client],
    run_on_commit: Callable[[], Any],
) -> None:
    InboxMessage.objects.all().delete()
    report(plan, "Region Sjöland", run_on_commit)
    message = InboxMessage.objects.get(recipient=omar)
    client = login("omar.haddad")
    response = client.get(reverse("inbox_message", args=[message.pk]))
    assert response.status_code == 200
    assert SECRET in response.content.decode()
    [event] = AuditEvent.objects.filter(request_id=response["X-Request-ID"])
    assert (event.action, event.person_id, event.actor_id) == ("inbox.read", person.pk, omar.pk)
    assert event.ground == "participant with consent"

    # The consent no longer covers the region: the text is no longer shown, nor audited.
    give_consent(plan, karin, "Ekbacka kommun")
    response = client.get(reverse("inbox_message", args=[message.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert SECRET not in html
    assert plan.get_absolute_url() not in html
    assert not AuditEvent.objects.filter(request_id=response["X-Request-ID"]).exists()
