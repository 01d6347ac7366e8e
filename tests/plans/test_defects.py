"""Defects found when the plans code was read for issue 10, each with the test that failed
before its fix."""

from __future__ import annotations

import pytest

from samplan.accounts.services import api_token_create
from samplan.authz.actor import Actor
from samplan.plans import services
from samplan.plans.lifecycle import StepNotAllowed
from samplan.plans.models import (
    Deviation,
    DeviationKind,
    DeviationStatus,
    Plan,
    PlanState,
)
from tests.api.conftest import ApiClient
from tests.factories import PlanFactory

pytestmark = pytest.mark.django_db


def coordinator(plan: Plan) -> Actor:
    return Actor.for_user(plan.initiating_user)


def api_as_coordinator(plan: Plan) -> ApiClient:
    _token, clear = api_token_create(user=plan.initiating_user)
    return ApiClient(clear)


# A deviation on a closed plan -------------------------------------------------------------


def test_no_deviation_is_reported_on_a_closed_plan_through_the_service() -> None:
    plan = PlanFactory.create(closed=True)
    with pytest.raises(StepNotAllowed) as refused:
        services.deviation_report(
            actor=coordinator(plan),
            plan=plan,
            kind=DeviationKind.OTHER,
            description="Efter avslutet",
            addressed_to=plan.initiating_unit.organisation,
        )
    assert "Planen är avslutad" in refused.value.messages[0]
    assert not plan.deviations.exists()


def test_no_deviation_is_reported_on_a_closed_plan_through_the_api() -> None:
    plan = PlanFactory.create(closed=True)
    response = api_as_coordinator(plan).post(
        f"plans/{plan.pk}/deviations",
        {
            "kind": DeviationKind.OTHER,
            "description": "Efter avslutet",
            "addressed_to": plan.initiating_unit.organisation_id,
        },
    )
    assert response.status_code == 409
    assert not plan.deviations.exists()


def _deviation(plan: Plan) -> Deviation:
    return Deviation.objects.create(
        plan=plan,
        kind=DeviationKind.NOT_DELIVERED,
        description="Boendestödet har inte kommit i gång.",
        addressed_to=plan.initiating_unit.organisation,
        reported_by=plan.initiating_user,
        reported_unit=plan.initiating_unit,
    )


def test_a_deviation_on_a_closed_plan_is_not_handled() -> None:
    plan = PlanFactory.create(closed=True)
    deviation = _deviation(plan)
    with pytest.raises(StepNotAllowed):
        services.deviation_set_status(
            actor=coordinator(plan),
            deviation=deviation,
            status=DeviationStatus.HANDLED,
            resolution="Löst",
        )
    deviation.refresh_from_db()
    assert deviation.status == DeviationStatus.OPEN


def test_handling_re_reads_the_deviation_under_its_lock() -> None:
    """A form opened before someone else handled the deviation does not handle it again
    (before the fix the stale object in memory decided, and the second hand overwrote the
    first one's resolution)."""
    plan = PlanFactory.create(established=True)
    deviation = _deviation(plan)
    stale = Deviation.objects.get(pk=deviation.pk)
    services.deviation_set_status(
        actor=coordinator(plan),
        deviation=deviation,
        status=DeviationStatus.HANDLED,
        resolution="Första handen",
    )
    with pytest.raises(StepNotAllowed):
        services.deviation_set_status(
            actor=coordinator(plan),
            deviation=stale,
            status=DeviationStatus.HANDLED,
            resolution="Andra handen",
        )
    deviation.refresh_from_db()
    assert deviation.resolution == "Första handen"
    assert plan.state == PlanState.ESTABLISHED
