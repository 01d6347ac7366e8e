"""Fixtures for the documents' tests: demo plans from the shared demo world, and a plan full
of bad input (markup, ampersands, direction marks, emoji, a long word, 200 interventions)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from samplan.authz.policy import ALL_INFORMATION_KINDS
from samplan.directory.models import Organisation
from samplan.plans.models import (
    FollowUp,
    Goal,
    Intervention,
    InterventionStatus,
    Need,
    NeedKind,
    Plan,
    PlanState,
    PlanVersion,
)
from tests.factories import PlanFactory

LONG_WORD = "Kommunalförbundsinformationsöverföringssamordningsutvecklingsprojektsledningarna"
SCRIPT = "<script>alert('x')</script>"
NASTY = (
    f"{SCRIPT} Mat & dryck \u202eteg\u202c 😀🏠 {LONG_WORD} "
    '<img src="http://example.invalid/x.png"> file:///etc/passwd'
)


@pytest.fixture
def all_kinds() -> frozenset[str]:
    return ALL_INFORMATION_KINDS


@pytest.fixture
def established_plan(db: None) -> Plan:
    """The demo world's established plan (Ove's): two principals, a coordinator, a
    follow-up in the past, a version."""
    plan = (
        Plan.objects.filter(state=PlanState.ESTABLISHED, versions__isnull=False)
        .select_related("person", "lead_organisation", "coordinator")
        .order_by("pk")
        .first()
    )
    assert plan is not None, "the demo world has an established plan"
    return plan


@pytest.fixture
def invited_plan(db: None) -> Plan:
    """The demo world's plan with a coming meeting (Liam's habilitation plan)."""
    plan = (
        Plan.objects.filter(
            state=PlanState.INVITED,
            meetings__cancelled_at__isnull=True,
            meetings__held_at__isnull=True,
            meetings__starts_at__gte=timezone.now(),
        )
        .order_by("pk")
        .first()
    )
    assert plan is not None, "the demo world has a plan with a coming meeting"
    return plan


def participating_organisation(plan: Plan) -> Organisation:
    lead = plan.lead_organisation_id or 0
    org = (
        Organisation.objects.filter(units__participations__plan=plan)
        .exclude(pk=lead)
        .order_by("pk")
        .first()
    )
    assert org is not None
    return org


@pytest.fixture
def nasty_plan(db: None) -> Plan:
    """An established plan whose free text holds markup, "&", a right-to-left override,
    emoji and an 80-letter word, with 200 interventions; frozen as version 2."""
    from samplan.plans.services import plan_snapshot

    assert len(LONG_WORD) == 80
    plan = PlanFactory.create(established=True)
    municipality = plan.lead_organisation
    assert municipality is not None
    Need.objects.create(plan=plan, kind=NeedKind.NEED, description=NASTY)
    goal = Goal.objects.create(plan=plan, shared_goal=NASTY, person_words=NASTY)
    today = timezone.localdate()
    Intervention.objects.bulk_create(
        Intervention(
            plan=plan,
            description=f"Insats {n} & {NASTY}",
            responsible_organisation=municipality,
            status=InterventionStatus.DECIDED,
            start_date=today,
            goal=goal,
            order=n,
        )
        for n in range(1, 200)
    )
    FollowUp.objects.create(
        plan=plan, due_date=today + datetime.timedelta(days=30), what=f"Uppföljning {NASTY}"
    )
    plan.title = NASTY[:200]
    plan.time_plan = NASTY
    plan.evaluation_plan = NASTY
    plan.save()
    PlanVersion.objects.create(
        plan=plan,
        number=2,
        content=plan_snapshot(plan),
        established_at=timezone.now(),
        established_by=plan.initiating_user,
    )
    assert plan.interventions.count() == 200
    return plan
