"""From plan events to deliveries: the outbox read.

`plans.PlanEvent` rows are written in the same transaction as the change they record, so an
event that can be read was committed: nothing is announced that was rolled back, and nothing
is announced before it is true. Each event of a kind record systems are told of becomes one
pending delivery per active subscription whose criteria it matches and whose subscriber may
see the plan (asked once per subscription and batch). Visibility is asked again when the
delivery is sent (delivery.py).

Ids are handed out when a row is inserted, not when it is committed: on PostgreSQL an event
with a smaller id can become visible after one with a larger id. The cursor therefore moves
only past events older than SETTLE (no transaction of Samplan's runs that long); younger ones
are read again on the next pass, and the unique (subscription, event) pair keeps them from
being delivered twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Min, Q, QuerySet
from django.utils import timezone

from samplan.authz import policy as authz
from samplan.plans.models import PlanEvent
from samplan.subscriptions.models import (
    Cursor,
    Delivery,
    Subscription,
    SubscriptionStatus,
)

CURSOR = "plan_events"
BATCH = 500
SETTLE = timedelta(seconds=60)
# Plan events record systems are told of, and the word a notification uses for each.
EVENT_KINDS = {
    "initiated": "created",
    "established": "established",  # "revised" when it is version 2 or later
    "paused": "paused",
    "closed": "closed",
}


def notification_kind(event_kind: str, detail: dict[str, Any]) -> str:
    kind = EVENT_KINDS[event_kind]
    if kind == "established" and int(detail.get("version") or 1) > 1:
        return "revised"
    return kind


def criteria_filter(subscription: Subscription) -> Q:
    q = Q()
    if subscription.patient is not None:
        q &= Q(person_id=subscription.patient)
    if subscription.updated_from is not None:
        q &= Q(updated_at__gte=subscription.updated_from)
    if subscription.updated_before is not None:
        q &= Q(updated_at__lt=subscription.updated_before)
    return q


def matching_plans(subscription: Subscription) -> QuerySet[Any]:
    """The plans this subscription is to be told of now: what its subscriber may see (the
    policy, asked afresh) that its criteria select."""
    subscriber = authz.subscriber_actor(subscription)
    return authz.notified_plans(subscriber).filter(criteria_filter(subscription))


@dataclass
class FanOut:
    events: int = 0
    deliveries: int = 0


def _cursor() -> Cursor:
    cursor = Cursor.objects.select_for_update().filter(name=CURSOR).first()
    if cursor is not None:
        return cursor
    # First run: start where the oldest active subscription started.
    start = Subscription.objects.filter(status=SubscriptionStatus.ACTIVE).aggregate(
        first=Min("from_event")
    )["first"]
    if start is None:
        start = PlanEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    cursor, _created = Cursor.objects.get_or_create(name=CURSOR, defaults={"position": start})
    return cursor


def enqueue(*, now: datetime | None = None, batch: int = BATCH) -> FanOut:
    """Turn the plan events not yet read into pending deliveries."""
    now = now or timezone.now()
    result = FanOut()
    while True:
        with transaction.atomic():
            cursor = _cursor()
            rows = (
                PlanEvent.objects.filter(pk__gt=cursor.position, kind__in=EVENT_KINDS)
                .order_by("pk")
                .values("pk", "plan_id", "kind", "detail", "at")[:batch]
            )
            events: list[dict[str, Any]] = [dict(row) for row in rows]
            if not events:
                return result
            result.events += len(events)
            result.deliveries += _deliveries_for(events, now)
            settled = cursor.position
            for event in events:
                if event["at"] > now - SETTLE:
                    break
                settled = event["pk"]
            if settled != cursor.position:
                cursor.position = settled
                cursor.save(update_fields=["position"])
        if settled != events[-1]["pk"] or len(events) < batch:
            return result


def _deliveries_for(events: list[dict[str, Any]], now: datetime) -> int:
    subscriptions = Subscription.objects.filter(
        status=SubscriptionStatus.ACTIVE, from_event__lt=events[-1]["pk"]
    ).select_related("owner")
    rows: list[Delivery] = []
    for subscription in subscriptions:
        wanted = [e for e in events if e["pk"] > subscription.from_event]
        plan_ids = {e["plan_id"] for e in wanted}
        seen = set(
            matching_plans(subscription).filter(pk__in=plan_ids).values_list("pk", flat=True)
        )
        rows += [
            Delivery(
                subscription=subscription,
                event_id=e["pk"],
                plan_id=e["plan_id"],
                kind=notification_kind(e["kind"], e["detail"] or {}),
                next_attempt_at=now,
            )
            for e in wanted
            if e["plan_id"] in seen
        ]
    existing = set(
        Delivery.objects.filter(event_id__in=[e["pk"] for e in events]).values_list(
            "subscription_id", "event_id"
        )
    )
    rows = [r for r in rows if (r.subscription_id, r.event_id) not in existing]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
