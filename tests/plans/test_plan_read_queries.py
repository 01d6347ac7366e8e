"""The audited plan reads (FHIR CarePlan/{id}, REST plan, the plan page) cost a fixed, small
number of queries, whatever the plan holds and however many plans there are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.audit.models import AuditEvent
from samplan.directory.models import Membership, Organisation
from samplan.plans.models import (
    Goal,
    Intervention,
    InterventionStatus,
    Need,
    NeedKind,
    Plan,
    PlanVersion,
)

pytestmark = pytest.mark.django_db

# The bearer token and the actor's memberships (1), the plan with its visibility, active
# consent, newest version, needs, goals and interventions (1), the audit row (1).
FHIR_READ_QUERIES = 3
# The signed-in plan page: see test_plan_page_costs_the_same_however_much_the_plan_holds.
# The frame every signed-in page pays: the session, the user, the memberships, the header's
# roles, own person and unread count (one query), whether an agreement is visible (5). The
# page's own: the plan with its needs, goals, participants, meetings and invitations,
# follow-ups and goal results, deviations, versions and newest events (1), the audit row, the
# interventions, the consents and their organisations (2), the disputes, the documents'
# participating organisations and coming meetings (2) (8).
# The session is not saved within a minute of its last save (samplan.accounts.session_activity),
# so a page asks nothing more of it.
PLAN_PAGE_QUERIES = 13


def _ove_plan() -> Plan:
    return Plan.objects.get(person__given_name="Ove", person__family_name="Demosson")


def _grow(plan: Plan, n: int = 12) -> None:
    """More of everything a plan read shows: goals, needs, interventions of every
    organisation, established versions; and more plans of other persons."""
    coordinator = plan.coordinator
    assert coordinator is not None
    organisations = list(Organisation.objects.order_by("pk"))
    for i in range(n):
        Goal.objects.create(plan=plan, shared_goal=f"Mål {i}", order=100 + i)
        Need.objects.create(plan=plan, kind=NeedKind.values[0], description=f"Behov {i}")
        org = organisations[i % len(organisations)]
        Intervention.objects.create(
            plan=plan,
            description=f"Insats {i}",
            responsible_organisation=org,
            responsible_unit=org.units.first(),
            status=InterventionStatus.values[0],
            order=100 + i,
        )
    last = plan.versions.order_by("-number").values_list("number", flat=True).first() or 0
    for i in range(1, 4):
        PlanVersion.objects.create(
            plan=plan,
            number=last + i,
            content={"goals": [], "interventions": []},
            established_at=timezone.now() - timedelta(days=10 - i),
            established_by=coordinator,
        )
    for other in Plan.objects.exclude(pk=plan.pk)[:3]:
        Goal.objects.create(plan=other, shared_goal="Annat mål")


def _count(client: Client, url: str, **headers: str) -> tuple[int, int]:
    client.get(url, headers=headers)  # warm up
    with CaptureQueriesContext(connection) as ctx:
        status = client.get(url, headers=headers).status_code
    return status, len(ctx.captured_queries)


def _bearer(username: str) -> dict[str, str]:
    _token, clear = api_token_create(user=User.objects.get(username=username))
    return {"Authorization": f"Bearer {clear}"}


def _reader_without_plan_content(plan: Plan) -> tuple[str, int]:
    """A participant (with consent) that does not carry the plan: its kinds are asked."""
    from samplan.plans.models import Participant

    for part in Participant.objects.filter(plan=plan, left_at__isnull=True).select_related("unit"):
        if plan.lead_organisation_id == part.unit.organisation_id:
            continue
        member = Membership.objects.filter(unit=part.unit, is_active=True).first()
        if member is not None and member.user_id != plan.coordinator_id:
            return member.user.username, part.unit_id
    raise AssertionError("the demo plan has no participant outside the lead organisation")


def test_fhir_careplan_read_costs_three_queries_however_much_the_plan_holds(
    client: Client,
) -> None:
    plan = _ove_plan()
    assert plan.coordinator is not None
    headers = _bearer(plan.coordinator.username)
    url = f"/fhir/CarePlan/{plan.pk}"
    status, before = _count(client, url, **headers)
    assert (status, before) == (200, FHIR_READ_QUERIES)
    _grow(plan)
    status, after = _count(client, url, **headers)
    assert (status, after) == (200, FHIR_READ_QUERIES)
    body = client.get(url, headers=headers).json()
    assert len(body["goal"]) == plan.goals.count()
    newest = plan.versions.order_by("-number").first()
    assert newest is not None
    assert body["replaces"][0]["reference"] == f"CarePlan/{plan.pk}-v{newest.number}"
    # The read is audited once, as before.
    last = AuditEvent.objects.order_by("-pk").first()
    assert last is not None
    assert last.action == "careplan.fhir_read"
    assert last.detail == {"ids": [str(plan.pk)]}


def test_rest_plan_read_costs_the_same_however_much_the_plan_holds(client: Client) -> None:
    plan = _ove_plan()
    assert plan.coordinator is not None
    headers = _bearer(plan.coordinator.username)
    url = f"/api/v1/plans/{plan.pk}"
    status, before = _count(client, url, **headers)
    assert status == 200
    # The bearer token (1), the plan with its needs, goals, interventions, participants,
    # meetings and invitations, follow-ups and goal results, deviations and versions (1), the
    # audit row (1), the consents with their organisations' ids (1).
    assert before == 4
    _grow(plan)
    status, after = _count(client, url, **headers)
    assert (status, after) == (200, before)


def test_a_participants_read_asks_for_its_consent_once(client: Client) -> None:
    plan = _ove_plan()
    username, unit_id = _reader_without_plan_content(plan)
    headers = {**_bearer(username), "X-Samplan-Unit": str(unit_id)}
    url = f"/fhir/CarePlan/{plan.pk}"
    status, before = _count(client, url, **headers)
    assert status == 200
    # The consent's kinds for the reader's organisation: one query more at most.
    assert before <= FHIR_READ_QUERIES + 1
    _grow(plan)
    assert _count(client, url, **headers) == (200, before)


def test_a_bearer_token_and_its_memberships_cost_one_query(client: Client) -> None:
    plan = _ove_plan()
    assert plan.coordinator is not None
    headers = _bearer(plan.coordinator.username)
    client.get("/api/v1/worklist", headers=headers)
    with CaptureQueriesContext(connection) as ctx:
        client.get(f"/fhir/CarePlan/{plan.pk}", headers=headers)
    first = ctx.captured_queries[0]["sql"]
    assert "directory_membership" in first
    assert "accounts_apitoken" in first
    assert not any("accounts_apitoken" in q["sql"] for q in ctx.captured_queries[1:])


def _grow_page(plan: Plan) -> None:
    """What only the page shows, more of it: meetings with invitations, follow-ups,
    deviations; and the plan's events grow with every change above."""
    from samplan.plans.models import Deviation, FollowUp, Invitation, Meeting, MeetingMode

    coordinator = plan.coordinator
    assert coordinator is not None
    from samplan.agreements.models import ResponsibilityDispute

    units = list(plan.participants.values_list("unit", flat=True))
    for i in range(5):
        start = timezone.now() + timedelta(days=30 + i)
        meeting = Meeting.objects.create(
            plan=plan,
            starts_at=start,
            ends_at=start,
            mode=MeetingMode.values[0],
            uid=f"queries-{plan.pk}-{i}@samplan.test",
            organiser=coordinator,
        )
        for unit in units:
            Invitation.objects.create(meeting=meeting, unit_id=unit)
        FollowUp.objects.create(plan=plan, due_date=start.date(), what=f"Uppföljning {i}")
        Deviation.objects.create(
            plan=plan,
            kind=Deviation._meta.get_field("kind").choices[0][0],  # type: ignore[index]
            description=f"Avvikelse {i}",
            reported_by=coordinator,
            reported_unit=plan.initiating_unit,
            addressed_to=plan.initiating_unit.organisation,
        )
        dispute = ResponsibilityDispute.objects.create(
            plan=plan,
            subject=f"Oenighet {i}",
            recorded_by=coordinator,
            recorded_unit=plan.initiating_unit,
            resolved_at=timezone.now() if i % 2 else None,
        )
        dispute.units.set(units[:2])


