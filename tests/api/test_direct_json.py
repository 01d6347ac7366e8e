"""The REST plan read writes its body directly (orjson) instead of through the PlanOut schema at
run time: the JSON must be what django-ninja would have answered, and valid against PlanOut
(the schema the OpenAPI document shows)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from ninja.responses import NinjaJSONEncoder

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.api import out
from samplan.api.schemas import PlanOut
from samplan.authz.actor import Actor
from samplan.plans import selectors
from samplan.plans.models import Plan

pytestmark = pytest.mark.django_db


def _as_ninja_would(body: dict[str, Any]) -> Any:
    """django-ninja's way: validate against the response schema, dump, DjangoJSONEncoder."""
    dumped = PlanOut.model_validate(body).model_dump(by_alias=True)
    return json.loads(json.dumps(dumped, cls=NinjaJSONEncoder))


def test_dates_and_times_are_written_as_django_writes_them() -> None:
    body = {
        "at": datetime(2026, 3, 4, 5, 6, 7, 891234, tzinfo=UTC),
        "day": date(2026, 3, 4),
        "amount": Decimal("1.50"),
        "nothing": None,
    }
    written = out.json_response(body).content
    assert json.loads(written) == json.loads(json.dumps(body, cls=NinjaJSONEncoder))
    assert json.loads(written)["at"] == "2026-03-04T05:06:07.891Z"


@pytest.mark.parametrize("username", ["karin.holm", "nora.wik", "johan.dahl"])
def test_rest_plan_read_answers_what_the_schema_would(client: Any, username: str) -> None:
    user = User.objects.get(username=username)
    _token, clear = api_token_create(user=user)
    seen = 0
    for plan in Plan.objects.order_by("pk"):
        response = client.get(
            f"/api/v1/plans/{plan.pk}", headers={"Authorization": f"Bearer {clear}"}
        )
        if response.status_code == 404:
            continue
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response["Cache-Control"] == "no-store, private, max-age=0"
        got = json.loads(response.content)
        PlanOut.model_validate(got)  # valid against the documented schema
        seen_plan = Plan.objects.get(pk=plan.pk)
        fresh = Actor.for_user(user)
        expected = out.plan(
            seen_plan, selectors.plan_page_data(actor=fresh, plan=seen_plan), actor=fresh
        )
        assert got == _as_ninja_would(expected)
        seen += 1
    assert seen > 0
