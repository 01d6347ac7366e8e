"""A refused FHIR request leaves a `denied` audit event for the actor (issue 10), also when
the id is not one of ours at all (letters, beyond 64 bits)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from samplan.accounts.models import User
from samplan.audit.models import AuditEvent, Outcome
from samplan.plans.models import Plan
from tests.fhir.conftest import FhirApi

pytestmark = pytest.mark.django_db


def denied(username: str, action: str) -> int:
    return AuditEvent.objects.filter(
        actor=User.objects.get(username=username), outcome=Outcome.DENIED, action=action
    ).count()


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("CarePlan/abc/$everything", "plan.view"),
        ("CarePlan/99999999999999999999/$everything", "plan.view"),
        ("Goal/abc", "goal.fhir_read"),
        ("Patient/99999999999999999999", "patient.fhir_read"),
        ("CareTeam/x-1", "careteam.fhir_read"),
    ],
)
def test_a_read_of_no_id_of_ours_is_refused_and_audited(
    fhir: Callable[..., FhirApi], path: str, action: str
) -> None:
    before = denied("karin.holm", action)
    status, body = fhir("karin.holm").get(path)
    assert status == 404
    assert body["resourceType"] == "OperationOutcome"
    assert denied("karin.holm", action) == before + 1


def test_everything_on_a_visible_plan_is_no_refusal(
    fhir: Callable[..., FhirApi], ove_plan: Plan
) -> None:
    before = denied("karin.holm", "plan.view")
    status, _body = fhir("karin.holm").get(f"CarePlan/{ove_plan.pk}/$everything")
    assert status == 200
    assert denied("karin.holm", "plan.view") == before
