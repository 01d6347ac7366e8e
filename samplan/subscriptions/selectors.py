"""Reads of subscriptions: no personal data (the criteria's patient id aside), not audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q

from samplan.subscriptions.models import Delivery, DeliveryStatus, Subscription


@dataclass(frozen=True)
class StatusCounts:
    events: int  # deliveries made for it since it started (events it was to be told of)
    delivered: int
    pending: int
    withheld: int
    abandoned: int
    retrying: int  # pending deliveries with at least one failed attempt
    last_attempt_at: datetime | None


def subscription_status_counts(subscription: Subscription) -> StatusCounts:
    """Its delivery log in figures: one query."""
    row = Delivery.objects.filter(subscription=subscription).aggregate(
        events=Count("pk"),
        delivered=Count("pk", filter=Q(status=DeliveryStatus.DELIVERED)),
        pending=Count("pk", filter=Q(status=DeliveryStatus.PENDING)),
        withheld=Count("pk", filter=Q(status=DeliveryStatus.WITHHELD)),
        abandoned=Count("pk", filter=Q(status=DeliveryStatus.ABANDONED)),
        retrying=Count("pk", filter=Q(status=DeliveryStatus.PENDING, attempts__gt=0)),
        last_attempt_at=Max("last_attempt_at"),
    )
    return StatusCounts(**row)
