"""A guardian acts for a child; the child's own view only where the coordinator has opened it
(age and maturity); and what the own pages cost in queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from samplan.accounts.models import User
from samplan.directory.models import Representative
from samplan.plans.models import Plan
from tests.own.conftest import audited, events

pytestmark = pytest.mark.django_db


@pytest.fixture
def liam_plan(db: None) -> Plan:
    plan = Plan.objects.select_related("person").get(person__given_name="Liam")
    plan.person.user = User.objects.create_user(username="liam.demoberg", password=None)
    plan.person.save()
    mother = Representative.objects.get(person=plan.person, name="Johanna Demoberg")
    mother.user = User.objects.create_user(username="johanna.demoberg", password=None)
    mother.save()
    return plan


def staff_editor(plan: Plan) -> Client:
    """The plan's coordinator (or the initiating user), acting through the plan's unit."""
    user = plan.coordinator or plan.initiating_user
    unit = plan.coordinator_unit or plan.initiating_unit
    client = Client()
    client.force_login(user)
    client.post("/acting-unit/", {"unit": unit.pk})
    return client


def test_a_child_sees_nothing_until_the_coordinator_opens_the_childs_own_view(
    liam_plan: Plan, person_client: Callable[[str], Client]
) -> None:
    child = person_client("liam.demoberg")
    url = f"/my/plans/{liam_plan.pk}/"
    assert child.get(url).status_code == 404
    assert child.get(f"{url}documents/plain_language/").status_code == 404
    assert "Liam" not in child.get("/my/plans/").content.decode()

    coordinator = staff_editor(liam_plan)
    # The plan page says whether the child sees it, with the way to change it.
    page = coordinator.get(f"/plans/{liam_plan.pk}/").content.decode()
    assert "Barnet ser inte planen själv." in page
    assert f'href="/plans/{liam_plan.pk}/child-view/"' in page
    assert coordinator.get(f"/plans/{liam_plan.pk}/child-view/").status_code == 200
    answer = coordinator.post(f"/plans/{liam_plan.pk}/child-view/", {"on": "on"})
    assert answer.status_code == 302
    liam_plan.refresh_from_db()
    assert liam_plan.child_own_view
    assert events(liam_plan)[-1] == "child_own_view"
    assert audited("plan.child_view", person=liam_plan.person) is not None
    assert (
        "Barnet ser planen med egen inloggning."
        in coordinator.get(f"/plans/{liam_plan.pk}/").content.decode()
    )

    assert child.get(url).status_code == 200
    # Seeing is not deciding: the guardians decide for a child.
    assert child.get(f"{url}consent/").status_code == 404
    assert child.get(f"{url}approve/").status_code == 404
    assert "Ditt samtycke" in child.get(url).content.decode()
    assert f'href="{url}consent/"' not in child.get(url).content.decode()

    assert coordinator.post(f"/plans/{liam_plan.pk}/child-view/", {}).status_code == 302
    assert child.get(url).status_code == 404
    # Nobody but the plan's editors sets it.
    assert (
        person_client("ove.demosson")
        .post(f"/plans/{liam_plan.pk}/child-view/", {"on": "on"})
        .status_code
        == 404
    )


def test_a_guardian_decides_for_the_child(
    liam_plan: Plan, person_client: Callable[[str], Client]
) -> None:
    mother = person_client("johanna.demoberg")
    url = f"/my/plans/{liam_plan.pk}/"
    page = mother.get(url)
    assert page.status_code == 200
    assert f'href="{url}consent/"' in page.content.decode()
    assert mother.get(f"{url}consent/").status_code == 200
    orgs = list(
        liam_plan.consents.get(
            revoked_at__isnull=True, superseded_at__isnull=True
        ).organisations.values_list("pk", flat=True)
    )
    answer = mother.post(
        f"{url}consent/", {"organisations": orgs[:1], "excluded_kinds": ["contact"]}
    )
    assert answer.status_code == 302
    consent = liam_plan.consents.order_by("-pk").first()
    assert consent is not None
    assert consent.given_by_representative is not None
    assert consent.given_by_representative.name == "Johanna Demoberg"
    assert "contact" not in consent.information_kinds
    assert liam_plan.events.order_by("-pk")[0].detail["by"] == "representative"


def test_the_own_pages_cost_a_bounded_number_of_queries(
    ove_plan: Plan, person_client: Callable[[str], Client], django_assert_max_num_queries: Any
) -> None:
    ove = person_client("ove.demosson")
    url = f"/my/plans/{ove_plan.pk}/"
    ove.get(url)  # the session and the like, once
    # Session, user, the plan, its versions, meetings, consent, organisations, history,
    # documents, the read's audit row (chain head lock, insert, head update): 26 today.
    with django_assert_max_num_queries(28):
        assert ove.get(url).status_code == 200
    with CaptureQueriesContext(connection) as first:
        ove.get(url)
    # More history, more versions' worth of events: the page costs the same.
    for _ in range(20):
        ove_plan.events.create(kind="draft_changed", actor=ove_plan.coordinator)
    with CaptureQueriesContext(connection) as later:
        ove.get(url)
    assert len(later) == len(first)
    for page, most in (
        (f"{url}consent/", 23),
        (f"{url}consent/revoke/", 21),
        (f"{url}representatives/", 20),
        (f"{url}approve/", 20),
        (f"{url}end/", 19),
        ("/my/request/", 15),
    ):
        with django_assert_max_num_queries(most):
            assert ove.get(page).status_code == 200, page
