"""The figures' facts: additive counters that every table is rendered from (render.py).

Each figure's rows are read once, as plain rows (one per initiative, follow-up, version,
invitation...), each with its plan and the month it falls in (local time), and counted under
a key that holds everything a table shows about it: organisation ids, states, and for what
is judged "as of today" the date it depends on (a follow-up's due date, a meeting deadline, a
deviation's report date), so that nothing here depends on today. Counters of disjoint
periods therefore add up exactly, durations included (they are counted per number of days,
so medians and percentiles come out the same). What counts distinct plans over a period (a
plan revised, sent back and forth) is keyed so that the sum stays exact: a revision by the
date of the plan's revision before it, a decline by its plan and unit, a change of lead by
its plan (only the second and later changes, which are what the figure looks for).

The same rows serve three callers: the live figures of one scope (the policy's filter, one
organisation), the monthly counters of every organisation (aggregates.py, each row given to
the organisations that take part in its plan: plan_organisations), and the months a plan's
rows fall in (its footprint, for the refresh).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from operator import itemgetter
from typing import Any

from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from samplan.plans.models import (
    Deviation,
    FollowUp,
    Invitation,
    InvitationAnswer,
    Meeting,
    Participant,
    Plan,
    PlanEvent,
    PlanVersion,
)
from samplan.statistics.scope import local_date, local_zone

Key = tuple[Any, ...]
Counts = list[int]
# The kinds of rows (rows()), each read by one query.
SOURCES = (
    "initiatives",
    "follow_ups",
    "goals",
    "revisions",
    "closures",
    "deviations",
    "invitations",
    "declined_units",
    "lead_changes",
)
# An initiative is counted in one counter per table, each keyed only by what its table shows
# (a key of everything would make nearly every plan a key of its own).
INITIATIVE_COUNTERS = (
    "init_state",  # (organisation, unit, state)
    "init_by",  # (organisation, initiated by)
    "init_type",  # (organisation, plan type, need groups joined by "|")
    "init_meeting",  # (organisation, days to first meeting, met late, deadline if none held)
    "init_established",  # (organisation, days to the first established version)
)
# The counters each kind of row is counted in.
COUNTERS_OF = {
    "initiatives": INITIATIVE_COUNTERS,
    "invitations": ("attendance", "sip"),
}
# The kinds of facts, each a counter (key -> counts).
KINDS = (
    *INITIATIVE_COUNTERS,
    "follow_ups",
    "goals",
    "revisions",
    "closures",
    "deviations",
    "attendance",
    "sip",
    "lead_changes",
)
# Declines by a unit are not counted but listed (Declines): the page needs only which plans
# had two or more units decline, and a counter keyed by plan and unit, the largest of all,
# cost more to decode and merge than every other figure together at region scale.
DECLINES = "declined_units"


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def month_end(index: int) -> date:
    return month_start(index + 1) - timedelta(days=1)


@dataclass
class Declines:
    """Invitations a unit declined, as three columns: the plan, the unit and the plan's
    responsible organisation. Adding periods together is joining the columns; repeats are
    dropped when stored (as_json) and when the plans are counted (sent_back_and_forth)."""

    plans: list[int] = field(default_factory=list)
    units: list[int] = field(default_factory=list)
    orgs: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.plans)

    def add(self, plan: int, unit: int, org: int) -> None:
        self.plans.append(plan)
        self.units.append(unit)
        self.orgs.append(org)

    def extend(self, plans: list[int], units: list[int], orgs: list[int]) -> None:
        self.plans.extend(plans)
        self.units.extend(units)
        self.orgs.extend(orgs)

    def distinct(self) -> dict[tuple[int, int], int]:
        """(plan, unit) -> the plan's responsible organisation (the last one read)."""
        return dict(zip(zip(self.plans, self.units, strict=True), self.orgs, strict=True))

    def as_json(self) -> dict[str, list[int]]:
        found = self.distinct()
        return {
            "plan": [plan for plan, _unit in found],
            "unit": [unit for _plan, unit in found],
            "org": list(found.values()),
        }

    def sent_back_and_forth(self) -> tuple[set[int], dict[int, int]]:
        """The plans two or more units declined, and every plan's responsible organisation;
        counted without a Python step per invitation (C-level zip, dict and Counter)."""
        found = self.distinct()
        units_per_plan = Counter(map(itemgetter(0), found))
        return {plan for plan, n in units_per_plan.items() if n >= 2}, dict(
            zip(self.plans, self.orgs, strict=True)
        )


