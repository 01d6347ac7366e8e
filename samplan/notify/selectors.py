"""Reads for notifications."""

from __future__ import annotations

from django.db import models
from django.db.models import QuerySet

from samplan.accounts.models import User
from samplan.audit import services as audit
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
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


def inbox_message_content_shown(*, actor: Actor, message: InboxMessage) -> bool:
    """Whether the message's body and link may be shown. A message that quotes a plan (a
    deviation's text) is shown only while the reader, through the acting unit, may see the
    plan, as the plan page would be: a consent revoked or narrowed since it was sent closes it
    too. Showing it is a read of the plan's person, audited. Other messages carry no
    personal data and are always shown."""
    if message.plan_id is None:
        return True
    from samplan.plans.selectors import read_ground

    plan = authz.visible_plans(actor).filter(pk=message.plan_id).select_related("person").first()
    if plan is None:
        return False
    audit.record(
        actor=actor,
        action="inbox.read",
        obj=message,
        person=plan.person,
        ground=read_ground(actor, plan),
        detail={"plan": plan.pk},
    )
    return True
