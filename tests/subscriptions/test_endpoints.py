"""GET, DELETE and $status of a Subscription: the owner's only, valid R4 resources, a bounded
number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.parameters import Parameters
from fhir.resources.R4B.subscription import Subscription as FhirSubscription

from samplan.audit.models import AuditEvent, Outcome
from samplan.subscriptions import delivery, fanout
from samplan.subscriptions.models import Subscription, SubscriptionStatus
from tests.subscriptions.conftest import Receiver, RecordSystem, World
from tests.subscriptions.test_notify import establish_revision

pytestmark = pytest.mark.django_db


def parameters(body: dict[str, Any]) -> dict[str, Any]:
    Parameters.model_validate(body)
    return {
        p["name"]: next(v for k, v in p.items() if k.startswith("value")) for p in body["parameter"]
    }


def test_create_read_and_list(
    subscriber: RecordSystem, receiver: Receiver, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(8):
        status, created = subscriber.subscribe(
            receiver.url("/x"),
            criteria="CarePlan?_lastUpdated=ge2026-01-01&_lastUpdated=lt2030-01-01",
        )
    assert status == 201, created
    FhirSubscription.model_validate(created)
    stored = Subscription.objects.get(pk=int(created["id"]))
    assert stored.unit == subscriber.unit
    assert stored.owner == subscriber.user
    assert stored.updated_from is not None
    assert stored.updated_before is not None
    assert stored.updated_from < stored.updated_before

    with django_assert_max_num_queries(3):
        status, read = subscriber.get(f"Subscription/{stored.pk}")
    assert status == 200
    FhirSubscription.model_validate(read)
    assert read["criteria"] == "CarePlan?_lastUpdated=ge2026-01-01&_lastUpdated=lt2030-01-01"
    assert read["channel"]["endpoint"] == receiver.url("/x")

    with django_assert_max_num_queries(3):
        status, listed = subscriber.get("Subscription")
    assert status == 200
    Bundle.model_validate(listed)
    assert [e["resource"]["id"] for e in listed["entry"]] == [str(stored.pk)]


def test_status_counts_the_delivery_log(
    world: World, receiver: Receiver, django_assert_max_num_queries: Any
) -> None:
    _status, created = world.covered.subscribe(receiver.url("/x"))
    establish_revision(world)
    fanout.enqueue()
    # The worker's cost of one notification: the due row with its subscription and plan, the
    # subscriber's unit, the visibility check, the delivery's update and the audit row.
    with django_assert_max_num_queries(9):
        assert delivery.deliver_due().delivered == 1
    with django_assert_max_num_queries(4):
        status, body = world.covered.get(f"Subscription/{created['id']}/$status")
    assert status == 200
    values = parameters(body)
    assert values["status"] == "active"
    assert values["type"] == "query-status"
    assert values["events-since-subscription-start"] == "1"
    assert values["delivered"] == 1
    assert values["pending"] == 0
    assert "last-delivered" in values


def test_delete_stops_notifications(world: World, receiver: Receiver) -> None:
    _status, created = world.covered.subscribe(receiver.url("/x"))
    pk = int(created["id"])
    establish_revision(world)
    fanout.enqueue()  # a notice waits
    assert world.covered.delete(f"Subscription/{pk}") == 204
    assert Subscription.objects.get(pk=pk).status == SubscriptionStatus.OFF
    assert AuditEvent.objects.filter(
        action="subscription.delete", actor=world.covered.user
    ).exists()
    delivery.process()
    assert receiver.received == []
    status, _gone = world.covered.get(f"Subscription/{pk}")
    assert status == 410
    assert world.covered.delete(f"Subscription/{pk}") == 204  # again: nothing to do


def test_someone_elses_subscription_is_not_found(world: World, receiver: Receiver) -> None:
    _status, created = world.covered.subscribe(receiver.url("/x"))
    pk = created["id"]
    for path in (f"Subscription/{pk}", f"Subscription/{pk}/$status", "Subscription/99999999"):
        status, _body = world.outside.get(path)
        assert status == 404, path
    assert world.outside.delete(f"Subscription/{pk}") == 404
    assert Subscription.objects.get(pk=pk).status == SubscriptionStatus.ACTIVE
    assert AuditEvent.objects.filter(
        actor=world.outside.user, action="subscription.manage", outcome=Outcome.DENIED
    ).exists()
    status, listed = world.outside.get("Subscription")
    assert status == 200
    assert "entry" not in listed
