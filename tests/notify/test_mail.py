from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail as django_mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from icalendar import Calendar

from samplan.accounts.models import User
from samplan.notify.ics import meeting_calendar
from samplan.notify.models import MailStatus, OutboundMail
from samplan.notify.selectors import mails_for
from samplan.notify.services import MAX_ATTEMPTS, mail_queue, mail_send_due
from tests.notify import backends

pytestmark = pytest.mark.django_db

LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
FAILING = {"default": {"BACKEND": "tests.notify.backends.FailingBackend"}}


@pytest.fixture(autouse=True)
def _locmem(settings: Any) -> None:
    # pytest-django's test environment already swaps MAILERS to locmem; say so explicitly.
    settings.MAILERS = LOCMEM
    backends.calls.clear()


def queue(**overrides: Any) -> OutboundMail:
    fields: dict[str, Any] = {
        "to": ["sara.lind@example.org"],
        "subject": "Kallelse till SIP-möte",
        "body": "Du är kallad till ett SIP-möte.",
    }
    fields.update(overrides)
    return mail_queue(**fields)


def test_sent_after_commit(
    mailoutbox: list[django_mail.EmailMessage], django_capture_on_commit_callbacks: Callable
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        mail = queue()
        assert mailoutbox == []  # not before the transaction commits
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["sara.lind@example.org"]
    assert mailoutbox[0].subject == "Kallelse till SIP-möte"
    assert mailoutbox[0].body == "Du är kallad till ett SIP-möte."
    mail.refresh_from_db()
    assert mail.status == MailStatus.SENT
    assert mail.attempts == 1
    assert mail.sent_at is not None


def test_nothing_sent_when_the_transaction_rolls_back(
    mailoutbox: list[django_mail.EmailMessage], django_capture_on_commit_callbacks: Callable
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        suppress(RuntimeError),
        transaction.atomic(),
    ):
        queue()
        raise RuntimeError("the change that the mail was about failed")
    assert callbacks == []
    assert mailoutbox == []
    assert not OutboundMail.objects.exists()


def test_failure_is_retried_later_with_backoff(
    settings: Any,
    mailoutbox: list[django_mail.EmailMessage],
    django_capture_on_commit_callbacks: Callable,
) -> None:
    settings.MAILERS = FAILING
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        mail = queue()
    mail.refresh_from_db()
    assert backends.calls == [1]
    assert mail.status == MailStatus.QUEUED
    assert mail.attempts == 1
    assert mail.next_attempt_at > before + timedelta(minutes=1)
    # Only the class name: the server's message quoted an address.
    assert mail.last_error == "SMTPServerDisconnected"

    settings.MAILERS = LOCMEM
    assert mail_send_due() == 0  # not due yet
    assert mailoutbox == []
    assert mail_send_due(now=mail.next_attempt_at) == 1
    assert len(mailoutbox) == 1
    mail.refresh_from_db()
    assert mail.status == MailStatus.SENT
    assert mail.attempts == 2
    assert mail.last_error == ""


def test_gives_up_after_six_attempts(
    settings: Any, django_capture_on_commit_callbacks: Callable
) -> None:
    settings.MAILERS = FAILING
    with django_capture_on_commit_callbacks(execute=False):
        mail = queue()
    delays = []
    now = timezone.now()
    for _ in range(MAX_ATTEMPTS + 2):
        mail_send_due(now=now)
        mail.refresh_from_db()
        delays.append(mail.next_attempt_at - now)
        now = mail.next_attempt_at
    assert len(backends.calls) == MAX_ATTEMPTS == 6
    assert mail.attempts == 6
    assert mail.status == MailStatus.FAILED
    # Each wait longer than the one before.
    assert delays[:5] == sorted(set(delays[:5]))


def test_sendmail_command_sends_due_mail_once(
    mailoutbox: list[django_mail.EmailMessage], django_capture_on_commit_callbacks: Callable
) -> None:
    # As if the process had died before its after-commit attempt.
    with django_capture_on_commit_callbacks(execute=False):
        mail = queue()
    call_command("sendmail", verbosity=0)
    call_command("sendmail", verbosity=0)
    assert len(mailoutbox) == 1
    mail.refresh_from_db()
    assert mail.status == MailStatus.SENT


def test_invitation_attached_as_calendar_request(
    mailoutbox: list[django_mail.EmailMessage], django_capture_on_commit_callbacks: Callable
) -> None:
    start = datetime(2026, 10, 23, 10, tzinfo=ZoneInfo("Europe/Stockholm"))
    ics = meeting_calendar(
        uid="meeting-17@samplan.example",
        sequence=0,
        start=start,
        end=start + timedelta(hours=1),
        summary="SIP-möte",
        location="Rum 3",
        description="",
        organizer_email="karin.holm@example.org",
        organizer_name="Karin Holm",
        attendees=[("sara.lind@example.org", "Sara Lind")],
        method="REQUEST",
    )
    with django_capture_on_commit_callbacks(execute=True):
        queue(ics=ics, ics_method="REQUEST")
    message = mailoutbox[0].message()
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "inbjudan.ics"
    calendar = Calendar.from_ical(part.get_content())
    assert calendar.events[0].uid == "meeting-17@samplan.example"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content().strip() == "Du är kallad till ett SIP-möte."


def test_mails_are_found_by_related_object_and_topic(
    demo_user: Callable[[str], User], django_capture_on_commit_callbacks: Callable
) -> None:
    about, other = demo_user("karin.holm"), demo_user("sara.lind")
    with django_capture_on_commit_callbacks(execute=True):
        invite = queue(topic="meeting.invite", related=about)
        cancel = queue(topic="meeting.cancel", related=about)
        queue(topic="meeting.invite", related=other)
    assert list(mails_for(related=about)) == [invite, cancel]
    assert list(mails_for(related=about, topic="meeting.cancel")) == [cancel]


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"to": []}, ValueError),
        ({"to": ["inte en adress"]}, ValidationError),
        ({"subject": "Kallelse\nBcc: someone@example.org"}, ValueError),
        ({"ics": b"BEGIN:VCALENDAR", "ics_method": "REPLY"}, ValueError),
    ],
)
def test_bad_mail_is_refused_before_queueing(overrides: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        queue(**overrides)
    assert not OutboundMail.objects.exists()


def test_mail_whose_last_attempt_died_is_not_tried_a_seventh_time(
    mailoutbox: list[django_mail.EmailMessage], django_capture_on_commit_callbacks: Callable
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        mail = queue()
    # As after a process was killed during its sixth send: counted, outcome never written.
    OutboundMail.objects.filter(pk=mail.pk).update(attempts=MAX_ATTEMPTS)
    assert mail_send_due() == 0
    assert mailoutbox == []
    mail.refresh_from_db()
    assert mail.status == MailStatus.FAILED
