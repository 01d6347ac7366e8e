"""The log review flags a person look-up that no plan or invitation followed in time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from samplan.accounts.models import User
from samplan.audit.models import AuditEvent
from samplan.audit.selectors import Flag, ReviewFilters, review_page
from samplan.authz.actor import Actor
from samplan.directory import services as directory
from samplan.directory.models import LookupReason, Person
from samplan.plans import services as plans
from tests.audit.test_review import DAY, NOON, clock

pytestmark = pytest.mark.django_db


def look_up(actor: Actor, person: Person, when: datetime) -> AuditEvent:
    with clock(when):
        directory.person_lookup(
            actor=actor,
            query=directory.LookupQuery(identifier=person.identifier),
            reason=LookupReason.START_PLAN,
        )
    return AuditEvent.objects.filter(action="person.lookup").latest("pk")


def flags(event: AuditEvent) -> list[Flag]:
    reviewer = Actor.for_user(User.objects.get(username="granskare.ekbacka"))
    period = ReviewFilters(period_from=DAY, period_to=DAY + timedelta(days=3))
    [row] = [r for r in review_page(actor=reviewer, filters=period).rows if r.event == event]
    only_flagged = ReviewFilters(**{**period.__dict__, "only_flagged": True})
    flagged_ids = {r.event.pk for r in review_page(actor=reviewer, filters=only_flagged).rows}
    if Flag.LOOKUP_UNFOLLOWED in row.flags:
        # "Only flagged" finds it in the database by the same definition.
        assert event.pk in flagged_ids
    return row.flags


def test_a_look_up_with_no_plan_after_it_is_flagged() -> None:
    karin = Actor.for_user(User.objects.get(username="karin.holm"))
    greta = Person.objects.get(given_name="Greta")
    event = look_up(karin, greta, NOON)
    assert Flag.LOOKUP_UNFOLLOWED in flags(event)


def test_a_look_up_followed_by_a_plan_is_not_flagged() -> None:
    karin = Actor.for_user(User.objects.get(username="karin.holm"))
    greta = Person.objects.get(given_name="Greta")
    event = look_up(karin, greta, NOON)
    with clock(NOON + timedelta(hours=2)):
        plans.plan_initiate(actor=karin, person=greta, reasons=["several_services"])
    assert Flag.LOOKUP_UNFOLLOWED not in flags(event)


def test_a_plan_started_too_late_does_not_count() -> None:
    karin = Actor.for_user(User.objects.get(username="karin.holm"))
    greta = Person.objects.get(given_name="Greta")
    event = look_up(karin, greta, NOON)
    # The look-up's window has closed: starting the plan needs a new look-up.
    later = NOON + timedelta(days=3)
    look_up(karin, greta, later)
    with clock(later + timedelta(hours=1)):
        plans.plan_initiate(actor=karin, person=greta, reasons=["several_services"])
    assert Flag.LOOKUP_UNFOLLOWED in flags(event)


def test_the_flag_is_shown_in_words_on_the_review_page() -> None:
    karin = Actor.for_user(User.objects.get(username="karin.holm"))
    look_up(karin, Person.objects.get(given_name="Greta"), NOON)
    client = Client()
    client.force_login(User.objects.get(username="granskare.ekbacka"))
    page = client.get(
        reverse("audit_review"),
        {"period_from": DAY.isoformat(), "period_to": DAY.isoformat(), "only_flagged": "on"},
    ).content.decode()
    assert "Slog upp en person utan att en plan eller kallelse följde" in page


def test_an_invited_unit_reading_the_person_is_not_outside_its_plans() -> None:
    """Anna's LSS unit is invited to Liam's meeting: reading Liam to answer is a relation."""
    from samplan.audit.services import record

    anna = Actor.for_user(User.objects.get(username="anna.sjoberg"))
    liam = Person.objects.get(given_name="Liam")
    event = record(actor=anna, action="person.read", obj=liam, ground="relation")
    reviewer = Actor.for_user(User.objects.get(username="granskare.ekbacka"))
    today = timezone.localdate(event.at)
    rows = review_page(
        actor=reviewer, filters=ReviewFilters(period_from=today, period_to=today)
    ).rows
    [row] = [r for r in rows if r.event == event]
    assert Flag.OUTSIDE_PLANS not in row.flags
