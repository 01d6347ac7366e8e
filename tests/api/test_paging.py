"""Keyset paging of GET plans: every plan once, in id order, and a late page costs no more
queries than the first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from samplan.accounts.models import User
from samplan.directory.models import Person
from samplan.plans.models import Plan, PlanState

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


def make_plans(count: int) -> None:
    karin = User.objects.get(username="karin.holm")
    unit = karin.memberships.get().unit
    persons = list(Person.objects.order_by("pk")[:10])
    today = timezone.localdate()
    Plan.objects.bulk_create(
        Plan(
            person=persons[i % len(persons)],
            initiated_on=today,
            initiating_unit=unit,
            initiating_user=karin,
            reasons=["several_services"],
            meeting_deadline=today + timedelta(days=14),
        )
        for i in range(count)
    )


def test_pages_cover_every_plan_once_and_cost_the_same(api: Callable[..., ApiClient]) -> None:
    make_plans(60)
    karin = api("karin.holm")
    karin.get("worklist")  # the token's first use is written once; not part of the pages
    pages, costs, cursor = [], [], ""
    while True:
        with CaptureQueriesContext(connection) as queries:
            response = karin.get(f"plans?limit=10&cursor={cursor}")
        assert response.status_code == 200
        body = response.json()
        pages.append([p["id"] for p in body["items"]])
        costs.append(len(queries))
        if body["next"] is None:
            break
        cursor = body["next"]
    ids = [pk for page in pages for pk in page]
    assert ids == sorted(ids)
    assert len(ids) == len(set(ids))
    from samplan.authz.actor import Actor
    from samplan.authz.policy import visible_plans

    actor = Actor.for_user(User.objects.get(username="karin.holm"))
    assert ids == list(visible_plans(actor).order_by("pk").values_list("pk", flat=True))
    assert len(pages) >= 7
    assert max(costs) <= costs[0], costs


def test_state_filter(api: Callable[..., ApiClient]) -> None:
    karin = api("karin.holm")
    items = karin.get("plans?state=established&limit=100").json()["items"]
    assert items
    assert {p["state"] for p in items} == {PlanState.ESTABLISHED}
