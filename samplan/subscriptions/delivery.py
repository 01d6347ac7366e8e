"""Sending the notifications: the worker's part (`samplan subscriptions deliver`), never a
request thread's (a request only writes its plan event).

A notification is an R4 rest-hook POST to the subscription's endpoint. Without
`channel.payload` its body is empty (R4: "just a notification"); with
`application/fhir+json` it is an id-only Bundle (type history) in the shape of the R4
Subscriptions Backport: a Parameters resource with the subscription's status and the event,
whose focus is `CarePlan/{id}`, and an entry for the plan without its content. Nothing about
the person beyond the plan's id is sent; the record system reads the plan with its own token,
audited as any read.

Before each POST the subscriber's right to see the plan is asked again (a revoked consent stops
notices at once) and the endpoint's host resolved and checked again; the POST goes to the
checked address. Redirects are not followed (a 3xx is a failure). Every attempt has short
timeouts; a failing endpoint is retried with backoff (services.backoff) until the subscription
has failed for SUBSCRIPTION_ERROR_AFTER_HOURS and is set to error."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from samplan.authz import policy as authz
from samplan.subscriptions import fanout, network, services
from samplan.subscriptions.models import Delivery, DeliveryStatus, SubscriptionStatus

logger = logging.getLogger(__name__)

BATCH = 200
EXT_PLAN_EVENT = "urn:samplan:StructureDefinition:plan-event"


@dataclass
class Run:
    delivered: int = 0
    failed: int = 0
    withheld: int = 0
    errored: list[int] = field(default_factory=list)  # subscriptions set to error

    def __str__(self) -> str:
        return (
            f"{self.delivered} delivered, {self.failed} failed (to be retried), "
            f"{self.withheld} withheld, {len(self.errored)} subscriptions set to error"
        )


def _instant(moment: datetime) -> str:
    return moment.astimezone(timezone.get_current_timezone()).isoformat(timespec="seconds")


def notification_bundle(delivery: Delivery, *, number: int, now: datetime) -> dict[str, Any]:
    """The id-only notification (R4 Subscriptions Backport's shape, in R4 resources)."""
    subscription = delivery.subscription
    base = subscription.base_url
    plan_ref = f"CarePlan/{delivery.plan_id}"
    status = {
        "resourceType": "Parameters",
        "id": str(uuid.uuid4()),
        "parameter": [
            {
                "name": "subscription",
                "valueReference": {"reference": f"{base}Subscription/{subscription.pk}"},
            },
            {"name": "status", "valueCode": subscription.status},
            {"name": "type", "valueCode": "event-notification"},
            {"name": "events-since-subscription-start", "valueString": str(number)},
            {
                "name": "notification-event",
                "extension": [{"url": EXT_PLAN_EVENT, "valueCode": delivery.kind}],
                "part": [
                    {"name": "event-number", "valueString": str(number)},
                    {"name": "timestamp", "valueInstant": _instant(delivery.created_at)},
                    {"name": "focus", "valueReference": {"reference": plan_ref}},
                ],
            },
        ],
    }
    created = delivery.kind == "created"
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "history",
        "timestamp": _instant(now),
        "entry": [
            {
                "fullUrl": f"urn:uuid:{status['id']}",
                "resource": status,
                "request": {"method": "GET", "url": f"Subscription/{subscription.pk}/$status"},
                "response": {"status": "200"},
            },
            {
                "fullUrl": f"{base}{plan_ref}",
                "request": {"method": "POST" if created else "PUT", "url": plan_ref},
                "response": {"status": "201" if created else "200"},
            },
        ],
    }


class _Connection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the name resolves to now."""

    def __init__(self, target: network.Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _TlsConnection(http.client.HTTPSConnection):
    def __init__(self, target: network.Target, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self.tls)
        self.address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def post(target: network.Target, body: bytes, headers: list[str]) -> int:
    """POST and return the HTTP status; the answer's body is not read. Raises OSError
    (TimeoutError for a timeout) or http.client.HTTPException."""
    timeout = float(settings.SUBSCRIPTION_TIMEOUT_SECONDS)
    kind = _TlsConnection if target.scheme == "https" else _Connection
    connection = kind(target, timeout)
    try:
        connection.putrequest("POST", target.path)
        for header in headers:
            name, _sep, value = header.partition(":")
            connection.putheader(name.strip(), value.strip())
        connection.putheader("User-Agent", "Samplan")
        if body:
            connection.putheader("Content-Type", "application/fhir+json")
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        return connection.getresponse().status
    finally:
        connection.close()


def _attempt(delivery: Delivery, now: datetime) -> tuple[str, int | None]:
    """Send one notification: ("", status) when taken, else (error class, status or None)."""
    subscription = delivery.subscription
    try:
        target = network.resolve(subscription.endpoint)
    except network.EndpointRefused as exc:
        return f"endpoint_{exc.code}", None
    body = b""
    if subscription.payload:
        number = Delivery.objects.filter(subscription=subscription, pk__lte=delivery.pk).count()
        bundle = notification_bundle(delivery, number=number, now=now)
        body = json.dumps(bundle, separators=(",", ":")).encode()
    try:
        status = post(target, body, subscription.headers)
    except TimeoutError:
        return "timeout", None
    except ssl.SSLError:
        return "tls", None
    except OSError:
        return "connection", None
    except http.client.HTTPException:
        return "protocol", None
    if 200 <= status < 300:
        return "", status
    return ("redirect" if 300 <= status < 400 else "http_status"), status


def deliver_due(*, now: datetime | None = None, limit: int = BATCH) -> Run:
    """Send the deliveries that are due, oldest first. After a failure, the subscription's
    other deliveries wait for the next pass: a hanging endpoint costs one timeout a pass."""
    now = now or timezone.now()
    run = Run()
    failing: set[int] = set()
    due = (
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .select_related("subscription__owner", "plan__person")
        .order_by("pk")[:limit]
    )
    for delivery in due:
        subscription = delivery.subscription
        if subscription.pk in failing:
            continue
        if subscription.status != SubscriptionStatus.ACTIVE:
            services.delivery_withheld(delivery=delivery, now=now)
            run.withheld += 1
            continue
        subscriber = authz.subscriber_actor(subscription)
        plans = authz.notified_plans(subscriber).filter(fanout.criteria_filter(subscription))
        if subscriber is None or not plans.filter(pk=delivery.plan_id).exists():
            services.delivery_withheld(delivery=delivery, now=now)
            run.withheld += 1
            continue
        error, status = _attempt(delivery, now)
        if not error:
            assert status is not None
            services.delivery_succeeded(
                delivery=delivery, subscriber=subscriber, http_status=status, now=now
            )
            run.delivered += 1
            continue
        run.failed += 1
        failing.add(subscription.pk)
        if services.delivery_failed(delivery=delivery, error=error, http_status=status, now=now):
            run.errored.append(subscription.pk)
    return run


def process(*, now: datetime | None = None) -> tuple[fanout.FanOut, Run]:
    """One pass of the worker: read new plan events, then send what is due."""
    return fanout.enqueue(now=now), deliver_due(now=now)


def run_worker(every: float, stop: threading.Event) -> int:
    """A pass every `every` seconds until `stop` is set. For `samplan subscriptions deliver
    --loop`. A failed pass (the database away) is logged and tried again at the next tick.
    Returns the notifications delivered."""
    from django.db import close_old_connections

    delivered = 0
    while not stop.is_set():
        close_old_connections()
        try:
            delivered += process()[1].delivered
        except Exception:
            logger.exception("subscriptions: a delivery pass failed")
        stop.wait(every)
    return delivered
