"""A notification endpoint that answers 500, hangs or redirects: retried with backoff, bounded,
logged, no request thread blocked; a subscription that fails for long is set to error."""

from __future__ import annotations

import logging
import socket
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from samplan.plans.models import Plan
from samplan.subscriptions import delivery, fanout
from samplan.subscriptions.models import (
    Delivery,
    DeliveryStatus,
    Subscription,
    SubscriptionStatus,
)
from tests.subscriptions.conftest import Receiver, World
from tests.subscriptions.test_notify import establish_revision

pytestmark = pytest.mark.django_db


def subscribe(world: World, receiver: Receiver, path: str) -> Subscription:
    status, body = world.covered.subscribe(receiver.url(path))
    assert status == 201, body
    return Subscription.objects.get(pk=int(body["id"]))


def only_delivery(subscription: Subscription) -> Delivery:
    return Delivery.objects.get(subscription=subscription)


def test_a_failing_endpoint_is_retried_with_backoff_then_set_to_error(
    world: World, receiver: Receiver, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.SUBSCRIPTION_ERROR_AFTER_HOURS = 1
    receiver.behaviour["/fail"] = "500"
    subscription = subscribe(world, receiver, "/fail")
    establish_revision(world)
    start = timezone.now()

    with caplog.at_level(logging.WARNING, logger="samplan.subscriptions"):
        run = delivery.process(now=start)[1]
    assert (run.delivered, run.failed) == (0, 1)
    attempt = only_delivery(subscription)
    assert attempt.status == DeliveryStatus.PENDING
    assert (attempt.attempts, attempt.last_http_status, attempt.last_error) == (
        1,
        500,
        "http_status",
    )
    assert attempt.next_attempt_at == start + timedelta(seconds=30)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"subscription {subscription.pk}" in logged
    assert "http_status" in logged
    assert world.plan.person.family_name not in logged

    # Not due yet: nothing is sent.
    delivery.process(now=start + timedelta(seconds=10))
    assert len(receiver.at("/fail")) == 1
    # Due: the second attempt, and the wait doubles.
    second = start + timedelta(seconds=31)
    delivery.process(now=second)
    assert len(receiver.at("/fail")) == 2
    attempt.refresh_from_db()
    assert attempt.attempts == 2
    assert attempt.next_attempt_at == second + timedelta(seconds=60)

    # Failing for longer than SUBSCRIPTION_ERROR_AFTER_HOURS: error, nothing more is tried.
    late = start + timedelta(hours=2)
    run = delivery.process(now=late)[1]
    assert run.errored == [subscription.pk]
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ERROR
    assert subscription.error_count == 3
    assert "http_status" in subscription.error
    attempt.refresh_from_db()
    assert attempt.status == DeliveryStatus.ABANDONED
    sent = len(receiver.received)
    establish_revision(world)
    delivery.process(now=late + timedelta(hours=5))
    assert len(receiver.received) == sent
    assert Delivery.objects.filter(subscription=subscription).count() == 1  # none queued


def test_backoff_is_bounded() -> None:
    from samplan.subscriptions.services import backoff

    waits = [backoff(n) for n in range(1, 40)]
    assert waits[0] == timedelta(seconds=30)
    assert waits == sorted(waits)
    assert max(waits) == timedelta(hours=1)


def test_a_redirect_is_not_followed(world: World, receiver: Receiver) -> None:
    receiver.behaviour["/moved"] = "redirect"
    subscription = subscribe(world, receiver, "/moved")
    establish_revision(world)
    run = delivery.process()[1]
    assert run.failed == 1
    assert receiver.at("/ok") == []  # the Location was not followed
    attempt = only_delivery(subscription)
    assert (attempt.last_http_status, attempt.last_error) == (302, "redirect")
    assert attempt.status == DeliveryStatus.PENDING


def test_a_hanging_endpoint_times_out_and_does_not_hold_back_others(
    world: World, receiver: Receiver, settings: Any
) -> None:
    settings.SUBSCRIPTION_TIMEOUT_SECONDS = 1
    receiver.behaviour["/hang"] = "hang"
    hanging = subscribe(world, receiver, "/hang")
    healthy = subscribe(world, receiver, "/fine")
    establish_revision(world)
    assert receiver.received == []  # establishing sent nothing: the worker sends

    run = delivery.process()[1]

    assert (run.delivered, run.failed) == (1, 1)
    assert only_delivery(hanging).last_error == "timeout"
    assert only_delivery(healthy).status == DeliveryStatus.DELIVERED
    assert len(receiver.at("/fine")) == 1


def test_after_a_failure_the_subscriptions_other_notices_wait(
    world: World, receiver: Receiver
) -> None:
    """A failing endpoint costs one attempt a pass, however many notices wait for it."""
    receiver.behaviour["/fail"] = "500"
    subscription = subscribe(world, receiver, "/fail")
    establish_revision(world)
    from samplan.plans import services as plans

    plans.plan_close(
        actor=world.coordinator, plan=Plan.objects.get(pk=world.plan.pk), reason="goals_reached"
    )
    run = delivery.process()[1]
    assert run.failed == 1
    assert len(receiver.at("/fail")) == 1
    assert Delivery.objects.filter(subscription=subscription, attempts=0).count() == 1


def test_an_endpoint_that_recovers_is_delivered_to(world: World, receiver: Receiver) -> None:
    receiver.behaviour["/flaky"] = "500"
    subscription = subscribe(world, receiver, "/flaky")
    establish_revision(world)
    start = timezone.now()
    delivery.process(now=start)
    receiver.behaviour["/flaky"] = "ok"
    run = delivery.process(now=start + timedelta(minutes=1))[1]
    assert run.delivered == 1
    subscription.refresh_from_db()
    assert subscription.failing_since is None
    assert subscription.status == SubscriptionStatus.ACTIVE
    attempt = only_delivery(subscription)
    assert (attempt.status, attempt.attempts) == (DeliveryStatus.DELIVERED, 2)


def test_a_name_that_moves_outside_the_allowed_networks_is_not_sent_to(
    world: World, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the host is resolved and checked again before every notification."""
    port = int(receiver.base.rsplit(":", 1)[1])
    real = socket.getaddrinfo

    def journal(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "journal.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address[0], port))]
        return real(host, *args, **kwargs)

    address = ["127.0.0.1"]
    monkeypatch.setattr(socket, "getaddrinfo", journal)
    status, body = world.covered.subscribe(f"http://journal.test:{port}/rebind")
    assert status == 201, body
    address[0] = "10.9.8.7"
    establish_revision(world)

    run = delivery.process()[1]

    assert run.failed == 1
    assert receiver.received == []
    assert Delivery.objects.get().last_error == "endpoint_network"


def test_the_worker_survives_a_failed_pass(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """`--loop`: a pass that raises (the database away) is logged, and the next one runs."""
    stop = threading.Event()
    passes: list[int] = []

    def flaky(**kwargs: Any) -> Any:
        passes.append(1)
        if len(passes) == 1:
            raise RuntimeError("database away")
        stop.set()
        return fanout.FanOut(), delivery.Run(delivered=2)

    monkeypatch.setattr(delivery, "process", flaky)
    with caplog.at_level(logging.ERROR, logger="samplan.subscriptions"):
        assert delivery.run_worker(0.01, stop) == 2
    assert len(passes) == 2
    assert "a delivery pass failed" in caplog.text


def test_a_refused_connection_is_a_failure(world: World) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    status, body = world.covered.subscribe(f"http://127.0.0.1:{port}/closed")
    assert status == 201, body
    establish_revision(world)
    run = delivery.process()[1]
    assert run.failed == 1
    assert Delivery.objects.get().last_error == "connection"