def test_plan_page_costs_the_same_however_much_the_plan_holds(
    login: Callable[[str], Client],
) -> None:
    plan = _ove_plan()
    assert plan.coordinator is not None
    client = login(plan.coordinator.username)
    url = f"/plans/{plan.pk}/"
    status, before = _count(client, url)
    assert status == 200
    _grow(plan)
    _grow_page(plan)
    status, after = _count(client, url)
    assert (status, after) == (200, before)
    assert before == PLAN_PAGE_QUERIES <= 15


def test_the_needs_and_goals_in_the_plans_row_are_what_the_orm_gives() -> None:
    """The plan read folds the needs and goals into the plan's row: the same instances, field
    by field and type by type, in the same order, as a query of their own would give."""
    from samplan.authz import access
    from samplan.authz.actor import Actor

    plan = _ove_plan()
    assert plan.coordinator is not None
    _grow(plan)
    Goal.objects.filter(plan=plan).update(target_date=timezone.localdate() + timedelta(days=90))
    Goal.objects.create(plan=plan, shared_goal="Utan datum", person_words="Mina ord", order=0)
    Need.objects.create(plan=plan, kind=NeedKind.values[-1], description="Först", icf_code="d240")
    actor = Actor.for_user(plan.coordinator)
    read = access.access_plan_read(actor=actor, plan_id=plan.pk).plan
    for name, model in (("needs", Need), ("goals", Goal)):
        expected = list(model._default_manager.filter(plan=plan))
        with CaptureQueriesContext(connection) as ctx:
            got = list(getattr(read, name).all())
            assert all(item.plan is read for item in got)
        assert ctx.captured_queries == []
        assert len(got) == len(expected) > 12
        fields = [f.attname for f in model._meta.concrete_fields]
        assert [[(getattr(o, f), type(getattr(o, f))) for f in fields] for o in got] == [
            [(getattr(o, f), type(getattr(o, f))) for f in fields] for o in expected
        ]
