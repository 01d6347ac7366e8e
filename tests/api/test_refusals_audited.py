"""A refused REST request leaves a `denied` audit event for the actor (issue 10): a version
or a difference that does not exist, on a plan the actor sees."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from samplan.accounts.models import User
from samplan.audit.models import AuditEvent, Outcome
from samplan.plans.models import Plan
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def ove_plan() -> Plan:
    return Plan.objects.get(person__user__username="ove.demosson")


def denied(username: str) -> int:
    return AuditEvent.objects.filter(
        actor=User.objects.get(username=username), outcome=Outcome.DENIED, action="plan.view"
    ).count()


@pytest.mark.parametrize("path", ["versions/999", "versions/1/diff/999"])
def test_a_missing_version_is_a_refusal_with_an_audit_row(
    api: Callable[..., ApiClient], ove_plan: Plan, path: str
) -> None:
    before = denied("karin.holm")
    response = api("karin.holm").get(f"plans/{ove_plan.pk}/{path}")
    assert response.status_code == 404
    assert denied("karin.holm") == before + 1
    event = AuditEvent.objects.filter(outcome=Outcome.DENIED).latest("pk")
    assert event.person_id == ove_plan.person_id


def test_an_existing_version_is_no_refusal(api: Callable[..., ApiClient], ove_plan: Plan) -> None:
    number = ove_plan.versions.order_by("number").values_list("number", flat=True).first()
    assert number is not None
    before = denied("karin.holm")
    assert api("karin.holm").get(f"plans/{ove_plan.pk}/versions/{number}").status_code == 200
    assert denied("karin.holm") == before
