"""Every list that names persons writes one audit event per person shown, for that actor, in
the same request (issue 9): the start page, the worklist page, the REST plan list and
worklist, a deviation read in the inbox, and the log review's rows. The request costs the same
number of queries for 2 and for 20 persons."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.audit import extract
from samplan.audit import services as audit
from samplan.audit.models import AuditEvent
from samplan.authz.actor import Actor
from samplan.directory.models import OrganisationRole, OrganisationRoleKind, Person, Unit
from samplan.notify.models import InboxMessage
from samplan.notify.services import inbox_post
from samplan.plans.models import FollowUp, Plan
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    PlanFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@dataclass
class World:
    """A municipality of its own: one unit, one case officer who coordinates every plan of
    the unit, and a log reviewer. Nothing of the demo world shows in its lists."""

    unit: Unit
    staff: User
    reviewer: User
    plans: list[Plan] = field(default_factory=list)

    def add_plans(self, n: int) -> None:
        """Half of them initiatives past their meeting deadline (a deadline and a draft that
        lacks items), half established plans with an overdue follow-up: each list has rows."""
        today = timezone.localdate()
        for i in range(n):
            common: dict[str, Any] = {
                "initiating_unit": self.unit,
                "initiating_user": self.staff,
                "coordinator": self.staff,
            }
            if (len(self.plans) + i) % 2 == 0:
                plan = PlanFactory.create(meeting_deadline=today - timedelta(days=1), **common)
            else:
                plan = PlanFactory.create(established=True, **common)
                FollowUp.objects.create(
                    plan=plan, due_date=today - timedelta(days=2), what="Boendet"
                )
            self.plans.append(plan)

    @property
    def persons(self) -> set[int]:
        return {p.person_id for p in self.plans}


@pytest.fixture
def world() -> World:
    organisation = OrganisationFactory.create()
    unit = UnitFactory.create(organisation=organisation)
    staff = MembershipFactory.create(unit=unit).user
    reviewer = UserFactory.create()
    OrganisationRole.objects.create(
        user=reviewer, organisation=organisation, kind=OrganisationRoleKind.LOG_REVIEWER
    )
    return World(unit=unit, staff=staff, reviewer=reviewer)


def audited(response: Any, actor: User, action: str) -> set[int]:
    """Persons with an audit event of this actor and action written in this request."""
    events = AuditEvent.objects.filter(
        request_id=response["X-Request-ID"], actor=actor, action=action, outcome="ok"
    )
    return set(events.values_list("person_id", flat=True))


def counted(call: Callable[[], Any]) -> tuple[Any, int]:
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code == 200
    return response, len(queries.captured_queries)


def same_cost_for_2_and_20(
    world: World, call: Callable[[], Any], shown: Callable[[Any], set[int]], action: str
) -> tuple[int, int]:
    """Every person the response shows has an event of the request; the query count with 20
    persons is the count with 2. Returns both counts."""
    world.add_plans(2)
    call()  # warm up: session, content types, caches
    response, few = counted(call)
    assert shown(response) == world.persons
    assert audited(response, world.staff, action) == world.persons
    world.add_plans(18)
    response, many = counted(call)
    assert shown(response) == world.persons
    assert len(world.persons) == 20
    assert audited(response, world.staff, action) == world.persons
    assert many == few
    return few, many


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bearer(user: User) -> dict[str, str]:
    _token, clear = api_token_create(user=user)
    return {"Authorization": f"Bearer {clear}"}


# Web ------------------------------------------------------------------------------------------


def test_start_page(world: World) -> None:
    client = logged_in(world.staff)

    def shown(response: Any) -> set[int]:
        today = response.context["today"]
        return (
            {row.follow_up.plan.person_id for row in today.overdue}
            | {plan.person_id for plan in today.deadlines}
            | {row.plan.person_id for row in today.drafts}
        )

    same_cost_for_2_and_20(world, lambda: client.get(reverse("home")), shown, "home.read")
    event = AuditEvent.objects.filter(actor=world.staff, action="home.read").latest("pk")
    assert event.ground == "initiating unit"
    assert event.actor_unit == world.unit
    assert event.detail["plans"]


def test_worklist_page(world: World) -> None:
    client = logged_in(world.staff)

    def shown(response: Any) -> set[int]:
        c = response.context
        return (
            {plan.person_id for plan in c["coordinated"]}
            | {row.follow_up.plan.person_id for row in c["follow_ups"]}
            | {plan.person_id for plan in c["deadlines"]}
            | {row.plan.person_id for row in c["drafts"]}
        )

    same_cost_for_2_and_20(world, lambda: client.get(reverse("worklist")), shown, "worklist.read")


# REST -----------------------------------------------------------------------------------------


def test_rest_plan_list(world: World) -> None:
    headers = bearer(world.staff)

    def shown(response: Any) -> set[int]:
        return {item["person"]["id"] for item in response.json()["items"]}

    same_cost_for_2_and_20(
        world, lambda: Client().get("/api/v1/plans", headers=headers), shown, "plan.list"
    )


def test_rest_worklist(world: World) -> None:
    headers = bearer(world.staff)

    def shown(response: Any) -> set[int]:
        body = response.json()
        return (
            {p["person"]["id"] for p in body["coordinated"]}
            | {row["person"]["id"] for row in body["follow_ups_due"]}
            | {p["person"]["id"] for p in body["deadlines_passed"]}
            | {row["plan"]["person"]["id"] for row in body["drafts_with_missing_items"]}
        )

    same_cost_for_2_and_20(
        world, lambda: Client().get("/api/v1/worklist", headers=headers), shown, "worklist.read"
    )


# The inbox ------------------------------------------------------------------------------------


def test_a_deviation_message_is_audited_for_its_person(world: World) -> None:
    world.add_plans(2)
    plan = world.plans[0]
    message = inbox_post(
        user=world.staff,
        subject="Ny avvikelse",
        body="Text",
        url=plan.get_absolute_url(),
        plan=plan,
    )
    client = logged_in(world.staff)
    url = reverse("inbox_message", args=[message.pk])
    client.get(url)
    response, few = counted(lambda: client.get(url))
    assert audited(response, world.staff, "inbox.read") == {plan.person_id}
    for _ in range(20):
        inbox_post(user=world.staff, subject="Annat", body="", plan=world.plans[1])
    # Read already: the header's unread badge costs a query of its own.
    InboxMessage.objects.filter(recipient=world.staff).update(read_at=timezone.now())
    assert InboxMessage.objects.filter(recipient=world.staff).count() == 21
    response, many = counted(lambda: client.get(url))
    assert many == few


# The log review -------------------------------------------------------------------------------


def test_log_review_rows(world: World) -> None:
    staff = Actor.for_user(world.staff)
    client = logged_in(world.reviewer)
    query = {"username": world.staff.username}

    def read(n: int) -> None:
        persons = PersonFactory.create_batch(n)
        audit.record_many(
            actor=staff, action="person.read", entries=[{"person": p} for p in persons]
        )

    def shown(response: Any) -> set[int]:
        return {row.event.person_id for row in response.context["page"].rows}

    def reviewed(response: Any) -> set[int]:
        return audited(response, world.reviewer, "audit.review.read")

    read(2)
    client.get(reverse("audit_review"), query)
    response, few = counted(lambda: client.get(reverse("audit_review"), query))
    assert len(shown(response)) == 2
    assert reviewed(response) == shown(response)
    read(18)
    response, many = counted(lambda: client.get(reverse("audit_review"), query))
    assert len(shown(response)) == 20
    assert reviewed(response) == shown(response)
    assert many == few
    events = AuditEvent.objects.filter(request_id=response["X-Request-ID"])
    assert {e.actor_organisation_id for e in events} == {world.unit.organisation_id}
    assert {e.ground for e in events} == {"log review"}


def test_a_review_page_naming_no_one_is_recorded_once(world: World) -> None:
    response = logged_in(world.reviewer).get(
        reverse("audit_review"), {"username": world.staff.username}
    )
    [event] = AuditEvent.objects.filter(request_id=response["X-Request-ID"])
    assert (event.action, event.person) == ("audit.review.read", None)
    assert event.detail["filters"] == {"username": world.staff.username}


# The person's log extract ---------------------------------------------------------------------


def test_list_reads_are_in_the_persons_log_extract(world: World) -> None:
    world.add_plans(1)
    logged_in(world.staff).get(reverse("home"))
    Client().get("/api/v1/plans", headers=bearer(world.staff))
    person = Person.objects.get(pk=world.plans[0].person_id)
    rows = extract.extract_build(
        actor=Actor.system(),
        person=person,
        period_from=None,
        period_to=None,
    ).rows
    what = {row.what for row in rows}
    assert "Såg ditt namn bland sina uppgifter på startsidan" in what
    assert "Såg din plan i en lista över planer" in what
