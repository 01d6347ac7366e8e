"""CarePlan searches page by keyset: following next links reaches every plan once, and a late
page costs no more queries than the first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from samplan.accounts.models import User
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.directory import services as directory
from samplan.directory.models import Person
from samplan.plans import services
from samplan.plans.models import Plan
from tests.fhir.conftest import FhirApi, entries, next_link

pytestmark = pytest.mark.django_db


def karin() -> Actor:
    return Actor.for_user(User.objects.get(username="karin.holm"))


def extra_plans(count: int, *, one_person: bool, year: int = 1960) -> Person:
    """`count` more plans initiated by Karin's unit, for one new person or many persons."""
    from samplan.demo.world import person_number

    actor = karin()
    first = directory.person_create(
        actor=actor,
        identifier=person_number(date(year, 1, 1), 500),
        given_name="Paging",
        family_name="Testsson",
    )
    for n in range(count):
        subject = first
        if not one_person and n:
            subject = directory.person_create(
                actor=actor,
                identifier=person_number(date(year + 1, 1 + n % 12, 1 + n // 12), 500 + n),
                given_name="Paging",
                family_name=f"Testsson{n}",
            )
        services.plan_initiate(actor=actor, person=subject, reasons=["several_services"])
    return first


def test_next_links_reach_every_visible_plan_once(fhir: Callable[..., FhirApi]) -> None:
    extra_plans(25, one_person=False)
    api = fhir("karin.holm")
    seen: list[str] = []
    status, page = api.get("CarePlan", {"_count": "7"})
    pages = 0
    while True:
        assert status == 200
        pages += 1
        seen += [e["id"] for e in entries(page)]
        assert all(link["url"].startswith("http://testserver/fhir/") for link in page["link"])
        url = next_link(page)
        if url is None:
            break
        assert "_cursor=" in url
        assert "_count=7" in url
        status, page = api.get_url(url)
    expected = [
        str(pk) for pk in authz.visible_plans(karin()).order_by("pk").values_list("pk", flat=True)
    ]
    assert seen == expected
    assert pages == -(-len(expected) // 7)


def test_filters_hold_across_pages(fhir: Callable[..., FhirApi]) -> None:
    person = extra_plans(12, one_person=True)
    api = fhir("karin.holm")
    _s, page = api.get(
        "CarePlan", {"patient": f"Patient/{person.pk}", "status": "draft", "_count": "5"}
    )
    seen = [e["id"] for e in entries(page)]
    while (url := next_link(page)) is not None:
        _s, page = api.get_url(url)
        seen += [e["id"] for e in entries(page)]
    assert seen == [str(p.pk) for p in Plan.objects.filter(person=person).order_by("pk")]


def test_a_late_page_costs_no_more_queries_than_the_first(
    fhir: Callable[..., FhirApi],
) -> None:
    person = extra_plans(60, one_person=True)
    api = fhir("karin.holm")
    params = {"patient": f"Patient/{person.pk}", "_count": "5"}
    api.get("CarePlan", params)  # warm up: the token's last use is written once
    with CaptureQueriesContext(connection) as first:
        status, page = api.get("CarePlan", params)
    assert status == 200
    assert len(entries(page)) == 5
    for _n in range(9):
        url = next_link(page)
        assert url is not None
        _s, page = api.get_url(url)
    url = next_link(page)
    assert url is not None
    with CaptureQueriesContext(connection) as late:
        status, page = api.get_url(url)
    assert status == 200
    assert len(entries(page)) == 5
    assert len(late) == len(first), [q["sql"] for q in late]
    # Many persons on a page: still a fixed number of queries per page, whatever its place.
    extra_plans(30, one_person=False, year=1970)
    api.get("CarePlan", {"_count": "5"})
    with CaptureQueriesContext(connection) as first_mixed:
        _s, page = api.get("CarePlan", {"_count": "5"})
    for _n in range(6):
        url = next_link(page)
        assert url is not None
        _s, page = api.get_url(url)
    url = next_link(page)
    assert url is not None
    with CaptureQueriesContext(connection) as late_mixed:
        _s, page = api.get_url(url)
    assert len(entries(page)) == 5
    assert len(late_mixed) <= len(first_mixed)
