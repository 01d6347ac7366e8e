"""Defects found when the plans code was read for issue 10, each with the test that failed
before its fix."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from samplan.accounts.services import api_token_create
from samplan.audit import services as audit_services
from samplan.audit.models import AuditEvent
from samplan.authz.actor import Actor
from samplan.consent import services as consent_services
from samplan.consent.models import ConsentDecision, ConsentMethod, InformationKind
from samplan.plans import services
from samplan.plans.lifecycle import StepNotAllowed
from samplan.plans.models import (
    Deviation,
    DeviationKind,
    DeviationStatus,
    NeedKind,
    Plan,
    PlanState,
)
from tests.api.conftest import ApiClient
from tests.factories import PlanFactory, RepresentativeFactory

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


# A representative outside his or her term ------------------------------------------------


@pytest.mark.parametrize(
    ("valid_from", "valid_until"),
    [
        (None, timezone.localdate() - timedelta(days=1)),  # ended yesterday
        (timezone.localdate() + timedelta(days=1), None),  # begins tomorrow
    ],
)
def test_a_representative_outside_the_term_gives_no_consent(
    valid_from: date | None, valid_until: date | None
) -> None:
    plan = PlanFactory.create()
    guardian = RepresentativeFactory.create(
        guardian=True, person=plan.person, valid_from=valid_from, valid_until=valid_until
    )
    with pytest.raises(ValidationError) as refused:
        consent_services.consent_record(
            actor=coordinator(plan),
            plan=plan,
            decision=ConsentDecision.GIVEN,
            method=ConsentMethod.ORAL,
            organisations=[plan.initiating_unit.organisation],
            information_kinds=[InformationKind.PLAN],
            representative=guardian,
        )
    assert list(refused.value.message_dict) == ["representative"]
    assert "gällde inte" in refused.value.message_dict["representative"][0]
    assert not plan.consents.exists()


def test_a_representative_within_the_term_gives_consent() -> None:
    plan = PlanFactory.create()
    guardian = RepresentativeFactory.create(
        guardian=True,
        person=plan.person,
        valid_from=timezone.localdate() - timedelta(days=30),
        valid_until=timezone.localdate(),
    )
    consent = consent_services.consent_record(
        actor=coordinator(plan),
        plan=plan,
        decision=ConsentDecision.GIVEN,
        method=ConsentMethod.ORAL,
        organisations=[plan.initiating_unit.organisation],
        information_kinds=[InformationKind.PLAN],
        representative=guardian,
    )
    assert consent.given_by_representative == guardian


# A web write is one audited access, not a read and a write ------------------------------


def test_a_web_write_writes_its_own_audit_event_and_no_plan_read() -> None:
    plan = PlanFactory.create()
    client = Client()
    client.force_login(plan.initiating_user)
    before = AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    response = client.post(
        reverse("need_add", args=[plan.pk]),
        {"kind": NeedKind.NEED, "description": "Stöd i vardagen", "revision": plan.revision},
    )
    assert response.status_code == 302
    assert plan.needs.count() == 1
    written = list(AuditEvent.objects.filter(pk__gt=before).values_list("action", flat=True))
    assert written == ["need.add"]


def test_a_web_write_refused_for_bad_input_shows_the_page_again_as_an_audited_read() -> None:
    plan = PlanFactory.create()
    client = Client()
    client.force_login(plan.initiating_user)
    before = AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    response = client.post(
        reverse("need_add", args=[plan.pk]),
        {"kind": NeedKind.NEED, "description": "", "revision": plan.revision},
    )
    assert response.status_code == 400
    assert not plan.needs.exists()
    written = list(AuditEvent.objects.filter(pk__gt=before).values_list("action", flat=True))
    assert written == ["plan.read"]


# A service's audit row and its change commit or roll back together ---------------------


def test_a_service_change_and_its_audit_row_roll_back_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = PlanFactory.create()
    real_record = audit_services.record
    written: list[int] = []

    def record_then_fail(**kwargs: Any) -> Any:
        event = real_record(**kwargs)
        written.append(event.pk)
        # The row is there inside the service's transaction ...
        assert AuditEvent.objects.filter(pk=event.pk).exists()
        raise RuntimeError("a failure after the audit row, before the commit")

    monkeypatch.setattr(audit_services, "record", record_then_fail)
    with pytest.raises(RuntimeError):
        services.need_add(
            actor=coordinator(plan), plan=plan, kind=NeedKind.NEED, description="Stöd"
        )
    # ... and gone with the change when the transaction rolls back.
    assert written
    assert not AuditEvent.objects.filter(pk__in=written).exists()
    assert not plan.needs.exists()
    assert not plan.events.filter(kind="draft_changed").exists()


def test_a_service_change_and_its_audit_row_commit_together() -> None:
    plan = PlanFactory.create()
    need = services.need_add(
        actor=coordinator(plan), plan=plan, kind=NeedKind.NEED, description="Stöd"
    )
    assert AuditEvent.objects.filter(
        action="need.add", object_id=str(need.pk), person=plan.person
    ).exists()
