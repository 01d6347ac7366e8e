"""Bearer tokens: none, bad, expired or revoked answer 401; a good one acts with its user's
rights, and "not yours" is the same 404 as "missing"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from samplan.accounts.models import ApiToken, User
from samplan.accounts.services import api_token_create, api_token_revoke
from samplan.audit.models import AuditEvent, Outcome
from samplan.plans.models import Plan

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


def ove_plan() -> Plan:
    return Plan.objects.get(person__given_name="Ove", person__family_name="Demosson")


def assert_401(response: object) -> None:
    assert response.status_code == 401  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert "API-nyckel" in body["detail"]
    assert "API token" in body["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")  # type: ignore[index]


def test_no_token_and_bad_tokens_answer_401() -> None:
    plan = ove_plan()
    assert_401(ApiClient(None).get(f"plans/{plan.pk}"))
    assert_401(ApiClient("spl_nonsense").get(f"plans/{plan.pk}"))
    assert_401(ApiClient(None).post("plans", {"person": 1, "reasons": []}))
    client = ApiClient(None)
    client.headers["Authorization"] = "Basic a2FyaW46aGVtbGln"
    assert_401(client.get("worklist"))


def test_expired_and_revoked_tokens_answer_401() -> None:
    karin = User.objects.get(username="karin.holm")
    token, clear = api_token_create(user=karin)
    assert ApiClient(clear).get("worklist").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_401(ApiClient(clear).get("worklist"))
    token, clear = api_token_create(user=karin)
    api_token_revoke(token=token)
    assert_401(ApiClient(clear).get("worklist"))


def test_a_signed_in_session_is_not_an_api_credential(client: Client) -> None:
    client.force_login(User.objects.get(username="karin.holm"))
    response = client.get("/api/v1/worklist")
    assert response.status_code == 401


def test_token_acts_with_its_users_rights(api: Callable[..., ApiClient]) -> None:
    plan = ove_plan()
    karin = api("karin.holm").get(f"plans/{plan.pk}")
    assert karin.status_code == 200
    assert karin.json()["person"]["given_name"] == "Ove"
    assert "no-store" in karin["Cache-Control"]
    johan_user = User.objects.get(username="johan.dahl")
    refused = api("johan.dahl").get(f"plans/{plan.pk}")
    missing = api("johan.dahl").get("plans/987654321")
    assert refused.status_code == missing.status_code == 404
    assert refused.json() == missing.json()
    assert AuditEvent.objects.filter(actor=johan_user, outcome=Outcome.DENIED).count() >= 2
    # Reading is audited, with the person and the ground.
    assert AuditEvent.objects.filter(
        actor__username="karin.holm", action="plan.read", person=plan.person, outcome=Outcome.OK
    ).exists()
    # Johan's list does not hold Ove's plan; Karin's does.
    assert plan.pk not in [p["id"] for p in api("johan.dahl").get("plans").json()["items"]]
    assert plan.pk in [p["id"] for p in api("karin.holm").get("plans?limit=100").json()["items"]]


def test_acting_unit_header(api: Callable[..., ApiClient]) -> None:
    """sara.lind works in two region units; the header picks the one she acts through."""
    sara = User.objects.get(username="sara.lind")
    units = list(sara.memberships.order_by("pk").values_list("unit_id", flat=True))
    assert len(units) == 2
    for unit_id in units:
        response = api("sara.lind", unit_id).get("worklist")
        assert response.status_code == 200
    odd = api("sara.lind")
    odd.headers["X-Samplan-Unit"] = "\u00b2"
    assert odd.get("worklist").status_code == 401
    other_unit = api("sara.lind", User.objects.get(username="karin.holm").memberships.get().unit_id)
    assert other_unit.get("worklist").status_code == 401


def test_organisation_administrator_sees_no_plans(api: Callable[..., ApiClient]) -> None:
    admin = api("admin.ekbacka")
    assert admin.get("plans").json()["items"] == []
    assert admin.get(f"plans/{ove_plan().pk}").status_code == 404
    assert admin.post("persons/search", {"query": "Ove"}).status_code == 404