Encoded = dict[str, Any]  # kind -> [[key, counts], ...]; DECLINES -> three columns


@dataclass
class Facts:
    """Counters by kind, the declines, and the meetings already counted for the SIP-time
    figure."""

    counters: dict[str, dict[Key, Counts]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    declines: Declines = field(default_factory=Declines)
    seen: set[tuple[Any, ...]] = field(default_factory=set)

    def add(self, kind: str, key: Key, counts: Iterable[int]) -> None:
        counter = self.counters[kind]
        values = list(counts)
        found = counter.get(key)
        if found is None:
            counter[key] = values
        else:
            for i, n in enumerate(values):
                found[i] += n

    def merge(self, other: Facts) -> None:
        for kind, counter in other.counters.items():
            for key, counts in counter.items():
                self.add(kind, key, counts)
        d = other.declines
        self.declines.extend(d.plans, d.units, d.orgs)

    def as_json(self, kinds: Iterable[str] | None = None) -> Encoded:
        wanted = (*KINDS, DECLINES) if kinds is None else tuple(kinds)
        data: Encoded = {
            kind: [[list(key), counts] for key, counts in self.counters[kind].items()]
            for kind in wanted
            if kind != DECLINES and self.counters[kind]
        }
        if DECLINES in wanted and self.declines:
            data[DECLINES] = self.declines.as_json()
        return data

    @classmethod
    def from_json(cls, data: Encoded) -> Facts:
        facts = cls()
        facts.merge_json(data)
        return facts

    def merge_json(self, data: Encoded) -> None:
        for kind, items in data.items():
            if kind == DECLINES:
                self.declines.extend(items["plan"], items["unit"], items["org"])
                continue
            if not self.counters[kind]:  # the first: taken as it is
                self.counters[kind] = {tuple(key): counts for key, counts in items}
                continue
            counter = self.counters[kind]
            for key, counts in items:  # self.add inlined: the page's most frequent call
                k = tuple(key)
                found = counter.get(k)
                if found is None:
                    counter[k] = counts
                elif len(counts) == 1:
                    found[0] += counts[0]
                else:
                    for i, n in enumerate(counts):
                        found[i] += n


@dataclass(frozen=True)
class Row:
    """One counted thing: its kind, plan, month (month_index), key and counts. `unit_org`: for
    an invitation, the invited unit's organisation (which sees the invitation's figures even
    when it takes no part in the plan); `meeting`: an invitation's meeting."""

    kind: str
    plan: int
    day: date
    key: Key
    counts: tuple[int, ...]
    unit_org: int | None = None
    meeting: int | None = None

    @property
    def month(self) -> int:
        return month_index(self.day)


def add_row(facts: Facts, row: Row) -> None:
    """Count a row; an invitation also counts its meeting once per calling organisation
    and booking, overall and per invited organisation (the SIP-time figure counts meetings,
    and filtered on an organisation, the meetings with an invitation to it)."""
    if row.kind == "initiatives":
        org, unit, kind, state, by, groups, met, late, deadline, est = row.key
        facts.add("init_state", (org, unit, state), row.counts)
        facts.add("init_by", (org, by), row.counts)
        facts.add("init_type", (org, kind, groups), row.counts)
        facts.add("init_meeting", (org, met, late, deadline), row.counts)
        facts.add("init_established", (org, est), row.counts)
        return
    if row.kind == DECLINES:
        facts.declines.add(*row.key)
        return
    if row.kind != "invitations":
        facts.add(row.kind, row.key, row.counts)
        return
    facts.add("attendance", row.key[:5], row.counts)
    calling, invited, booked = row.key[0], row.key[1], row.key[5]
    attended = row.counts[5]
    if (row.meeting,) not in facts.seen:
        facts.seen.add((row.meeting,))
        facts.add("sip", (calling, booked, None), (1, 0, 0))
    first_to_invited = (row.meeting, invited) not in facts.seen
    if first_to_invited:
        facts.seen.add((row.meeting, invited))
    facts.add("sip", (calling, booked, invited), (int(first_to_invited), 1, attended))


@dataclass(frozen=True)
class Where:
    """Which rows to read. `plan(prefix)`: a filter on the plan a row hangs from (the policy's
    scope, some plan ids, or everything); `unit_organisation`: invitations to this
    organisation's units count too (the scope of seed 004's table); `ranges`: inclusive local
    date ranges (None: all time)."""

    plan: Callable[[str], Q]
    unit_organisation: int | None = None
    ranges: tuple[tuple[date, date], ...] | None = None
    sources: tuple[str, ...] = SOURCES  # the kinds of rows to read
    ordered: bool = False  # each kind's rows in the order of their dates

    def order(self, found: Any, name: str) -> Any:
        return found.order_by(name) if self.ordered else found

    def dates(self, name: str) -> Q:
        """A date field within the ranges."""
        return self._within(name, lambda d: d, lambda d: d + timedelta(days=1))

    def moments(self, name: str) -> Q:
        """A datetime field within the ranges (local days)."""
        zone = local_zone()
        return self._within(
            name,
            lambda d: datetime.combine(d, time.min, tzinfo=zone),
            lambda d: datetime.combine(d + timedelta(days=1), time.min, tzinfo=zone),
        )

    def _within(self, name: str, start: Callable[[date], Any], end: Callable[[date], Any]) -> Q:
        if self.ranges is None:
            return Q(**{f"{name}__isnull": False})
        q = Q()
        for first, last in self.ranges:
            q |= Q(**{f"{name}__gte": start(first), f"{name}__lt": end(last)})
        return q


def everything(prefix: str) -> Q:
    return Q()


def some_plans(plan_ids: Iterable[int]) -> Callable[[str], Q]:
    ids = sorted(set(plan_ids))
    return lambda prefix: Q(**{f"{prefix}pk__in": ids})


def responsible_org(prefix: str = "") -> Coalesce:
    """The organisation responsible for a plan: the lead organisation, or the initiating
    unit's before one is named."""
    return Coalesce(
        F(f"{prefix}lead_organisation_id"), F(f"{prefix}initiating_unit__organisation_id")
    )


def _local(moment: datetime | None) -> date | None:
    return None if moment is None else local_date(moment)


def rows(where: Where) -> Iterator[Row]:
    for source in where.sources:
        yield from READERS[source](where)


def _initiatives(where: Where) -> Iterator[Row]:
    meeting = Subquery(
        Meeting.objects.filter(plan=OuterRef("pk"), held_at__isnull=False)
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    version = Subquery(
        PlanVersion.objects.filter(plan=OuterRef("pk"), number=1).values("established_at")[:1]
    )
    found = (
        Plan.objects.filter(where.plan(""), where.dates("initiated_on"))
        .annotate(first_meeting=meeting, first_version=version)
        .values_list(
            "pk",
            "initiating_unit__organisation_id",
            "initiating_unit_id",
            "plan_type",
            "state",
            "initiated_by",
            "need_groups",
            "initiated_on",
            "meeting_deadline",
            "first_meeting",
            "first_version",
        )
    )
    for pk, org, unit, kind, state, by, groups, on, deadline, met, est in where.order(
        found, "initiated_on"
    ).iterator(2000):
        met_day, est_day = _local(met), _local(est)
        key = (
            org,
            unit,
            kind,
            state,
            by,
            "|".join(groups or ()),
            None if met_day is None else (met_day - on).days,
            met_day is not None and met_day > deadline,
            deadline.isoformat() if met_day is None else None,  # late once it has passed
            None if est_day is None else (est_day - on).days,
        )
        yield Row("initiatives", pk, on, key, (1,))


def _follow_ups(where: Where) -> Iterator[Row]:
    found = (
        FollowUp.objects.filter(where.plan("plan__"), where.dates("due_date"))
        .annotate(org=responsible_org("plan__"))
        .values_list("plan_id", "org", "due_date", "done_at")
    )
    for plan, org, due, done in where.order(found, "due_date").iterator(2000):
        day = _local(done)
        status = "open" if day is None else ("on_time" if day <= due else "late")
        # The due date matters only for what is open (overdue or not yet, as of today).
        key = (org, due.isoformat() if day is None else None, status)
        yield Row("follow_ups", plan, due, key, (1,))


def _goals(where: Where) -> Iterator[Row]:
    found = (
        FollowUp.objects.filter(where.plan("plan__"), where.moments("done_at"))
        .exclude(attainment="")
        .annotate(org=responsible_org("plan__"))
        .values_list("plan_id", "org", "attainment", "done_at")
    )
    for plan, org, attainment, done in where.order(found, "done_at").iterator(2000):
        assert done is not None  # filtered on
        yield Row("goals", plan, local_date(done), (org, attainment), (1,))


def _revisions(where: Where) -> Iterator[Row]:
    """Each revision (version 2 or later) with the date of the plan's revision before it:
    a plan was revised in a period once for each revision in it whose previous revision lies
    before the period (or is none)."""
    before = Subquery(
        PlanVersion.objects.filter(plan=OuterRef("plan"), number__gte=2)
        .filter(
            Q(established_at__lt=OuterRef("established_at"))
            | Q(established_at=OuterRef("established_at"), number__lt=OuterRef("number"))
        )
        .order_by("-established_at", "-number")
        .values("established_at")[:1]
    )
    found = (
        PlanVersion.objects.filter(where.plan("plan__"), where.moments("established_at"))
        .filter(number__gte=2)
        .annotate(org=responsible_org("plan__"), before=before)
        .values_list("plan_id", "org", "established_at", "before")
    )
    for plan, org, at, previous in where.order(found, "established_at").iterator(2000):
        assert at is not None  # filtered on
        day = _local(previous)
        key = (org, None if day is None else day.isoformat())
        yield Row("revisions", plan, local_date(at), key, (1,))


def _closures(where: Where) -> Iterator[Row]:
    found = (
        Plan.objects.filter(where.plan(""), where.moments("closed_at"))
        .annotate(org=responsible_org())
        .values_list("pk", "org", "closure_reason", "closed_at")
    )
    for plan, org, reason, closed in where.order(found, "closed_at").iterator(2000):
        assert closed is not None  # filtered on
        yield Row("closures", plan, local_date(closed), (org, reason), (1,))


def _deviations(where: Where) -> Iterator[Row]:
    found = Deviation.objects.filter(
        where.plan("plan__"), where.moments("reported_at")
    ).values_list("plan_id", "addressed_to_id", "kind", "reported_at", "handled_at")
    for plan, org, kind, reported, handled in where.order(found, "reported_at").iterator(2000):
        day = local_date(reported)
        if handled is not None:
            key: Key = (org, kind, "handled", (local_date(handled) - day).days)
        else:  # open: its days so far counted from this date at render time
            key = (org, kind, "open", day.isoformat())
        yield Row("deviations", plan, day, key, (1,))


# Reasons for declining are free text; they are grouped by words that mark the common kinds,
# checked in this order (the first match wins). The texts themselves are never shown.
REASON_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("responsibility", ("ansvar", "bör ha", "hör till", "hänvis", "inte vår", "annan huvudman")),
    ("not_relevant", ("inte aktuell", "ej aktuell", "inga insatser", "avslutad")),
    ("time", ("krock", "semester", "sjuk", "ledig", "hinner", "tid")),
)


def _any_word(words: tuple[str, ...]) -> Q:
    q = Q()
    for word in words:
        q |= Q(decline_reason__icontains=word)
    return q


def _invitations(where: Where) -> Iterator[Row]:
    """Invitations to meetings not cancelled, by calling organisation (the plan's
    responsible one), invited organisation (the unit's, or an external invitee's registered
    organisation; others are not counted), quarter and reason group of a decline."""
    A = InvitationAnswer
    reason = Case(
        When(~Q(answer=A.DECLINED), then=Value("")),
        When(decline_reason="", then=Value("none")),
        *[When(_any_word(words), then=Value(key)) for key, words in REASON_WORDS],
        default=Value("other"),
    )
    scope = where.plan("meeting__plan__")
    if where.unit_organisation is not None:
        scope |= Q(unit__organisation_id=where.unit_organisation)
    found = (
        Invitation.objects.filter(meeting__cancelled_at__isnull=True)
        .filter(where.moments("meeting__starts_at"))
        .annotate(
            calling=responsible_org("meeting__plan__"),
            invited_org=Coalesce(F("unit__organisation_id"), F("invitee_organisation_id")),
            reason=reason,
        )
        .filter(invited_org__isnull=False)
        .filter(scope)
        .values_list(
            "meeting__plan_id",
            "meeting_id",
            "unit__organisation_id",
            "calling",
            "invited_org",
            "meeting__starts_at",
            "reason",
            "answer",
            "attended",
            "meeting__sip_time_id",
        )
    )
    for (
        plan,
        meeting,
        unit_org,
        calling,
        invited,
        starts,
        why,
        answer,
        attended,
        sip,
    ) in where.order(found, "meeting__starts_at").iterator(5000):
        day = local_date(starts)
        key = (calling, invited, day.year, (day.month - 1) // 3 + 1, why, int(sip is not None))
        counts = (
            1,
            int(answer != A.PENDING),
            int(answer == A.ACCEPTED),
            int(answer == A.DECLINED),
            int(answer == A.REPRESENTED),
            int(bool(attended)),
            int(answer == A.PENDING),
        )
        yield Row("invitations", plan, day, key, counts, unit_org, meeting)


def _declined_units(where: Where) -> Iterator[Row]:
    """Declines by a unit, per plan and unit (a plan is sent back and forth when two or more
    units declined in the period, cancelled meetings included)."""
    found = (
        Invitation.objects.filter(answer="declined", unit__isnull=False)
        .filter(where.plan("meeting__plan__"), where.moments("meeting__starts_at"))
        .annotate(org=responsible_org("meeting__plan__"))
        .values_list("meeting__plan_id", "unit_id", "org", "meeting__starts_at")
    )
    for plan, unit, org, starts in where.order(found, "meeting__starts_at").iterator(2000):
        yield Row("declined_units", plan, local_date(starts), (plan, unit, org), (1,))


def lead_change_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}kind": "lead_changed"}) | Q(
        **{
            f"{prefix}kind": "draft_changed",
            f"{prefix}detail__fields__icontains": '"lead_organisation"',
        }
    )


