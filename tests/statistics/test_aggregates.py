"""The pre-computed facts (samplan/statistics/aggregates.py: per day, month, quarter and
year) give exactly the tables of the live computation: after a rebuild, for calendar years
and quarters, periods starting and ending mid-month (across a new year) and inside a month,
with and without the organisation filter, for the own and another organisation's manager;
after a change through a plan service both before the refresh (the touched months read live,
inside stored years and at edge days) and after it; and a rebuild from empty stores what the
incremental refresh stored."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from django.utils import timezone

from samplan.authz import policy
from samplan.authz.actor import Actor
from samplan.demo import generate as gen
from samplan.directory.models import Membership, Organisation, OrganisationKind
from samplan.plans import services
from samplan.plans.models import ClosureReason, FollowUp, Plan, PlanState
from samplan.statistics import aggregates
from samplan.statistics.compute import compute, render
from samplan.statistics.facts import Facts, Where, add_row, month_index, plan_organisations, rows
from samplan.statistics.models import RefreshCursor, Span, StoredFacts
from samplan.statistics.protection import Protection
from samplan.statistics.scope import Scope

pytestmark = pytest.mark.django_db

COUNTS = gen.Counts(
    municipalities=2,
    units=16,
    staff=40,
    persons=200,
    plans=300,
    versions=500,
    audit_events=200,
)


@pytest.fixture
def world() -> None:
    gen.generate(factor=1.0, seed=7, mode="reset", until=timezone.localdate(), counts=COUNTS)


def live(scope: Scope) -> Any:
    """The figures read row by row for the whole period, nothing stored."""
    facts = Facts()
    where = Where(
        plan=scope.plan_q,
        unit_organisation=scope.organisation_id,
        ranges=((scope.period_from, scope.period_to),),
    )
    for row in rows(where):
        add_row(facts, row)
    return render(scope, facts)


def scopes() -> list[Scope]:
    today = timezone.localdate()
    region = Organisation.objects.get(kind=OrganisationKind.REGION)
    municipality = Organisation.objects.filter(kind=OrganisationKind.MUNICIPALITY).first()
    assert municipality is not None
    year_start = date(today.year - 1, 1, 1)
    periods = [
        (year_start, date(today.year - 1, 12, 31)),  # a calendar year: whole months
        (date(today.year - 1, 4, 1), date(today.year - 1, 6, 30)),  # a quarter
        (today - timedelta(days=400), today),  # partial months at both ends
        (date(today.year - 1, 3, 5), date(today.year - 1, 3, 20)),  # inside one month
        (date(today.year - 2, 11, 17), date(today.year - 1, 2, 9)),  # mid-month, a new year
        (today - timedelta(days=3), today),  # days only
    ]
    plan = [  # (manager, period, organisation filter): each case once, to keep it short
        (region, periods[0], None),
        (region, periods[1], municipality.pk),
        (region, periods[2], None),
        (region, periods[3], municipality.pk),
        (municipality, periods[0], region.pk),
        (municipality, periods[2], None),
        (region, periods[4], None),
        (municipality, periods[4], municipality.pk),
        (region, periods[5], None),
    ]
    return [
        Scope(
            organisation_id=manager.pk,
            period_from=first,
            period_to=last,
            protection=Protection(5),
            today=today,
            filter_organisation_id=filtered,
        )
        for manager, (first, last), filtered in plan
    ]


def assert_same(all_scopes: list[Scope]) -> list[Any]:
    found = []
    for scope in all_scopes:
        stored, expected = compute(scope), live(scope)
        assert stored.tables == expected.tables, scope
        assert stored.back_and_forth == expected.back_and_forth, scope
        found.append(stored.tables)
    return found


def comparable(facts: Facts) -> Any:
    return facts.counters, sorted(facts.declines.distinct().items())


def stored_facts() -> dict[tuple[int, str, date, str], Any]:
    return {
        (org, span, start, source): comparable(Facts.from_json(orjson.loads(data)))
        for org, span, start, source, data in StoredFacts.objects.values_list(
            "organisation_id", "span", "start", "source", "data"
        )
    }


def member_of(plan: Plan) -> Actor:
    membership = Membership.objects.filter(unit=plan.initiating_unit, is_active=True).first()
    assert membership is not None
    return Actor.for_user(membership.user, unit_id=plan.initiating_unit_id)


def test_the_stored_facts_give_the_live_tables_and_follow_changes(world: None) -> None:
    all_scopes = scopes()
    summary = aggregates.rebuild()
    assert summary["stored"] > 0
    before = assert_same(all_scopes)
    assert set(StoredFacts.objects.values_list("span", flat=True)) == set(Span)

    # Changes through the plan services: a plan closed, a follow-up recorded.
    plan = Plan.objects.filter(state=PlanState.ESTABLISHED).order_by("pk").first()
    assert plan is not None
    follow_up = (
        FollowUp.objects.filter(done_at__isnull=True, plan__state=PlanState.ESTABLISHED)
        .exclude(plan=plan)
        .order_by("pk")
        .first()
    )
    assert follow_up is not None
    services.plan_close(actor=member_of(plan), plan=plan, reason=ClosureReason.GOALS_REACHED)
    services.follow_up_record(
        actor=member_of(follow_up.plan),
        follow_up=follow_up,
        result="Målen nås.",
        attainment="achieved",
    )
    # Before the refresh: the touched months are read live, so the figures are exact.
    position = RefreshCursor.objects.get().position
    pending = aggregates._stale(aggregates._pending_plans(position))
    today = timezone.localdate()
    assert month_index(today) in pending  # a stale month holding the last days
    assert assert_same(all_scopes) != before  # the changes show
    # The refresh counts them again (the events are younger than SETTLE: it leaves the
    # cursor where it was and counts them again next time, harmlessly).
    done = aggregates.refresh(now=None)
    assert done.events >= 2
    assert done.months > 0
    RefreshCursor.objects.update(position=10**12)  # as if settled: nothing pending
    assert_same(all_scopes)
    incremental = stored_facts()
    aggregates.rebuild()
    rebuilt = stored_facts()
    assert rebuilt == incremental


def test_plan_organisations_is_the_inverse_of_the_policys_scope(world: None) -> None:
    orgs_of = plan_organisations()
    for organisation in Organisation.objects.all():
        in_scope = set(
            Plan.objects.filter(policy.statistics_plan_scope(organisation.pk)).values_list(
                "pk", flat=True
            )
        )
        assert in_scope == {p for p, orgs in orgs_of.items() if organisation.pk in orgs}
    assert any(len(orgs) > 1 for orgs in orgs_of.values())


def test_a_period_is_cut_into_the_fewest_stored_spans() -> None:
    y, q, m, w, d = Span.YEAR, Span.QUARTER, Span.MONTH, Span.WEEK, Span.DAY
    assert aggregates.pieces(date(2024, 1, 1), date(2024, 12, 31), set()) == (
        [(y, date(2024, 1, 1))],
        [],
    )
    # The last 365 days of 2 December 2026: weeks (Monday to Sunday) inside December, days
    # where a week would leave the month or the period.
    stored, live = aggregates.pieces(date(2025, 12, 2), date(2026, 12, 2), set())
    assert live == []
    assert stored == [
        *[(d, date(2025, 12, n)) for n in range(2, 8)],
        (w, date(2025, 12, 8)),
        (w, date(2025, 12, 15)),
        (w, date(2025, 12, 22)),
        *[(d, date(2025, 12, n)) for n in range(29, 32)],
        (q, date(2026, 1, 1)),
        (q, date(2026, 4, 1)),
        (q, date(2026, 7, 1)),
        (m, date(2026, 10, 1)),
        (m, date(2026, 11, 1)),
        (d, date(2026, 12, 1)),
        (d, date(2026, 12, 2)),
    ]
    stored, live = aggregates.pieces(date(2023, 12, 30), date(2025, 5, 2), set())
    assert live == []
    assert stored == [
        (d, date(2023, 12, 30)),
        (d, date(2023, 12, 31)),
        (y, date(2024, 1, 1)),
        (q, date(2025, 1, 1)),
        (m, date(2025, 4, 1)),
        (d, date(2025, 5, 1)),
        (d, date(2025, 5, 2)),
    ]
    # A stale month inside a year: the rest of the year from quarters and months.
    stored, live = aggregates.pieces(
        date(2024, 1, 1), date(2024, 12, 31), {month_index(date(2024, 5, 1))}
    )
    assert live == [(date(2024, 5, 1), date(2024, 5, 31))]
    assert stored == [
        (q, date(2024, 1, 1)),
        (m, date(2024, 4, 1)),
        (m, date(2024, 6, 1)),
        (q, date(2024, 7, 1)),
        (q, date(2024, 10, 1)),
    ]
    # Stale edge days: live within the period only.
    stored, live = aggregates.pieces(
        date(2024, 4, 20), date(2024, 6, 3), {month_index(date(2024, 4, 1))}
    )
    assert live == [(date(2024, 4, 20), date(2024, 4, 30))]
    assert stored == [
        (m, date(2024, 5, 1)),
        (d, date(2024, 6, 1)),
        (d, date(2024, 6, 2)),
        (d, date(2024, 6, 3)),
    ]
