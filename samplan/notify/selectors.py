"""Reads for notifications."""

from __future__ import annotations

from django.db import models
from django.db.models import QuerySet

from samplan.accounts.models import User
from samplan.notify.models import InboxMessage, OutboundMail


def inbox_for(*, user: User) -> QuerySet[InboxMessage]:
    """The user's own messages, newest first; the only way the inbox is read."""
    return InboxMessage.objects.filter(recipient=user).order_by("-created_at", "-pk")


def unread_count(*, user: User) -> int:
    return InboxMessage.objects.filter(recipient=user, read_at__isnull=True).count()


def mails_for(*, related: models.Model, topic: str = "") -> QuerySet[OutboundMail]:
    """The mails queued about one object (e.g. a meeting), oldest first."""
    mails = OutboundMail.objects.filter(
        related_type=related._meta.label_lower, related_id=str(related.pk)
    )
    if topic:
        mails = mails.filter(topic=topic)
    return mails.order_by("created_at", "pk")
