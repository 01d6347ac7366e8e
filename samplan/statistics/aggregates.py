"""The figures' facts per organisation and month, kept exact (docs/statistics.md "Speed").

A period's facts are the stored months it covers whole, plus live reads (facts.rows with
the policy's scope) for its partial first and last months, for months never stored, and for
the months a change not yet refreshed may touch. Changes are read from the plan events, the
outbox every plan service writes in the same transaction as its change (subscriptions read
them the same way): the months a changed plan may touch are the span of its rows' months for
the organisations taking part, before the change (its stored footprint) and after it (its
rows now). The page treats those months as stale and counts them live, so it is exact
before `refresh` has run; `refresh` counts them again and moves the cursor on; `rebuild`
counts everything, a year of months at a time.
"""

from __future__ import annotations

import time as clock
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from samplan.directory.models import Organisation
from samplan.plans.models import FollowUp, Meeting, Plan, PlanEvent
from samplan.statistics.facts import (
    Facts,
    Row,
    Where,
    add_row,
    everything,
    month_end,
    month_index,
    month_start,
    plan_organisations,
    rows,
    some_plans,
)
from samplan.statistics.models import MonthFacts, PlanFootprint, RefreshCursor
from samplan.statistics.scope import Scope

# Events younger than this are read again on the next refresh: an event's id is handed out
# when it is inserted, not when it is committed (samplan/subscriptions/fanout.py).
SETTLE = timedelta(seconds=60)
BATCH = 5000


@dataclass(frozen=True)
class Footprint:
    organisations: frozenset[int]
    first: int
    last: int


def _ranges(months: Iterable[int]) -> list[tuple[date, date]]:
    """Months as inclusive date ranges, neighbours merged."""
    out: list[tuple[date, date]] = []
    for m in sorted(set(months)):
        if out and out[-1][1] == month_start(m) - timedelta(days=1):
            out[-1] = (out[-1][0], month_end(m))
        else:
            out.append((month_start(m), month_end(m)))
    return out


def _targets(row: Row, orgs_of: dict[int, set[int]]) -> set[int]:
    found = orgs_of.get(row.plan, set())
    if row.unit_org is not None and row.unit_org not in found:
        return found | {row.unit_org}
    return found


def footprints_now(plan_ids: Iterable[int]) -> dict[int, Footprint]:
    """Where these plans' rows are counted now: one read of each kind of row."""
    ids = set(plan_ids)
    orgs_of = plan_organisations(ids)
    span: dict[int, list[int]] = {}
    extra: dict[int, set[int]] = defaultdict(set)
    for row in rows(Where(plan=some_plans(ids))):
        found = span.get(row.plan)
        if found is None:
            span[row.plan] = [row.month, row.month]
        else:
            found[0], found[1] = min(found[0], row.month), max(found[1], row.month)
        if row.unit_org is not None:
            extra[row.plan].add(row.unit_org)
    return {
        plan: Footprint(frozenset(orgs_of.get(plan, set()) | extra[plan]), first, last)
        for plan, (first, last) in span.items()
    }


def footprints_stored(plan_ids: Iterable[int]) -> dict[int, Footprint]:
    return {
        plan: Footprint(frozenset(orgs), first, last)
        for plan, orgs, first, last in PlanFootprint.objects.filter(
            plan_id__in=sorted(set(plan_ids))
        ).values_list("plan_id", "organisations", "first_month", "last_month")
    }


def _stale(plan_ids: set[int], now: dict[int, Footprint] | None = None) -> dict[int, set[int]]:
    """Month -> the organisations whose facts of that month these plans' changes may touch."""
    before = footprints_stored(plan_ids)
    now = footprints_now(plan_ids) if now is None else now
    stale: dict[int, set[int]] = defaultdict(set)
    for plan in plan_ids:
        for footprint in (before.get(plan), now.get(plan)):
            if footprint is not None:
                for month in range(footprint.first, footprint.last + 1):
                    stale[month] |= footprint.organisations
    return stale


