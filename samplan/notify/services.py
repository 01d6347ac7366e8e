"""Writes for notifications: queue mail (sent after commit, retried), post and read inbox messages.

Mail is at-least-once: an attempt is recorded before the backend is called, so a process that
dies mid-send retries later rather than losing the mail.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.message import MIMEPart
from functools import partial

from django.conf import settings
from django.core import mail as django_mail
from django.core.exceptions import PermissionDenied
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from samplan.accounts.models import User
from samplan.notify.models import InboxMessage, MailStatus, OutboundMail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
ICS_METHODS = ("REQUEST", "CANCEL", "PUBLISH")
# 5, 20, 80, 320 and 1280 minutes: an SMTP outage of about a day is survived.
FIRST_RETRY = timedelta(minutes=5)
BACKOFF_FACTOR = 4


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the given number of attempts before the next one."""
    factor: int = BACKOFF_FACTOR ** max(attempts - 1, 0)
    return FIRST_RETRY * factor


# Outbox ---------------------------------------------------------------------------------------


def mail_queue(
    *,
    to: list[str],
    subject: str,
    body: str,
    ics: bytes | None = None,
    ics_method: str = "REQUEST",
    ics_filename: str = "",
    topic: str = "",
    related: models.Model | None = None,
) -> OutboundMail:
    """Store a mail and try to send it once the caller's transaction commits.

    All addresses go in To and see each other; queue one mail per recipient when they must not.
    """
    if not to:
        raise ValueError("a mail needs at least one recipient")
    for address in to:
        validate_email(address)
    if "\n" in subject or "\r" in subject:
        # Would be refused at every attempt; fail while the caller can still act.
        raise ValueError("subject must be one line")
    if ics is not None and ics_method not in ICS_METHODS:
        raise ValueError(f"unsupported iCalendar method {ics_method!r}")
    if related is not None and related.pk is None:
        raise ValueError("related object must be saved")
    mail = OutboundMail.objects.create(
        recipients=list(to),
        subject=subject,
        body=body,
        ics=ics.decode("utf-8") if ics is not None else "",
        ics_filename=(ics_filename or "inbjudan.ics") if ics is not None else "",
        ics_method=ics_method if ics is not None else "",
        topic=topic,
        related_type=related._meta.label_lower if related is not None else "",
        related_id=str(related.pk) if related is not None else "",
        next_attempt_at=timezone.now(),
    )
    # robust: a broken mail server must never break the request that queued the mail.
    transaction.on_commit(partial(_attempt, mail.pk), robust=True)
    return mail


def mail_send_due(*, now: datetime | None = None) -> int:
    """Attempt every queued mail whose time has come. Returns how many were sent."""
    now = now or timezone.now()
    due = list(
        OutboundMail.objects.filter(status=MailStatus.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)
    )
    return sum(_attempt(pk, now=now) for pk in due)


def _claim(pk: int, now: datetime) -> OutboundMail | None:
    """Count an attempt and schedule the retry in one conditional update.

    Only one worker wins the update, so the after-commit attempt and a `sendmail` run never
    send the same mail twice, on SQLite and PostgreSQL alike, without holding a lock while
    the mail server answers.
    """
    mail = OutboundMail.objects.filter(pk=pk).first()
    if mail is None or mail.status != MailStatus.QUEUED or mail.next_attempt_at > now:
        return None
    if mail.attempts >= MAX_ATTEMPTS:
        # The last attempt died with its process before it could record the outcome.
        OutboundMail.objects.filter(pk=pk, status=MailStatus.QUEUED).update(
            status=MailStatus.FAILED
        )
        return None
    attempts = mail.attempts + 1
    claimed = OutboundMail.objects.filter(
        pk=pk, status=MailStatus.QUEUED, attempts=mail.attempts
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + retry_delay(attempts))
    if not claimed:
        return None
    mail.attempts = attempts
    return mail


def _attempt(pk: int, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    mail = _claim(pk, now)
    if mail is None:
        return False
    try:
        django_mail.mailers.default.send_messages([_message(mail)])
    except Exception as exc:
        failed = mail.attempts >= MAX_ATTEMPTS
        OutboundMail.objects.filter(pk=pk).update(
            last_error=type(exc).__name__[:100],
            status=MailStatus.FAILED if failed else MailStatus.QUEUED,
        )
        # Ids and the exception class only: the exception text may quote addresses.
        logger.warning(
            "mail %s attempt %s failed: %s%s",
            pk,
            mail.attempts,
            type(exc).__name__,
            "; giving up" if failed else "",
        )
        return False
    OutboundMail.objects.filter(pk=pk).update(
        status=MailStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def _message(mail: OutboundMail) -> django_mail.EmailMessage:
    message = django_mail.EmailMessage(
        subject=mail.subject,
        body=mail.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=mail.recipients,
    )
    if mail.ics:
        # The method parameter on the content type is what makes clients show Accept/Decline.
        part = MIMEPart()
        part.set_content(
            mail.ics,
            subtype="calendar",
            charset="utf-8",
            params={"method": mail.ics_method},
            disposition="attachment",
            filename=mail.ics_filename,
        )
        message.attach(part)
    return message


# Inbox ----------------------------------------------------------------------------------------


def inbox_post(
    *, user: User, subject: str, body: str, url: str = "", plan: models.Model | None = None
) -> InboxMessage:
    """A message to one user's inbox. Keep personal data out of subject and body: link to it.
    A body that quotes a plan's content names the `plan`: it is shown only while the reader
    may see that plan, and reading it is audited."""
    message = InboxMessage(recipient=user, subject=subject, body=body, url=url)
    if plan is not None:
        message.plan_id = plan.pk
    message.full_clean()
    message.save()
    return message


def inbox_mark_read(*, user: User, message: InboxMessage) -> InboxMessage:
    """Record the first reading; later readings keep the first time."""
    if message.recipient_id != user.pk:
        raise PermissionDenied
    if message.read_at is None:
        # Conditional, so two tabs opening the message at once cannot move read_at.
        InboxMessage.objects.filter(pk=message.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        message.refresh_from_db(fields=["read_at"])
    return message
