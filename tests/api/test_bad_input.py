"""Each kind of bad input: a 4xx with a clear message, nothing written, the attempt audited."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from samplan.accounts.models import User
from samplan.audit.models import AuditEvent, Outcome
from samplan.directory.models import Organisation, Unit
from samplan.plans.models import (
    Deviation,
    Intervention,
    Meeting,
    Need,
    Plan,
    PlanEvent,
    PlanState,
    PlanVersion,
)

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


def ove() -> Plan:
    return Plan.objects.get(person__given_name="Ove", person__family_name="Demosson")


def revising_ove(karin: ApiClient) -> Plan:
    plan = ove()
    assert karin.post(f"plans/{plan.pk}/revise", {}).status_code == 200
    plan.refresh_from_db()
    return plan


@contextmanager
def nothing_written(plan: Plan) -> Iterator[None]:
    """No domain row changes (the audit trail does, and must)."""
    models = (Need, Intervention, Meeting, Deviation, PlanVersion, PlanEvent)
    before = [m.objects.count() for m in models]
    revision, state = plan.revision, plan.state
    yield
    assert [m.objects.count() for m in models] == before
    plan.refresh_from_db()
    assert (plan.revision, plan.state) == (revision, state)


def audited(plan: Plan, fields: list[str]) -> None:
    event = AuditEvent.objects.filter(outcome=Outcome.INVALID).order_by("-pk").first()
    assert event is not None
    assert event.actor is not None
    assert event.actor.username == "karin.holm"
    assert event.person_id == plan.person_id
    assert event.detail["fields"] == sorted(fields)


def assert_400(response: Any, field: str) -> dict[str, Any]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"]
    assert field in body["errors"], body
    assert all(isinstance(m, str) and m for m in body["errors"][field])
    return body


@pytest.fixture
def karin(api: Callable[..., ApiClient]) -> ApiClient:
    return api("karin.holm")


def test_malformed_json(karin: ApiClient) -> None:
    plan = revising_ove(karin)
    with nothing_written(plan):
        response = karin.post(f"plans/{plan.pk}/needs", raw=b'{"kind": "need", "descr')
    body = assert_400(response, "body")
    assert "JSON" in body["detail"]
    audited(plan, ["body"])


def test_unknown_field(karin: ApiClient) -> None:
    plan = revising_ove(karin)
    with nothing_written(plan):
        response = karin.post(
            f"plans/{plan.pk}/needs", {"kind": "need", "description": "x", "colour": "red"}
        )
    body = assert_400(response, "colour")
    assert "Unknown field" in body["errors"]["colour"][0]
    audited(plan, ["colour"])


def test_wrong_type_and_missing_field(karin: ApiClient) -> None:
    plan = revising_ove(karin)
    with nothing_written(plan):
        response = karin.post(f"plans/{plan.pk}/needs", {"kind": "need", "description": 5})
        assert_400(response, "description")
        response = karin.post(f"plans/{plan.pk}/needs", {"kind": "wish", "description": "x"})
        assert_400(response, "kind")
        response = karin.post(f"plans/{plan.pk}/needs", {"description": "x"})
        assert_400(response, "kind")
        response = karin.post(f"plans/{plan.pk}/needs", ["not", "an", "object"])
        assert response.status_code == 400
        response = karin.post(f"plans/{plan.pk}/needs", {"kind": "need", "description": "a\x00b"})
        assert_400(response, "description")
    audited(plan, ["description"])


def test_service_validation_is_a_400_at_the_field(karin: ApiClient) -> None:
    plan = revising_ove(karin)
    with nothing_written(plan):
        response = karin.post(
            f"plans/{plan.pk}/needs", {"kind": "need", "description": "x", "icf_code": "zz9"}
        )
    assert_400(response, "icf_code")
    audited(plan, ["icf_code"])


def test_other_organisations_ids_in_body_fields(karin: ApiClient) -> None:
    plan = revising_ove(karin)
    strandvik = Unit.objects.get(name="Socialpsykiatri Strandvik")
    fk = Organisation.objects.get(name="Försäkringskassan")
    johan = User.objects.get(username="johan.dahl")
    start = timezone.now() + timedelta(days=3)
    meeting = {
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "mode": "physical",
        "location": "Här",
    }
    with nothing_written(plan):
        # A unit of a municipality the consent does not cover.
        assert_400(
            karin.post(f"plans/{plan.pk}/meetings", {**meeting, "units": [strandvik.pk]}), "units"
        )
        audited(plan, ["units"])
        # An id that does not exist at all.
        assert_400(
            karin.post(f"plans/{plan.pk}/meetings", {**meeting, "units": [99999999]}), "units"
        )
        # A deviation to an organisation that takes no part in the plan.
        assert_400(
            karin.post(
                f"plans/{plan.pk}/deviations",
                {"kind": "other", "description": "x", "addressed_to": fk.pk},
            ),
            "addressed_to",
        )
        # Staff of another municipality as responsible for an intervention.
        intervention = {"description": "x", "responsible_organisation": plan.lead_organisation_id}
        assert_400(
            karin.post(
                f"plans/{plan.pk}/interventions", {**intervention, "responsible_staff": johan.pk}
            ),
            "responsible_staff",
        )
        # A unit of another organisation than the responsible one.
        assert_400(
            karin.post(
                f"plans/{plan.pk}/interventions", {**intervention, "responsible_unit": strandvik.pk}
            ),
            "responsible_unit",
        )
        # A coordinator who works in no unit of the plan.
        assert_400(karin.patch(f"plans/{plan.pk}", {"coordinator": johan.pk}), "coordinator")
        assert_400(
            karin.post(
                f"plans/{plan.pk}/consents",
                {
                    "decision": "given",
                    "method": "oral",
                    "organisations": [99999999],
                    "information_kinds": ["plan"],
                },
            ),
            "organisations",
        )


def test_another_plans_objects_are_not_reachable(api: Callable[..., ApiClient]) -> None:
    """Johan (Strandvik) cannot touch Ove's need through its own id: 404, audited."""
    plan = ove()
    need = plan.needs.first()
    assert need is not None
    johan = api("johan.dahl")
    with nothing_written(plan):
        response = johan.put(f"needs/{need.pk}", {"kind": "need", "description": "hijack"})
        assert response.status_code == 404
        assert johan.delete(f"needs/{need.pk}").status_code == 404
        assert johan.post(f"plans/{plan.pk}/establish").status_code == 404
    assert (
        AuditEvent.objects.filter(actor__username="johan.dahl", outcome=Outcome.DENIED).count() >= 3
    )