def _lead_changes(where: Where) -> Iterator[Row]:
    """The second and later changes of a plan's lead organisation: a plan changed lead in a
    period when one of them lies in it (the figure asks for two changes, one in the period)."""
    earlier = PlanEvent.objects.filter(lead_change_q(), plan=OuterRef("plan")).filter(
        Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), pk__lt=OuterRef("pk"))
    )
    found = (
        PlanEvent.objects.filter(lead_change_q(), where.plan("plan__"), where.moments("at"))
        .filter(Exists(earlier))
        .annotate(org=responsible_org("plan__"))
        .values_list("plan_id", "org", "at")
    )
    for plan, org, at in where.order(found, "at").iterator(2000):
        yield Row("lead_changes", plan, local_date(at), (plan, org), (1,))


READERS: dict[str, Callable[[Where], Iterator[Row]]] = {
    "initiatives": _initiatives,
    "follow_ups": _follow_ups,
    "goals": _goals,
    "revisions": _revisions,
    "closures": _closures,
    "deviations": _deviations,
    "invitations": _invitations,
    "declined_units": _declined_units,
    "lead_changes": _lead_changes,
}


def plan_organisations(plan_ids: Iterable[int] | None = None) -> dict[int, set[int]]:
    """The organisations taking part in each plan: the inverse of
    `samplan.authz.policy.statistics_plan_scope` (the initiating unit's organisation, the
    lead organisation, the organisations of the participating units). tests/statistics
    check that the two agree for every plan and organisation of a generated world."""
    plans = Plan.objects.all()
    participants = Participant.objects.all()
    if plan_ids is not None:
        ids = sorted(set(plan_ids))
        plans = plans.filter(pk__in=ids)
        participants = participants.filter(plan_id__in=ids)
    found: dict[int, set[int]] = defaultdict(set)
    for pk, initiating, lead in plans.values_list(
        "pk", "initiating_unit__organisation_id", "lead_organisation_id"
    ).iterator(5000):
        found[pk].add(initiating)
        if lead is not None:
            found[pk].add(lead)
    for plan, org in participants.values_list("plan_id", "unit__organisation_id").iterator(5000):
        if org is not None:
            found[plan].add(org)
    return found
