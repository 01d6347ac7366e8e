"""The figures' facts per organisation, kind of row and day, month, quarter and year, kept
exact (docs/statistics.md "Speed").

A period is cut into the fewest stored spans (whole years, then whole quarters, whole months
and days at its edges), read in one query, plus live reads (facts.rows with the policy's
scope) for the months a change not yet refreshed may touch. Changes are read from the plan
events, the outbox every plan service writes in the same transaction as its change
(subscriptions read them the same way): the months a changed plan may touch are the span of
its rows' months for the organisations taking part, before the change (its stored
footprint) and after it (its rows now). The page treats those months as stale and counts
them live, so it is exact before `refresh` has run; `refresh` counts their days and months
again, sums their quarters and years again from the stored months, and moves the cursor on;
`rebuild` counts everything, each kind of row read once in the order of its dates.
"""

from __future__ import annotations

import time as clock
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import orjson
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from samplan.directory.models import Organisation
from samplan.plans.models import PlanEvent
from samplan.statistics.facts import (
    COUNTERS_OF,
    SOURCES,
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
from samplan.statistics.models import PlanFootprint, RefreshCursor, Span, StoredFacts
from samplan.statistics.scope import Scope

# Events younger than this are read again on the next refresh: an event's id is handed out
# when it is inserted, not when it is committed (samplan/subscriptions/fanout.py).
SETTLE = timedelta(seconds=60)
BATCH = 5000


def _ranges(months: Iterable[int]) -> list[tuple[date, date]]:
    """Months as inclusive date ranges, neighbours merged."""
    out: list[tuple[date, date]] = []
    for m in sorted(set(months)):
        if out and out[-1][1] == month_start(m) - timedelta(days=1):
            out[-1] = (out[-1][0], month_end(m))
        else:
            out.append((month_start(m), month_end(m)))
    return out


@dataclass(frozen=True)
class Footprint:
    organisations: frozenset[int]
    first: int
    last: int


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


# Spans ----------------------------------------------------------------------------------


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def whole_week_in_a_month(monday: date) -> bool:
    return (monday + timedelta(days=6)).month == monday.month


def span_end(span: str, start: date) -> date:
    if span == Span.DAY:
        return start
    if span == Span.WEEK:
        return start + timedelta(days=6)
    if span == Span.MONTH:
        return month_end(month_index(start))
    if span == Span.QUARTER:
        return month_end(month_index(start) + 2)
    return date(start.year, 12, 31)


def pieces(
    first: date, last: date, stale: set[int]
) -> tuple[list[tuple[str, date]], list[tuple[date, date]]]:
    """The period [first, last] as the fewest stored spans (whole years, quarters, months,
    weeks inside a month, then days) none of whose months is stale, and the stale rest as
    merged date ranges."""
    stored: list[tuple[str, date]] = []
    live: list[tuple[date, date]] = []
    day = first
    while day <= last:
        m = month_index(day)
        if m in stale:
            end = min(month_end(m), last)
            if live and live[-1][1] == day - timedelta(days=1):
                live[-1] = (live[-1][0], end)
            else:
                live.append((day, end))
            day = end + timedelta(days=1)
            continue
        for span, starts in (
            (Span.YEAR, day.month == 1 and day.day == 1),
            (Span.QUARTER, day.day == 1 and day == quarter_start(day)),
            (Span.MONTH, day.day == 1),
            (Span.WEEK, day.weekday() == 0 and whole_week_in_a_month(day)),
            (Span.DAY, True),
        ):
            end = span_end(span, day)
            if starts and end <= last and not stale.intersection(range(m, month_index(end) + 1)):
                stored.append((span, day))
                day = end + timedelta(days=1)
                break
    return stored, live


def _stored_q(organisation: int, wanted: list[tuple[str, date]]) -> Q:
    by_span: dict[str, list[date]] = defaultdict(list)
    for span, start in wanted:
        by_span[span].append(start)
    q = Q(pk__in=[])
    for span, starts in by_span.items():
        q |= Q(span=span, start__in=starts)
    return Q(organisation_id=organisation) & q


def period_facts(scope: Scope, sources: tuple[str, ...] = SOURCES) -> Facts:
    """The facts of the scope's period (without the organisation filter, applied when the
    tables are rendered) from these kinds of rows: stored spans where fresh, stale months
    live. One query for the stored ones, whatever the period."""
    facts = Facts()
    position = RefreshCursor.objects.values_list("position", flat=True).first()
    if position is None:  # never built: all live
        wanted: list[tuple[str, date]] = []
        ranges = [(scope.period_from, scope.period_to)]
    else:
        stale: set[int] = set()
        pending = _pending_plans(position)
        if pending:
            stale = {
                month for month, orgs in _stale(pending).items() if scope.organisation_id in orgs
            }
        wanted, ranges = pieces(scope.period_from, scope.period_to, stale)
    if wanted:
        found = (
            StoredFacts.objects.filter(_stored_q(scope.organisation_id, wanted))
            .filter(source__in=sources)
            .order_by("source", "start", "span")
            .values_list("data", flat=True)
        )
        for data in found:
            facts.merge_json(orjson.loads(data))
    if ranges:
        where = Where(
            plan=scope.plan_q,
            unit_organisation=scope.organisation_id,
            ranges=tuple(ranges),
            sources=sources,
        )
        for row in rows(where):
            add_row(facts, row)
    return facts


# Writing ---------------------------------------------------------------------------------

Stored = tuple[int, str, date, str, bytes]  # organisation, span, start, source, data


def _encoded(facts: Facts, source: str, start: date) -> bytes | None:
    """A span's facts of one kind of row. A revision whose previous revision lies on or
    after the span's start is left out: no period the span lies in counts it."""
    data = facts.as_json(COUNTERS_OF.get(source, (source,)))
    if source == "revisions" and data:
        first = start.isoformat()
        kept = [item for item in data["revisions"] if item[0][1] is None or item[0][1] < first]
        data = {"revisions": kept} if kept else {}
    return orjson.dumps(data) if data else None


def _insert(found: list[Stored]) -> int:
    """Insert stored facts: COPY on PostgreSQL."""
    if not found:
        return 0
    if connection.vendor == "postgresql":
        table = StoredFacts._meta.db_table
        with (
            connection.cursor() as cursor,
            cursor.copy(
                f"COPY {table} (organisation_id, span, start, source, data) FROM STDIN"
            ) as copy,
        ):
            for item in found:
                copy.write_row(item)
    else:
        StoredFacts.objects.bulk_create(
            [
                StoredFacts(organisation_id=o, span=s, start=d, source=k, data=b)
                for o, s, d, k, b in found
            ],
            batch_size=500,
        )
    return len(found)


class _Writer:
    def __init__(self) -> None:
        self.pending: list[Stored] = []
        self.written = 0

    def add(self, organisation: int, span: str, start: date, source: str, facts: Facts) -> None:
        data = _encoded(facts, source, start)
        if data is not None:
            self.pending.append((organisation, span, start, source, data))
            if len(self.pending) >= 5000:
                self.flush()

    def flush(self) -> None:
        self.written += _insert(self.pending)
        self.pending = []


def _start_of(span: str, day: date) -> date:
    if span == Span.DAY:
        return day
    if span == Span.WEEK:
        return week_start(day)
    if span == Span.MONTH:
        return day.replace(day=1)
    if span == Span.QUARTER:
        return quarter_start(day)
    return date(day.year, 1, 1)


LEVELS = (Span.DAY, Span.MONTH, Span.QUARTER, Span.YEAR)


class _Rollup:
    """One kind of row, in the order of its dates, counted per organisation and day; each
    span written when the rows pass its end and summed into the span above it."""

    def __init__(self, source: str, writer: _Writer) -> None:
        self.source = source
        self.writer = writer
        self.starts: dict[str, date | None] = dict.fromkeys(LEVELS)
        self.buckets: dict[str, dict[int, Facts]] = {span: {} for span in LEVELS}
        # Weeks beside the levels: a whole week inside one month, summed from its days.
        self.week: date | None = None
        self.weeks: dict[int, Facts] = defaultdict(Facts)

    def day(self, organisation: int) -> Facts:
        found = self.buckets[Span.DAY].get(organisation)
        if found is None:
            found = self.buckets[Span.DAY][organisation] = Facts()
        return found

    def _close_week(self, day: date | None) -> None:
        monday = None if day is None else week_start(day)
        if self.week is not None and monday != self.week:
            if whole_week_in_a_month(self.week):
                for organisation, facts in self.weeks.items():
                    self.writer.add(organisation, Span.WEEK, self.week, self.source, facts)
            self.weeks = defaultdict(Facts)
        self.week = monday

    def move_to(self, day: date | None) -> None:
        """Close every span that `day` (None: the end) is not in."""
        if self.starts[Span.DAY] is not None and self.starts[Span.DAY] != day:
            for organisation, facts in self.buckets[Span.DAY].items():
                self.weeks[organisation].merge(facts)  # a copy: the month may take `facts`
        self._close_week(day)
        for i, span in enumerate(LEVELS):
            start = self.starts[span]
            if start is not None and day is not None and _start_of(span, day) == start:
                break
            if start is not None:
                above = LEVELS[i + 1] if i + 1 < len(LEVELS) else None
                for organisation, facts in self.buckets[span].items():
                    self.writer.add(organisation, span, start, self.source, facts)
                    if above is not None:
                        target = self.buckets[above].get(organisation)
                        if target is None:
                            self.buckets[above][organisation] = facts
                        else:
                            target.merge(facts)
                self.buckets[span] = {}
            self.starts[span] = None if day is None else _start_of(span, day)


def _write_footprints(prints: dict[int, Footprint]) -> None:
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
        batch_size=5000,
    )


