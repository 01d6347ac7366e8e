"""Outgoing mail (an outbox sent after commit, retried) and the in-app inbox."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class MailStatus(models.TextChoices):
    QUEUED = "queued", _("I kö")
    SENT = "sent", _("Skickat")
    FAILED = "failed", _("Misslyckades")


class OutboundMail(models.Model):
    """One mail to send. Rows are kept after sending as the record of what went out."""

    recipients = models.JSONField(_("mottagare"), default=list)
    subject = models.CharField(_("ämne"), max_length=255)
    body = models.TextField(_("text"))
    # An iCalendar object is text (RFC 5545 is UTF-8), so it is kept readable.
    ics = models.TextField(_("kalenderinbjudan"), blank=True)
    ics_filename = models.CharField(max_length=100, blank=True)
    ics_method = models.CharField(max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MailStatus.choices, default=MailStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("försök"), default=0)
    next_attempt_at = models.DateTimeField(_("nästa försök"))
    # The exception class only: a message may quote addresses or content.
    last_error = models.CharField(_("senaste fel"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("skapat"), auto_now_add=True)
    sent_at = models.DateTimeField(_("skickat"), null=True, blank=True)
    # Lets another app find its mails (e.g. all mails of one meeting) without a foreign key here.
    topic = models.CharField(_("ämnesområde"), max_length=100, blank=True)
    related_type = models.CharField(max_length=100, blank=True)
    related_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("utgående e-post")
        verbose_name_plural = _("utgående e-post")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notify_mail_due"),
            models.Index(fields=["related_type", "related_id"], name="notify_mail_related"),
        ]

    def __str__(self) -> str:
        return f"OutboundMail {self.pk} ({self.status})"


def validate_local_path(value: str) -> None:
    # Only paths on this site: "//host" and backslashes would let a message link elsewhere.
    if value and (not value.startswith("/") or value.startswith("//") or "\\" in value):
        raise ValidationError(_("Länken måste vara en sökväg som börjar med /."), code="path")


class InboxMessage(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="inbox_messages",
        verbose_name=_("mottagare"),
    )
    subject = models.CharField(_("ämne"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("länk"), max_length=500, blank=True, validators=[validate_local_path])
    # Set when subject or body carries a plan's content (a deviation's text, which may name
    # the person): the message is then shown only while the reader may see the plan, and
    # reading it is audited for the plan's person.
    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("mottaget"), auto_now_add=True)
    read_at = models.DateTimeField(_("läst"), null=True, blank=True)

    class Meta:
        verbose_name = _("meddelande")
        verbose_name_plural = _("meddelanden")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notify_inbox_recent"),
            models.Index(
                fields=["recipient"],
                name="notify_inbox_unread",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("inbox_message", args=[self.pk])

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
