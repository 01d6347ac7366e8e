"""Writes of subscriptions and their deliveries: keyword-only, explicit actor, audited.

A notification tells a third party that a plan exists and changed, so every notification
delivered is an audit event in the person's log (`careplan.fhir_notify`), written by
`delivery_succeeded` with the subscriber as the actor."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from samplan.audit import services as audit
from samplan.audit.actions import AuditAction
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.plans.models import PlanEvent
from samplan.subscriptions import network
from samplan.subscriptions.models import (
    Delivery,
    DeliveryStatus,
    Subscription,
    SubscriptionStatus,
)

logger = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
PAYLOADS = {"", FHIR_JSON}
MAX_HEADERS = 5
# "Name: value", printable ASCII without line breaks (they would start a header of their own)
_HEADER = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}: ?[\x20-\x7e]{1,1000}", flags=re.ASCII)
# Headers Samplan sets itself.
RESERVED_HEADERS = {"host", "content-type", "content-length", "transfer-encoding", "connection"}

# Backoff: the first retry after BACKOFF_FIRST, doubling up to BACKOFF_MAX; retried until the
# subscription has failed for SUBSCRIPTION_ERROR_AFTER_HOURS, then set to error.
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)


@dataclass(frozen=True)
class Criteria:
    """What `CarePlan?...` narrows to, besides what the subscriber may see."""

    patient: int | None = None
    updated_from: datetime | None = None
    updated_before: datetime | None = None


def _endpoint_error(code: str) -> str:
    messages = {
        "scheme": _("Adressen måste börja med http:// eller https://."),
        "malformed": _("Adressen är inte en giltig webbadress."),
        "unresolved": _("Adressens värdnamn gick inte att slå upp."),
        "network": _("Adressen ligger utanför de nätverk som prenumeranter får finnas på."),
    }
    return messages.get(code, messages["malformed"])


def _check_headers(headers: list[str]) -> None:
    if len(headers) > MAX_HEADERS:
        raise ValidationError(
            {"Subscription.channel.header": [_("Högst %(n)s huvuden.") % {"n": MAX_HEADERS}]}
        )
    for header in headers:
        name = header.split(":", 1)[0].strip().lower()
        if not _HEADER.fullmatch(header) or name in RESERVED_HEADERS:
            raise ValidationError(
                {"Subscription.channel.header": [_('Ett huvud skrivs som "Namn: värde".')]}
            )


@transaction.atomic
def subscription_create(
    *,
    actor: Actor,
    criteria: str,
    parsed: Criteria,
    endpoint: str,
    base_url: str,
    payload: str = "",
    headers: list[str] | None = None,
    reason: str = "",
) -> Subscription:
    """A rest-hook subscription for the actor's acting unit, active at once. The endpoint
    must resolve to allowed networks only (network.py); anything wrong: ValidationError keyed
    by the FHIR element, nothing stored."""
    authz.require(actor, Action.SUBSCRIPTION_CREATE)
    try:
        network.resolve(endpoint)
    except network.EndpointRefused as exc:
        raise ValidationError(
            {"Subscription.channel.endpoint": [_endpoint_error(exc.code)]}
        ) from None
    if payload not in PAYLOADS:
        raise ValidationError(
            {"Subscription.channel.payload": [_("Bara application/fhir+json kan skickas.")]}
        )
    headers = headers or []
    _check_headers(headers)
    assert actor.user is not None
    assert actor.unit is not None
    last_event = PlanEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    subscription = Subscription.objects.create(
        owner=actor.user,
        unit=actor.unit,
        criteria=criteria,
        patient=parsed.patient,
        updated_from=parsed.updated_from,
        updated_before=parsed.updated_before,
        reason=reason[:500],
        endpoint=endpoint,
        payload=payload,
        headers=headers,
        base_url=base_url,
        status=SubscriptionStatus.ACTIVE,
        from_event=last_event,
    )
    # The criteria may name a person (patient=): not written to the log, only the id.
    audit.record(actor=actor, action=AuditAction.SUBSCRIPTION_CREATE, obj=subscription)
    return subscription


@transaction.atomic
def subscription_delete(*, actor: Actor, subscription: Subscription) -> Subscription:
    """Turn the subscription off: nothing more is sent. Its delivery log stays."""
    authz.require(actor, Action.SUBSCRIPTION_MANAGE, subscription)
    now = timezone.now()
    subscription.status = SubscriptionStatus.OFF
    subscription.ended_at = now
    subscription.save(update_fields=["status", "ended_at"])
    Delivery.objects.filter(subscription=subscription, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.WITHHELD, finished_at=now
    )
    audit.record(actor=actor, action=AuditAction.SUBSCRIPTION_DELETE, obj=subscription)
    return subscription


# Deliveries: written by the worker (delivery.py) ------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """The wait before attempt `attempts + 1`: 30 s, 1 min, 2 min, ... at most an hour."""
    wait = BACKOFF_FIRST * (2 ** max(attempts - 1, 0)) if attempts < 20 else BACKOFF_MAX
    return min(wait, BACKOFF_MAX)


@transaction.atomic
def delivery_succeeded(
    *, delivery: Delivery, subscriber: Actor, http_status: int, now: datetime
) -> None:
    """The endpoint took the notification: the log says so, and so does the person's."""
    delivery.status = DeliveryStatus.DELIVERED
    delivery.attempts += 1
    delivery.last_http_status = http_status
    delivery.last_error = ""
    delivery.last_attempt_at = now
    delivery.finished_at = now
    delivery.save()
    Subscription.objects.filter(pk=delivery.subscription_id).update(
        last_delivered_at=now, failing_since=None
    )
    plan = delivery.plan
    audit.record(
        actor=subscriber,
        action=AuditAction.CAREPLAN_FHIR_NOTIFY,
        obj=plan,
        person=plan.person,
        ground=authz.plan_read_ground(subscriber, plan),
        detail={"subscription": delivery.subscription_id, "event": delivery.kind},
    )


@transaction.atomic
def delivery_failed(
    *, delivery: Delivery, error: str, http_status: int | None, now: datetime
) -> bool:
    """One failed attempt: retried later with backoff. A subscription that has failed for
    SUBSCRIPTION_ERROR_AFTER_HOURS is set to error and its pending deliveries abandoned.
    Returns whether the subscription went to error."""
    delivery.attempts += 1
    delivery.last_http_status = http_status
    delivery.last_error = error[:40]
    delivery.last_attempt_at = now
    delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save()
    subscription = Subscription.objects.select_for_update().get(pk=delivery.subscription_id)
    subscription.error_count += 1
    if subscription.failing_since is None:
        subscription.failing_since = now
    given_up = now - subscription.failing_since >= timedelta(
        hours=settings.SUBSCRIPTION_ERROR_AFTER_HOURS
    )
    if given_up:
        subscription.status = SubscriptionStatus.ERROR
        subscription.error = (
            f"endpoint failing since {subscription.failing_since:%Y-%m-%d %H:%M} UTC ({error[:40]})"
        )
        Delivery.objects.filter(subscription=subscription, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.ABANDONED, finished_at=now
        )
    subscription.save()
    logger.warning(
        "subscription %s: delivery %s failed (%s, attempt %s)%s",
        subscription.pk,
        delivery.pk,
        error,
        delivery.attempts,
        "; subscription set to error" if given_up else "",
    )
    return given_up


def delivery_withheld(*, delivery: Delivery, now: datetime) -> None:
    """Not sent: the subscriber no longer sees the plan, or the subscription has ended."""
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.WITHHELD, finished_at=now)
    delivery.status = DeliveryStatus.WITHHELD
