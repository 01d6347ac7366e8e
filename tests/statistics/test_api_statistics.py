"""GET /api/v1/statistics/attendance and /api/v1/statistics: seed 004's table and every table
for a manager with a token; the same 404 for anyone else; bad periods at their field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.audit.actions import AuditAction
from samplan.audit.models import AuditEvent
from samplan.directory.models import Organisation
from samplan.plans.models import Invitation, Plan
from samplan.statistics.compute import TABLE_KEYS
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

ROW_KEYS = {
    "calling_organisation",
    "invited_organisation",
    "quarter",
    "invited",
    "answered",
    "accepted",
    "declined",
    "represented",
    "attended",
    "no_answer",
}


def client(username: str) -> ApiClient:
    _token, clear = api_token_create(user=User.objects.get(username=username))
    return ApiClient(clear)


def year() -> str:
    today = timezone.localdate()
    return f"from={today - timedelta(days=365)}&to={today}"


def test_a_manager_gets_seed_004s_table(django_assert_max_num_queries: Any) -> None:
    api = client("chef.ekbacka")
    # The token and the actor's roles; the facts (the refresh cursor, the nine kinds, read
    # live before any rebuild) and the organisations' and units' names.
    with django_assert_max_num_queries(17):
        response = api.get(f"statistics/attendance?{year()}")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["threshold"] == 5
    assert data["rows"], "Ekbacka called the region to Ove's meeting in the last year"
    assert all(set(row) == ROW_KEYS for row in data["rows"])
    calls = [
        r
        for r in data["rows"]
        if r["calling_organisation"] == "Ekbacka kommun"
        and r["invited_organisation"] == "Region Sjöland"
    ]
    for row in calls:  # own figures are exact: the counts add up
        assert row["invited"] == row["answered"] + row["no_answer"]
        assert row["answered"] == row["accepted"] + row["declined"] + row["represented"]
    # Ove's meeting: addiction care declined, pointing at psychiatry (seed 004).
    assert sum(r["declined"] for r in calls) >= 1


@override_settings(STATISTICS_SMALL_CELL=3)
def test_protected_counts_come_as_a_string_with_the_threshold() -> None:
    """Strandvik's manager: a call by Ekbacka to Försäkringskassan in a plan Strandvik takes
    part in is about two other organisations."""
    plan = Plan.objects.get(person__given_name="Ove")
    strandvik = Organisation.objects.get(name="Strandviks kommun")
    strandvik_unit = strandvik.units.first()
    assert strandvik_unit is not None
    plan.participants.create(unit=strandvik_unit)
    meeting = plan.meetings.first()
    assert meeting is not None
    fk = Organisation.objects.get(name="Försäkringskassan").units.get()
    Invitation.objects.create(meeting=meeting, unit=fk, email="fk@example.org")
    day = timezone.localdate(meeting.starts_at)
    response = client("chef.strandvik").get(f"statistics/attendance?from={day}&to={day}")
    assert response.status_code == 200
    data = response.json()
    assert data["threshold"] == 3
    fk_rows = [r for r in data["rows"] if r["invited_organisation"] == "Försäkringskassan"]
    assert fk_rows
    assert fk_rows[0]["invited"] == "<3"
    assert fk_rows[0]["declined"] == "<3"


@pytest.mark.parametrize("username", ["karin.holm", "admin.ekbacka", "admin"])
def test_anyone_else_gets_the_404_of_a_missing_resource_audited(username: str) -> None:
    for path in ("statistics/attendance", "statistics"):
        response = client(username).get(f"{path}?{year()}")
        assert response.status_code == 404
    assert AuditEvent.objects.filter(
        actor__username=username, action=AuditAction.STATISTICS_VIEW
    ).exists()


def test_no_token_is_401() -> None:
    assert ApiClient(None).get(f"statistics/attendance?{year()}").status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-06-01&to=2026-01-01", "to"),
        ("from=2026-13-01&to=2026-12-31", "from"),
        ("to=2026-12-31", "from"),
    ],
)
def test_a_bad_period_is_400_at_its_field(query: str, field: str) -> None:
    for path in ("statistics/attendance", "statistics"):
        response = client("chef.region").get(f"{path}?{query}")
        assert response.status_code == 400, response.content
        assert field in response.json()["errors"]


def test_an_organisation_outside_the_choice_is_refused_like_an_unknown_one() -> None:
    fk = Organisation.objects.get(name="Försäkringskassan")
    answers = [
        client("chef.region").get(f"statistics?{year()}&organisation={pk}").json()
        for pk in (fk.pk, 999_999)
    ]
    assert answers[0] == answers[1]
    assert set(answers[0]["errors"]) == {"organisation"}


def test_every_table_through_the_api() -> None:
    region = Organisation.objects.get(name="Region Sjöland")
    response = client("chef.ekbacka").get(f"statistics?{year()}&organisation={region.pk}")
    assert response.status_code == 200, response.content
    data = response.json()
    assert [t["key"] for t in data["tables"]] == list(TABLE_KEYS)
    assert [t["key"] for t in data["previous"]] == list(TABLE_KEYS)
    assert data["organisation_id"] == region.pk
    assert data["back_and_forth"] == []  # a manager without a unit sees no plan
    attendance = next(t for t in data["tables"] if t["key"] == "attendance")
    assert attendance["rows"]
    for row in attendance["rows"]:
        assert "Region Sjöland" in row[:2]  # the filter: rows about the region
