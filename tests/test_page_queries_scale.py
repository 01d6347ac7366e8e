"""Issue 12: the coordinator's pages cost the same number of queries however many plans the
unit and the region hold, and the start page's and worklist's lists, cut from the open plans
read once, are the lists their querysets give."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.authz.actor import Actor
from samplan.plans import selectors
from samplan.plans.models import FollowUp, Plan, PlanState
from tests.factories import PersonFactory, PlanFactory, UnitFactory

pytestmark = pytest.mark.django_db

COORDINATOR = "karin.holm"


def _count(request: Callable[[], int]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert request() == 200
    return len(ctx.captured_queries)


def _pages(client: Client, api: Client, person_number: str, family_name: str) -> dict[str, int]:
    pages: dict[str, Callable[[], int]] = {
        "start page": lambda: client.get("/").status_code,
        "worklist": lambda: client.get("/plans/").status_code,
        "person search, number": lambda: client.post("/persons/", {"q": person_number}).status_code,
        "person search, name": lambda: client.post("/persons/", {"q": family_name}).status_code,
        "FHIR CarePlan search": lambda: api.get("/fhir/CarePlan?_count=10").status_code,
    }
    for request in pages.values():
        request()  # warm up sessions and caches
    return {name: _count(request) for name, request in pages.items()}


def _grow(karin: User, unit_id: int) -> None:
    """More of everything: the coordinator's own plans (open, in force, past their deadline),
    plans the unit takes part in under a consent, and plans elsewhere in the region."""
    actor = Actor.for_user(karin)
    assert actor.unit is not None
    assert actor.unit.pk == unit_id
    for _ in range(4):
        PlanFactory.create(established=True, initiating_unit=actor.unit, initiating_user=karin)
        PlanFactory.create(initiating_unit=actor.unit, initiating_user=karin)
        PlanFactory.create(closed=True, initiating_unit=actor.unit, initiating_user=karin)
    late = PlanFactory.create(initiating_unit=actor.unit, initiating_user=karin)
    Plan.objects.filter(pk=late.pk).update(meeting_deadline=late.initiated_on.replace(year=2000))
    for _ in range(6):
        PlanFactory.create(established=True, initiating_unit=UnitFactory.create())
        PlanFactory.create(initiating_unit=UnitFactory.create(), person=PersonFactory.create())


def test_the_coordinators_pages_cost_the_same_with_more_plans(
    login: Callable[[str], Client],
) -> None:
    client = login(COORDINATOR)
    karin = User.objects.get(username=COORDINATOR)
    _token, clear = api_token_create(user=karin)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")
    actor = Actor.for_user(karin)
    assert actor.unit is not None
    mine = Plan.objects.filter(initiating_unit=actor.unit).select_related("person").first()
    assert mine is not None
    person = mine.person
    before = _pages(client, api, person.identifier, person.family_name)
    _grow(karin, actor.unit.pk)
    after = _pages(client, api, person.identifier, person.family_name)
    assert after == before
    # The grown world shows in the lists: the counts above are of full lists.
    worklist = selectors.worklist_get(actor=Actor.for_user(karin))
    assert worklist.coordinated
    assert worklist.follow_ups
    assert worklist.deadlines


def _pks(plans: object) -> list[int]:
    return [p.pk for p in plans]  # type: ignore[attr-defined]


@pytest.mark.parametrize("grow", [False, True])
def test_the_lists_cut_from_the_open_plans_are_the_querysets_lists(
    demo_user: Callable[[str], User], grow: bool
) -> None:
    karin = demo_user(COORDINATOR)
    if grow:
        unit = Actor.for_user(karin).unit
        assert unit is not None
        _grow(karin, unit.pk)
        # A follow-up already done and one far ahead are not due.
        plan = Plan.objects.filter(coordinator=karin, state=PlanState.ESTABLISHED).first()
        assert plan is not None
        FollowUp.objects.filter(plan=plan).update(done_at="2020-01-01T00:00:00Z")
    worklist = selectors.worklist_get(actor=Actor.for_user(karin))
    today = selectors.today_get(actor=Actor.for_user(karin))
    actor = Actor.for_user(karin)
    coordinated = list(selectors.plans_as_coordinator(actor=actor))
    assert sorted(_pks(worklist.coordinated)) == sorted(_pks(coordinated))
    assert [p.person.family_name for p in worklist.coordinated] == [
        p.person.family_name for p in coordinated
    ]
    due = selectors.follow_ups_due(actor=actor)
    assert sorted((r.follow_up.pk, r.overdue) for r in worklist.follow_ups) == sorted(
        (r.follow_up.pk, r.overdue) for r in due
    )
    assert [r.follow_up.due_date for r in worklist.follow_ups] == [
        r.follow_up.due_date for r in due
    ]
    assert sorted(r.follow_up.pk for r in today.overdue) == sorted(
        r.follow_up.pk for r in due if r.overdue
    )
    deadlines = list(selectors.deadlines_passed(actor=actor))
    assert sorted(_pks(worklist.deadlines)) == sorted(_pks(deadlines))
    assert [p.meeting_deadline for p in worklist.deadlines] == [
        p.meeting_deadline for p in deadlines
    ]
    assert _pks(today.deadlines) == _pks(worklist.deadlines)
    drafts = selectors.drafts_with_missing_items(actor=actor)
    assert sorted((r.plan.pk, tuple(r.missing)) for r in worklist.drafts) == sorted(
        (r.plan.pk, tuple(r.missing)) for r in drafts
    )
    assert sorted(r.plan.pk for r in today.drafts) == sorted(r.plan.pk for r in drafts)
    if grow:
        assert worklist.coordinated
        assert worklist.deadlines
        assert worklist.drafts
