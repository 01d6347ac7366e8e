"""The log review flags reads of personal data from every interface (issue 9): the web pages,
the REST API, FHIR and the lists that name persons all count as reads for the flags "outside
the user's plans" and "many persons in a day", from one list of read actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.audit import services as audit
from samplan.audit.constants import READ_ACTIONS
from samplan.audit.models import AuditEvent
from samplan.audit.selectors import (
    MANY_PERSONS_PER_DAY,
    Flag,
    ReviewFilters,
    review_events,
    review_page,
)
from samplan.authz.actor import Actor
from samplan.directory.models import Person
from samplan.fhir import search
from samplan.plans.models import Plan
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=STOCKHOLM)
ONE_DAY = ReviewFilters(period_from=NOON.date(), period_to=NOON.date())
REGISTRAR = "registrator.ekbacka"  # Ekbacka's registrar, working in its social assistance unit


def actor(username: str) -> Actor:
    return Actor.for_user(User.objects.get(username=username))


@pytest.fixture
def reviewer() -> Actor:
    return actor("granskare.ekbacka")


def flags(reviewer: Actor, event: AuditEvent, filters: ReviewFilters = ONE_DAY) -> list[Flag]:
    """The event's flags on the review page, and whether "only flagged" (the same flags, in
    the database) keeps it."""
    [row] = [r for r in review_page(actor=reviewer, filters=filters).rows if r.event.pk == event.pk]
    only_flagged = ReviewFilters(**{**filters.__dict__, "only_flagged": True})
    kept = review_events(actor=reviewer, filters=only_flagged).filter(pk=event.pk).exists()
    assert kept == bool(row.flags)
    return row.flags


def test_fhir_actions_are_read_actions() -> None:
    """Every FHIR resource type that audits what it returns names its read and search here;
    PractitionerRole is a staff directory and shows no person."""
    for kind in search.KINDS.values():
        if kind.name == "PractitionerRole":
            continue
        assert f"{kind.name.lower()}.fhir_read" in READ_ACTIONS
        assert f"{kind.name.lower()}.fhir_search" in READ_ACTIONS


@pytest.mark.parametrize("action", READ_ACTIONS)
def test_every_read_action_outside_the_users_plans_is_flagged(reviewer: Actor, action: str) -> None:
    karin = actor("karin.holm")
    stranger = PersonFactory.create()  # no plan anywhere
    with mock.patch.object(timezone, "now", return_value=NOON):
        event = audit.record(actor=karin, action=action, person=stranger, ground="x")
    assert Flag.OUTSIDE_PLANS in flags(reviewer, event)


@pytest.mark.parametrize("action", ["worklist.read", "patient.fhir_search", "plan.list"])
def test_many_persons_counts_lists_and_fhir(reviewer: Actor, action: str) -> None:
    karin = actor("karin.holm")
    persons = PersonFactory.create_batch(MANY_PERSONS_PER_DAY + 1)
    with mock.patch.object(timezone, "now", return_value=NOON):
        events = audit.record_many(
            actor=karin, action=action, entries=[{"person": p} for p in persons]
        )
    assert Flag.MANY_PERSONS in flags(reviewer, events[0])


def test_the_log_reviews_own_reads_are_not_flagged_as_reads(reviewer: Actor) -> None:
    stranger = PersonFactory.create()
    with mock.patch.object(timezone, "now", return_value=NOON):
        event = audit.record(actor=actor("karin.holm"), action="audit.review.read", person=stranger)
    assert Flag.OUTSIDE_PLANS not in flags(reviewer, event)


# Real reads through FHIR and REST -------------------------------------------------------------


@pytest.fixture
def related_elsewhere() -> Person:
    """A person an Ekbacka unit has a plan with, but not the registrar's unit: the registrar
    may read the person (through the organisation's relation), yet no plan of the registrar's
    own unit covers the read."""
    registrar = actor(REGISTRAR)
    assert registrar.unit is not None
    plan = (
        Plan.objects.filter(initiating_unit__organisation=registrar.organisation)
        .exclude(initiating_unit=registrar.unit)
        .exclude(participants__unit=registrar.unit)
        .exclude(person__plans__initiating_unit=registrar.unit)
        .exclude(person__plans__participants__unit=registrar.unit)
        .exclude(person__protected_identity=True)
        .select_related("person")
        .first()
    )
    assert plan is not None
    return plan.person


def get(path: str, accept: str = "application/json") -> Any:
    _token, clear = api_token_create(user=User.objects.get(username=REGISTRAR))
    return Client().get(path, headers={"Authorization": f"Bearer {clear}", "Accept": accept})


def read_events(response: Any, person: Person) -> list[AuditEvent]:
    events = list(
        AuditEvent.objects.filter(request_id=response["X-Request-ID"], person=person, outcome="ok")
    )
    assert events
    return events


def today() -> ReviewFilters:
    day = timezone.localdate(timezone=STOCKHOLM)
    return ReviewFilters(period_from=day, period_to=day)


def test_fhir_patient_read_outside_the_users_plans_is_flagged(
    reviewer: Actor, related_elsewhere: Person
) -> None:
    response = get(f"/fhir/Patient/{related_elsewhere.pk}", "application/fhir+json")
    assert response.status_code == 200
    [event] = read_events(response, related_elsewhere)
    assert event.action == "patient.fhir_read"
    assert Flag.OUTSIDE_PLANS in flags(reviewer, event, today())


def test_fhir_careplan_search_outside_the_users_plans_is_flagged(
    reviewer: Actor, related_elsewhere: Person
) -> None:
    response = get(f"/fhir/CarePlan?patient={related_elsewhere.pk}", "application/fhir+json")
    assert response.status_code == 200
    [event] = read_events(response, related_elsewhere)
    assert event.action == "careplan.fhir_search"
    assert Flag.OUTSIDE_PLANS in flags(reviewer, event, today())


def test_rest_person_read_outside_the_users_plans_is_flagged(
    reviewer: Actor, related_elsewhere: Person
) -> None:
    response = get(f"/api/v1/persons/{related_elsewhere.pk}")
    assert response.status_code == 200
    [event] = read_events(response, related_elsewhere)
    assert event.action == "person.read"
    assert Flag.OUTSIDE_PLANS in flags(reviewer, event, today())


def test_a_read_within_the_users_plans_is_not_flagged(reviewer: Actor) -> None:
    karin = User.objects.get(username="karin.holm")
    plan = Plan.objects.filter(initiating_unit__memberships__user=karin).first()
    assert plan is not None
    _token, clear = api_token_create(user=karin)
    response = Client().get("/api/v1/plans?limit=100", headers={"Authorization": f"Bearer {clear}"})
    assert response.status_code == 200
    event = AuditEvent.objects.filter(
        request_id=response["X-Request-ID"], person=plan.person_id
    ).get()
    assert event.action == "plan.list"
    assert Flag.OUTSIDE_PLANS not in flags(reviewer, event, today())