def _pending_plans(position: int) -> set[int]:
    return set(
        PlanEvent.objects.filter(pk__gt=position).values_list("plan_id", flat=True).distinct()
    )


def period_facts(scope: Scope) -> Facts:
    """The facts of the scope's period (without the organisation filter, applied when the
    tables are rendered): stored months where they are whole and fresh, the rest live."""
    first = month_index(scope.period_from) + (scope.period_from.day != 1)
    last = month_index(scope.period_to) - (
        scope.period_to != month_end(month_index(scope.period_to))
    )
    facts = Facts()
    stored: dict[int, Any] = {}
    stale: set[int] = set()
    position = RefreshCursor.objects.values_list("position", flat=True).first()
    if first <= last and position is not None:
        pending = _pending_plans(position)
        if pending:
            stale = {
                month for month, orgs in _stale(pending).items() if scope.organisation_id in orgs
            }
        stored = {
            month_index(month): data
            for month, data in MonthFacts.objects.filter(
                organisation_id=scope.organisation_id,
                month__gte=month_start(first),
                month__lte=month_start(last),
            ).values_list("month", "data")
            if month_index(month) not in stale
        }
    for data in stored.values():
        facts.merge_json(data)
    if first > last:  # no whole month: all live
        ranges = [(scope.period_from, scope.period_to)]
    else:
        ranges = _ranges(m for m in range(first, last + 1) if m not in stored)
        if scope.period_from < month_start(first):
            ranges.append((scope.period_from, month_start(first) - timedelta(days=1)))
        if scope.period_to > month_end(last):
            ranges.append((month_start(last + 1), scope.period_to))
    if ranges:
        where = Where(
            plan=scope.plan_q, unit_organisation=scope.organisation_id, ranges=tuple(ranges)
        )
        for row in rows(where):
            add_row(facts, row)
    return facts


def _count(
    months: Iterable[int], wanted: Callable[[int, int], bool] | None
) -> tuple[dict[tuple[int, int], Facts], dict[int, Footprint]]:
    """Every row of these months, counted for each organisation taking part in its plan (and
    an invitation for the invited unit's organisation), where `wanted(org, month)`."""
    collected = list(rows(Where(plan=everything, ranges=tuple(_ranges(months)))))
    orgs_of = plan_organisations({row.plan for row in collected}) if collected else {}
    buckets: dict[tuple[int, int], Facts] = defaultdict(Facts)
    reached: dict[int, set[int]] = defaultdict(set)
    spans: dict[int, tuple[int, int]] = {}
    for row in collected:
        targets = _targets(row, orgs_of)
        for org in targets:
            if wanted is None or wanted(org, row.month):
                add_row(buckets[(org, row.month)], row)
        reached[row.plan] |= targets
        a, b = spans.get(row.plan, (row.month, row.month))
        spans[row.plan] = (min(a, row.month), max(b, row.month))
    prints = {plan: Footprint(frozenset(reached[plan]), a, b) for plan, (a, b) in spans.items()}
    return buckets, prints


def _write(pairs: Iterable[tuple[int, int]], buckets: dict[tuple[int, int], Facts]) -> int:
    objects = [
        MonthFacts(
            organisation_id=org,
            month=month_start(month),
            data=buckets[(org, month)].as_json() if (org, month) in buckets else {},
        )
        for org, month in pairs
    ]
    MonthFacts.objects.bulk_create(
        objects,
        batch_size=200,
        update_conflicts=True,
        unique_fields=["organisation", "month"],
        update_fields=["data", "computed_at"],
    )
    return len(objects)


@dataclass
class Refreshed:
    events: int = 0
    plans: int = 0
    months: int = 0  # (organisation, month) facts counted again