@dataclass
class Refreshed:
    events: int = 0
    plans: int = 0
    months: int = 0  # (organisation, month) facts counted again


def _by_org(pairs: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    months: dict[int, list[int]] = defaultdict(list)
    for org, month in sorted(pairs):
        months[org].append(month)
    return months


def _sum_spans(organisation: int, span: str, below: str, starts: set[date], w: _Writer) -> None:
    """Sum the stored spans `below` into the spans `span` starting at `starts`."""
    q = Q(pk__in=[])
    for start in starts:
        q |= Q(start__gte=start, start__lte=span_end(span, start))
    sums: dict[tuple[date, str], Facts] = defaultdict(Facts)
    found = StoredFacts.objects.filter(q, organisation_id=organisation, span=below).values_list(
        "start", "source", "data"
    )
    for start, source, data in found:
        sums[(_start_of(span, start), source)].merge_json(orjson.loads(data))
    StoredFacts.objects.filter(organisation_id=organisation, span=span, start__in=starts).delete()
    for (start, source), facts in sorted(sums.items()):
        w.add(organisation, span, start, source, facts)
    w.flush()


def _weeks_in(months: Iterable[int]) -> set[date]:
    """The Mondays of the whole weeks inside these months."""
    found = set()
    for m in months:
        day = week_start(month_start(m))
        while day <= month_end(m):
            if day >= month_start(m) and whole_week_in_a_month(day):
                found.add(day)
            day += timedelta(days=7)
    return found


def _recount(pairs: set[tuple[int, int]]) -> None:
    """Count again the days and months of these (organisation, month) pairs, then sum their
    quarters and years again from the stored months."""
    if not pairs:
        return
    months = {m for _org, m in pairs}
    by_day: dict[tuple[int, date], Facts] = defaultdict(Facts)
    by_month: dict[tuple[int, int], Facts] = defaultdict(Facts)
    collected_rows = list(rows(Where(plan=everything, ranges=tuple(_ranges(months)))))
    orgs_of = plan_organisations({row.plan for row in collected_rows}) if collected_rows else {}
    for row in collected_rows:
        for org in _targets(row, orgs_of):
            if (org, row.month) in pairs:
                add_row(by_day[(org, row.day)], row)
                add_row(by_month[(org, row.month)], row)
    w = _Writer()
    for org, org_months in _by_org(pairs).items():
        q = Q(pk__in=[])
        for first, last in _ranges(org_months):
            q |= Q(start__gte=first, start__lte=last)
        StoredFacts.objects.filter(q, organisation_id=org, span__in=[Span.DAY, Span.MONTH]).delete()
    for (org, day), facts in by_day.items():
        for source in SOURCES:
            w.add(org, Span.DAY, day, source, facts)
    for (org, month), facts in by_month.items():
        for source in SOURCES:
            w.add(org, Span.MONTH, month_start(month), source, facts)
    w.flush()
    for org, org_months in _by_org(pairs).items():
        _sum_spans(org, Span.WEEK, Span.DAY, _weeks_in(org_months), w)
        quarters = {quarter_start(month_start(m)) for m in org_months}
        _sum_spans(org, Span.QUARTER, Span.MONTH, quarters, w)
        _sum_spans(org, Span.YEAR, Span.QUARTER, {date(q.year, 1, 1) for q in quarters}, w)


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
        _recount(pairs)
        result.months = len(pairs)
        PlanFootprint.objects.filter(plan_id__in=sorted(plans)).delete()
        _write_footprints(current)
        settled = cursor.position
        for pk, _plan, at in events:
            if at > moment - SETTLE:
                break
            settled = pk
        cursor.position = settled
        cursor.save(update_fields=["position"])
        result.events, result.plans = len(events), len(plans)
    return result


def _counted(
    source: str, orgs_of: dict[int, set[int]], w: _Writer, spans: dict[int, list[Any]]
) -> Iterator[int]:
    """Every row of one kind, in the order of its dates, rolled up per organisation; the
    plans' footprints gathered into `spans` (plan -> [organisations, first, last])."""
    rollup = _Rollup(source, w)
    current: date | None = None
    n = 0
    for row in rows(Where(plan=everything, sources=(source,), ordered=True)):
        if row.day != current:
            rollup.move_to(row.day)
            current = row.day
        targets = _targets(row, orgs_of)
        for org in targets:
            add_row(rollup.day(org), row)
        month = row.month
        found = spans.get(row.plan)
        if found is None:
            spans[row.plan] = [set(targets), month, month]
        else:
            found[0] |= targets
            found[1], found[2] = min(found[1], month), max(found[2], month)
        n += 1
        if n % 500_000 == 0:
            yield n
    rollup.move_to(None)
    yield n


def rebuild(*, progress: Callable[[str], None] | None = None) -> dict[str, float]:
    """Count every organisation's every day again, each kind of row read once in the order
    of its dates and summed into months, quarters and years as it goes; the plans'
    footprints with them; the cursor at the last event before."""
    started = clock.monotonic()
    w = _Writer()
    with transaction.atomic():
        position = PlanEvent.objects.aggregate(last=Max("pk"))["last"] or 0
        StoredFacts.objects.all().delete()
        PlanFootprint.objects.all().delete()
        RefreshCursor.objects.all().delete()
        orgs_of = plan_organisations()
        spans: dict[int, list[Any]] = {}
        for source in SOURCES:
            for n in _counted(source, orgs_of, w, spans):
                if progress is not None:
                    progress(
                        f"{source}: {n} rows, {w.written} stored, "
                        f"{clock.monotonic() - started:.1f} s"
                    )
        w.flush()
        _write_footprints(
            {plan: Footprint(frozenset(orgs), a, b) for plan, (orgs, a, b) in spans.items()}
        )
        RefreshCursor.objects.create(position=position)
    return {
        "stored": w.written,
        "plans": len(spans),
        "seconds": round(clock.monotonic() - started, 1),
    }
