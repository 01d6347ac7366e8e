"""Issue 14, done when: a record system registers a Subscription with its user's token, a plan
is established, the worker runs once, and the record system's endpoint receives the
notification; a subscriber whose organisation the consent does not cover receives nothing;
a revoked consent stops the first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from samplan.accounts.services import api_token_create
from samplan.audit.actions import AuditAction
from samplan.audit.extract import action_phrase
from samplan.audit.models import AuditEvent
from samplan.authz.actor import Actor
from samplan.consent import services as consent
from samplan.directory.models import Membership
from samplan.plans import services as plans
from samplan.plans.models import Plan, PlanEvent
from samplan.subscriptions import delivery, fanout
from samplan.subscriptions.models import Cursor, Delivery, DeliveryStatus
from tests.factories import PersonFactory, relate
from tests.subscriptions.conftest import Receiver, RecordSystem, World

pytestmark = pytest.mark.django_db


def establish_revision(world: World) -> None:
    plan = Plan.objects.get(pk=world.plan.pk)
    plans.plan_revise(actor=world.coordinator, plan=plan, reason="Nytt boende")
    plans.plan_establish(actor=world.coordinator, plan=Plan.objects.get(pk=plan.pk))


def test_record_system_is_notified_of_a_plan_it_sees_and_only_that(
    world: World, receiver: Receiver
) -> None:
    status, created = world.covered.subscribe(
        receiver.url("/covered"),
        channel={
            "type": "rest-hook",
            "endpoint": receiver.url("/covered"),
            "payload": "application/fhir+json",
            "header": ["Authorization: Bearer journalens-nyckel"],
        },
    )
    assert status == 201, created
    assert created["status"] == "active"
    assert created["channel"]["header"] == ["Authorization: ***"]  # never shown again
    status, _outside = world.outside.subscribe(receiver.url("/outside"))
    assert status == 201

    establish_revision(world)
    call_command("subscriptions", "deliver")

    notices = receiver.at("/covered")
    assert len(notices) == 1
    notice = notices[0]
    assert notice.headers["Authorization"] == "Bearer journalens-nyckel"
    assert notice.headers["Content-Type"] == "application/fhir+json"
    bundle = notice.json()
    Bundle.model_validate(bundle)  # a valid R4 resource
    assert bundle["type"] == "history"
    status_params = bundle["entry"][0]["resource"]
    event = next(p for p in status_params["parameter"] if p["name"] == "notification-event")
    focus = next(p for p in event["part"] if p["name"] == "focus")
    assert focus["valueReference"]["reference"] == f"CarePlan/{world.plan.pk}"
    assert event["extension"][0]["valueCode"] == "revised"
    assert bundle["entry"][1]["fullUrl"].endswith(f"/fhir/CarePlan/{world.plan.pk}")
    assert "resource" not in bundle["entry"][1]  # id only: nothing about the person
    person = world.plan.person
    assert person.family_name not in notice.body.decode()
    assert person.identifier not in notice.body.decode()

    assert receiver.at("/outside") == []  # its organisation is not covered by the consent

    # The person's log shows that a record system was told.
    told = AuditEvent.objects.get(action=AuditAction.CAREPLAN_FHIR_NOTIFY)
    assert told.person == person
    assert told.actor == world.covered.user
    assert told.actor_unit == world.covered.unit
    assert "journalsystem" in action_phrase(told.action)

    # Running again sends nothing twice.
    call_command("subscriptions", "deliver")
    assert len(receiver.at("/covered")) == 1

    # A revoked consent stops the notices at once: the plan pauses, and no one outside the
    # initiating unit is told.
    consent.consent_revoke(actor=world.coordinator, plan=Plan.objects.get(pk=world.plan.pk))
    call_command("subscriptions", "deliver")
    assert len(receiver.at("/covered")) == 1
    assert receiver.at("/outside") == []


def test_a_notice_queued_before_the_consent_was_revoked_is_withheld(
    world: World, receiver: Receiver
) -> None:
    world.covered.subscribe(receiver.url("/covered"))
    establish_revision(world)
    fanout.enqueue()  # queued while the consent covered the region
    queued = Delivery.objects.get(subscription__unit=world.covered.unit)
    consent.consent_revoke(actor=world.coordinator, plan=Plan.objects.get(pk=world.plan.pk))

    run = delivery.deliver_due()

    assert run.delivered == 0
    assert receiver.received == []
    queued.refresh_from_db()
    assert queued.status == DeliveryStatus.WITHHELD
    assert not AuditEvent.objects.filter(action=AuditAction.CAREPLAN_FHIR_NOTIFY).exists()


def test_plain_criteria_without_payload_sends_an_empty_notification(
    world: World, receiver: Receiver
) -> None:
    status, _body = world.covered.subscribe(receiver.url("/plain"))
    assert status == 201
    plans.plan_close(
        actor=world.coordinator,
        plan=Plan.objects.get(pk=world.plan.pk),
        reason="goals_reached",
    )
    delivery.process()
    notices = receiver.at("/plain")
    assert len(notices) == 1
    assert notices[0].body == b""  # R4: no payload, just a notification
    assert Delivery.objects.get().kind == "closed"


def test_patient_criteria_narrow_to_that_person(world: World, receiver: Receiver) -> None:
    other_person = world.plan.person.pk + 100000
    world.covered.subscribe(receiver.url("/other"), criteria=f"CarePlan?patient={other_person}")
    world.covered.subscribe(
        receiver.url("/this"), criteria=f"CarePlan?patient=Patient/{world.plan.person_id}"
    )
    establish_revision(world)
    delivery.process()
    assert receiver.at("/other") == []
    assert len(receiver.at("/this")) == 1


def test_events_before_the_subscription_are_not_sent(world: World, receiver: Receiver) -> None:
    establish_revision(world)
    world.covered.subscribe(receiver.url("/late"))
    delivery.process()
    assert receiver.received == []


def test_a_new_initiative_is_announced_as_created(
    demo_user: Any, client: Any, receiver: Receiver
) -> None:
    """The initiating unit sees its initiative from the start: its record system is told."""
    karin = demo_user("karin.holm")
    unit = Actor.for_user(karin).unit
    assert unit is not None
    _token, clear = api_token_create(user=karin)
    system = RecordSystem(client, karin, unit, clear)
    status, _body = system.subscribe(receiver.url("/karin"), criteria="CarePlan")
    assert status == 201
    plan = relate("karin.holm", PersonFactory.create())
    delivery.process()
    assert Delivery.objects.get(plan=plan).kind == "created"
    assert len(receiver.at("/karin")) == 1


def test_a_subscriber_who_left_the_unit_is_told_nothing(world: World, receiver: Receiver) -> None:
    world.covered.subscribe(receiver.url("/left"))
    establish_revision(world)
    fanout.enqueue()
    Membership.objects.filter(user=world.covered.user).update(is_active=False)
    run = delivery.deliver_due()
    assert (run.delivered, run.withheld) == (0, 1)
    assert receiver.received == []


def test_the_cursor_moves_only_past_settled_events(world: World, receiver: Receiver) -> None:
    """Events younger than fanout.SETTLE are read again (an older id may still commit); the
    unique (subscription, event) pair keeps them from being queued twice."""
    world.covered.subscribe(receiver.url("/x"))
    establish_revision(world)
    newest = PlanEvent.objects.latest("pk").pk
    fanout.enqueue()
    fanout.enqueue()
    assert Delivery.objects.count() == 1
    assert Cursor.objects.get(name=fanout.CURSOR).position < newest
    fanout.enqueue(now=timezone.now() + fanout.SETTLE + timedelta(seconds=1))
    assert Cursor.objects.get(name=fanout.CURSOR).position == newest
    assert Delivery.objects.count() == 1


def test_last_updated_criteria_narrow_by_when_the_plan_changed(
    world: World, receiver: Receiver
) -> None:
    world.covered.subscribe(receiver.url("/old"), criteria="CarePlan?_lastUpdated=lt2000-01-01")
    world.covered.subscribe(receiver.url("/new"), criteria="CarePlan?_lastUpdated=ge2000-01-01")
    establish_revision(world)
    delivery.process()
    assert receiver.at("/old") == []
    assert len(receiver.at("/new")) == 1