def refresh(*, now: object = None, batch: int = BATCH) -> Refreshed:
    """Count again the months the plan events after the cursor may have touched, store the
    plans' footprints and move the cursor past the settled events. Nothing before a
    rebuild."""
    result = Refreshed()
    moment = timezone.now()
    with transaction.atomic():
        cursor = RefreshCursor.objects.select_for_update().first()
        if cursor is None:
            return result
        events = list(
            PlanEvent.objects.filter(pk__gt=cursor.position)
            .order_by("pk")
            .values_list("pk", "plan_id", "at")[:batch]
        )
        if not events:
            return result
        plans = {plan for _pk, plan, _at in events}
        organisations = set(Organisation.objects.values_list("pk", flat=True))
        current = footprints_now(plans)
        stale = _stale(plans, current)
        pairs = {(org, m) for m, orgs in stale.items() for org in orgs if org in organisations}
        buckets, _prints = _count(stale, lambda org, m: (org, m) in pairs)
        result.months = _write(sorted(pairs), buckets)
        PlanFootprint.objects.filter(plan_id__in=sorted(plans)).delete()
        PlanFootprint.objects.bulk_create(
            [
                PlanFootprint(
                    plan_id=plan,
                    organisations=sorted(f.organisations),
                    first_month=f.first,
                    last_month=f.last,
                )
                for plan, f in current.items()
            ],
            batch_size=1000,
        )
        settled = cursor.position
        for pk, _plan, at in events:
            if at > moment - SETTLE:
                break
            settled = pk
        cursor.position = settled
        cursor.save(update_fields=["position"])
        result.events, result.plans = len(events), len(plans)
    return result


def _span() -> tuple[int, int] | None:
    """The months the world's rows fall in (follow-ups may be due, meetings booked, ahead)."""
    first = Plan.objects.aggregate(first=Min("initiated_on"))["first"]
    if first is None:
        return None
    ends = [
        timezone.localdate(),
        FollowUp.objects.aggregate(last=Max("due_date"))["last"],
    ]
    last_meeting = Meeting.objects.aggregate(last=Max("starts_at"))["last"]
    if last_meeting is not None:
        ends.append(timezone.localtime(last_meeting).date())
    return month_index(first), month_index(max(d for d in ends if d is not None))


def rebuild(*, chunk: int = 12, progress: Callable[[str], None] | None = None) -> dict[str, float]:
    """Count every month of every organisation again, `chunk` months per read of each kind of
    row; the plans' footprints with them; the cursor at the last event before."""
    started = clock.monotonic()
    written = 0
    with transaction.atomic():
        position = PlanEvent.objects.aggregate(last=Max("pk"))["last"] or 0
        MonthFacts.objects.all().delete()
        PlanFootprint.objects.all().delete()
        RefreshCursor.objects.all().delete()
        span = _span()
        organisations = sorted(Organisation.objects.values_list("pk", flat=True))
        prints: dict[int, Footprint] = {}
        if span is not None:
            first, last = span
            for start in range(first, last + 1, chunk):
                months = range(start, min(start + chunk, last + 1))
                buckets, found = _count(months, None)
                for plan, f in found.items():
                    was = prints.get(plan)
                    if was is not None:
                        f = Footprint(was.organisations | f.organisations, was.first, f.last)
                    prints[plan] = f
                written += _write([(org, m) for org in organisations for m in months], buckets)
                if progress is not None:
                    progress(
                        f"{month_start(months[-1]):%Y-%m} of {month_start(last):%Y-%m}: "
                        f"{written} months counted, {clock.monotonic() - started:.1f} s"
                    )
        PlanFootprint.objects.bulk_create(
            [
                PlanFootprint(
                    plan_id=plan,
                    organisations=sorted(f.organisations),
                    first_month=f.first,
                    last_month=f.last,
                )
                for plan, f in prints.items()
            ],
            batch_size=2000,
        )
        RefreshCursor.objects.create(position=position)
    return {
        "months": written,
        "plans": len(prints),
        "seconds": round(clock.monotonic() - started, 1),
    }