def test_disallowed_steps_answer_409(karin: ApiClient) -> None:
    plan = ove()
    assert plan.state == PlanState.ESTABLISHED
    with nothing_written(plan):
        response = karin.post(f"plans/{plan.pk}/establish")
        assert response.status_code == 409
        assert "upprättad" in response.json()["detail"]
        audited(plan, ["state"])
        response = karin.post(f"plans/{plan.pk}/needs", {"kind": "need", "description": "x"})
        assert response.status_code == 409
    closed = Plan.objects.filter(state=PlanState.CLOSED, initiating_user__username="karin.holm")
    done = closed.first()
    assert done is not None
    assert karin.post(f"plans/{done.pk}/close", {"reason": "moved"}).status_code == 409


def test_edit_conflict_answers_409_and_overwrites_nothing(karin: ApiClient) -> None:
    plan = revising_ove(karin)
    stale = plan.revision
    assert karin.patch(f"plans/{plan.pk}", {"revision": stale, "title": "Först"}).status_code == 200
    plan.refresh_from_db()
    with nothing_written(plan):
        response = karin.patch(f"plans/{plan.pk}", {"revision": stale, "title": "Sen"})
    assert response.status_code == 409
    plan.refresh_from_db()
    assert plan.title == "Först"
    audited(plan, ["conflict"])


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_body_over_the_size_limit(karin: ApiClient) -> None:
    plan = revising_ove(karin)
    with nothing_written(plan):
        response = karin.post(f"plans/{plan.pk}/needs", {"kind": "need", "description": "x" * 2000})
    assert response.status_code == 413
    assert "för stort" in response.json()["detail"]
    audited(plan, ["body"])


def test_bad_query_and_path_values(karin: ApiClient) -> None:
    assert_400(karin.get("plans?limit=0"), "limit")
    assert_400(karin.get("plans?limit=abc"), "limit")
    assert_400(karin.get("plans?cursor=%%%"), "cursor")
    assert_400(karin.get("plans?state=nope"), "state")
    assert_400(karin.get("plans/abc"), "plan_id")
    assert_400(karin.get("plans/0"), "plan_id")
