"""A bearer-token request to the APIs passes by the middleware of browser sessions
(samplan/core/browser_middleware.py), and keeps what every response needs: the security
headers, the request id, no caching, the language asked for. Every other request, a page or
the API's documentation, goes through the sessions as before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.audit.models import AuditEvent
from samplan.authz import policy
from samplan.authz.actor import Actor
from samplan.core.browser_middleware import is_bearer_request

pytestmark = pytest.mark.django_db


def _token(user: User) -> str:
    _t, clear = api_token_create(user=user)
    return clear


def _plan_id(user: User) -> int:
    plan = policy.visible_plans(Actor.for_user(user)).order_by("pk").first()
    assert plan is not None
    return plan.pk


@pytest.mark.parametrize("path", ["/fhir/CarePlan/{}", "/api/v1/plans/{}"])
def test_a_bearer_read_sets_no_session_and_keeps_the_headers(
    demo_user: Callable[[str], User], path: str
) -> None:
    user = demo_user("karin.holm")
    client = Client()
    response = client.get(
        path.format(_plan_id(user)),
        headers={"Authorization": f"Bearer {_token(user)}", "X-Request-ID": "bench-0000001"},
    )
    assert response.status_code == 200
    # No session, no CSRF cookie, no Vary on the cookie: nothing of a browser session.
    assert response.cookies == {}
    assert "Cookie" not in response.get("Vary", "")
    assert response["X-Request-ID"] == "bench-0000001"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"]
    # The read is the token's user's, audited.
    assert AuditEvent.objects.filter(actor=user, request_id="bench-0000001").exists()


def test_a_bearer_call_with_a_session_cookie_is_the_tokens_user(
    demo_user: Callable[[str], User],
) -> None:
    """A browser signed in as one user, calling with another user's token, acts as the
    token's user: the session is not looked at, nor changed."""
    signed_in, holder = demo_user("johan.dahl"), demo_user("karin.holm")
    client = Client()
    client.force_login(signed_in)
    key = client.session.session_key
    plan_id = _plan_id(holder)
    response = client.get(
        f"/fhir/CarePlan/{plan_id}",
        headers={"Authorization": f"Bearer {_token(holder)}", "X-Request-ID": "bench-0000002"},
    )
    assert response.status_code == 200
    assert response.cookies == {}
    assert client.session.session_key == key
    actors = set(
        AuditEvent.objects.filter(request_id="bench-0000002").values_list("actor", flat=True)
    )
    assert actors == {holder.pk}


def test_an_api_call_without_a_token_is_refused_in_swedish_or_english() -> None:
    client = Client()
    answer = client.get("/api/v1/plans/1", headers={"Accept-Language": "en"})
    assert answer.status_code == 401
    assert client.get("/fhir/CarePlan/1").status_code == 401


def test_pages_and_the_api_documentation_keep_the_session(
    demo_user: Callable[[str], User],
) -> None:
    client = Client()
    client.force_login(demo_user("karin.holm"))
    for path in ("/", "/api/v1/docs"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Cookie" in response.get("Vary", ""), path


@pytest.mark.parametrize(
    ("path", "header", "bearer"),
    [
        ("/fhir/CarePlan/1", "Bearer abc", True),
        ("/api/v1/plans/1", "bearer abc", True),
        ("/api/v1/plans/1", "", False),
        ("/api/v1/plans/1", "Basic abc", False),
        ("/plans/1/", "Bearer abc", False),  # a page is never a bearer request
        ("/fhirx/CarePlan/1", "Bearer abc", False),
    ],
)
def test_which_requests_are_bearer_requests(rf: Any, path: str, header: str, bearer: bool) -> None:
    request = rf.get(path, HTTP_AUTHORIZATION=header) if header else rf.get(path)
    assert is_bearer_request(request) is bearer
