"""Schemathesis against the served OpenAPI schema, in process: for every operation, valid and
invalid data, with a valid token (karin.holm): no 5xx, and every answer (status, content
type, body) as the schema says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.api.schema import schema_dict
from samplan.authz.actor import Actor
from samplan.plans import services
from samplan.plans.models import Plan

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OPERATIONS = sorted(
    (method.upper(), path) for path, methods in schema_dict()["paths"].items() for method in methods
)


def _has_input(method: str, path: str) -> bool:
    spec = schema_dict()["paths"][path][method.lower()]
    return bool(spec.get("parameters") or spec.get("requestBody"))


# Invalid requests only where the operation takes input that can be invalid.
CASES = [(m, p, schemathesis.GenerationMode.POSITIVE) for m, p in OPERATIONS] + [
    (m, p, schemathesis.GenerationMode.NEGATIVE) for m, p in OPERATIONS if _has_input(m, p)
]


@pytest.fixture
def token(db: None) -> str:
    _token, clear = api_token_create(user=User.objects.get(username="karin.holm"))
    return clear


# The schema as served: test_schema.py holds served, committed and generated to be the same.
SCHEMA = schemathesis.openapi.from_dict(schema_dict())
SCHEMA.app = WSGIHandler()


@pytest.fixture
def api_schema(db: None) -> Iterator[Any]:
    # Each request must run inside the test's transaction, as with Django's test client.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield SCHEMA
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def real_ids(db: None) -> dict[str, int]:
    """Path ids of objects karin.holm may work on: Ove's plan, put under revision so that
    its draft, meetings and follow-ups can be changed, and what hangs from it."""
    karin = Actor.for_user(User.objects.get(username="karin.holm"))
    plan = Plan.objects.get(person__given_name="Ove", person__family_name="Demosson")
    services.plan_revise(actor=karin, plan=plan, reason="Schemathesis")
    meeting = plan.meetings.get()
    return {
        "plan_id": plan.pk,
        "person_id": plan.person_id,
        "organisation_id": plan.lead_organisation_id or 1,
        "meeting_id": meeting.pk,
        "invitation_id": meeting.invitations.first().pk,  # type: ignore[union-attr]
        "need_id": plan.needs.first().pk,  # type: ignore[union-attr]
        "goal_id": plan.goals.first().pk,  # type: ignore[union-attr]
        "intervention_id": plan.interventions.first().pk,  # type: ignore[union-attr]
        "follow_up_id": plan.follow_ups.first().pk,  # type: ignore[union-attr]
        "deviation_id": plan.deviations.first().pk,  # type: ignore[union-attr]
        "number": 1,
        "a": 1,
        "b": 1,
    }


@pytest.mark.parametrize(
    ("method", "path", "mode"), CASES, ids=[f"{m} {p} {mode.value}" for m, p, mode in CASES]
)
def test_operation_conforms(
    api_schema: Any,
    token: str,
    real_ids: dict[str, int],
    method: str,
    path: str,
    mode: schemathesis.GenerationMode,
) -> None:
    """Valid requests go to objects that exist and that karin may change, so that they reach
    the services; invalid ones go anywhere."""
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {token}"}
    ids = (
        {name: value for name, value in real_ids.items() if "{" + name + "}" in path}
        if mode is schemathesis.GenerationMode.POSITIVE
        else None
    )

    @given(case=operation.as_strategy(mode, headers=headers, path_parameters=ids))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
