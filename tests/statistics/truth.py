"""The true figures of a generated world, computed in plain Python from the generator's
manifest (samplan/demo/generate_figures.py): what each table must show, without SQL.

The definitions are the ones docs/statistics.md gives, written out again here; the small-cell
rule is applied with `Protection`, whose own behaviour tests/statistics/test_protection.py
checks with written-out numbers.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from samplan.demo.generate_figures import Manifest, PlanFact
from samplan.plans.models import (
    Attainment,
    ClosureReason,
    DeviationKind,
    InitiatedBy,
    NeedGroup,
    PlanState,
    PlanType,
)
from samplan.statistics.protection import Protection
from samplan.statistics.tables import Cell

ZONE = ZoneInfo("Europe/Stockholm")
# The reasons the generator plants, and the group each belongs to (docs/statistics.md).
REASON_GROUP = {
    "Psykiatrin bör ha huvudansvaret så länge måendet är dåligt.": "responsibility",
    "Beroendevården bör ha huvudansvaret medan missbruket pågår.": "responsibility",
    "Krockar med en annan tid, vi ber om ett nytt förslag.": "time",
    "Personen är inte aktuell hos oss.": "not_relevant",
    "Sjukdom i personalgruppen.": "time",
    "": "none",
}
REASON_ORDER = ["responsibility", "not_relevant", "time", "other", "none"]
REASON_LABEL = {
    "responsibility": "Hänvisar ansvaret till annan",
    "not_relevant": "Inte aktuell för enheten",
    "time": "Tid, frånvaro eller krock",
    "other": "Annat skäl",
    "none": "Inget skäl angivet",
}


def day(moment: datetime) -> date:
    return moment.astimezone(ZONE).date()


def median(values: list[int]) -> float | None:
    if not values:
        return None
    v = sorted(values)
    n = len(v)
    return float(v[n // 2]) if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def p90(values: list[int]) -> float | None:
    if not values:
        return None
    v = sorted(values)
    return float(v[math.ceil(0.9 * len(v)) - 1])


@dataclass
class Truth:
    m: Manifest
    org: int  # the manager's organisation
    start: date
    end: date
    today: date
    p: Protection

    # -- helpers ---------------------------------------------------------------------------

    def name(self, org: int) -> str:
        return self.m.org_name[org]

    def in_scope(self, plan: PlanFact) -> bool:
        return (
            plan.organisation == self.org
            or plan.lead == self.org
            or any(self.m.unit_org[u] == self.org for u in plan.units)
        )

    def responsible(self, plan: PlanFact) -> int:
        return plan.lead if plan.lead is not None else plan.organisation

    def within(self, d: date) -> bool:
        return self.start <= d <= self.end

    def count(self, n: int, org: int) -> Cell:
        return self.p.count(n, own=org == self.org)

    def ordered(self, keys: list[Any], name_key: Callable[[Any], Any], org_of: Any) -> list[Any]:
        keys = sorted(keys, key=name_key)
        return sorted(keys, key=lambda k: org_of(k) != self.org)

    def initiatives(self) -> list[PlanFact]:
        return [
            p for p in self.m.plans.values() if self.in_scope(p) and self.within(p.initiated_on)
        ]

    # -- the tables --------------------------------------------------------------------------

    def plans_by_state(self) -> list[tuple[Cell, ...]]:
        groups: dict[tuple[int, int], list[PlanFact]] = defaultdict(list)
        for p in self.initiatives():
            groups[(p.organisation, p.unit)].append(p)
        keys = self.ordered(
            list(groups), lambda k: (self.name(k[0]), self.m.unit_name[k[1]]), lambda k: k[0]
        )
        return [
            (
                self.name(o),
                self.m.unit_name[u],
                self.count(len(groups[(o, u)]), o),
                *(self.count(sum(p.state == s for p in groups[(o, u)]), o) for s in PlanState),
            )
            for o, u in keys
        ]

    def initiatives_by_initiator(self) -> list[tuple[Cell, ...]]:
        groups: dict[int, list[PlanFact]] = defaultdict(list)
        for p in self.initiatives():
            groups[p.organisation].append(p)
        keys = self.ordered(list(groups), self.name, lambda k: k)
        return [
            (
                self.name(o),
                self.count(len(groups[o]), o),
                *(self.count(sum(p.initiated_by == k for p in groups[o]), o) for k in InitiatedBy),
            )
            for o in keys
        ]

    def plans_by_type_and_group(self) -> list[tuple[Cell, ...]]:
        groups: dict[tuple[int, str], list[PlanFact]] = defaultdict(list)
        for p in self.initiatives():
            groups[(p.organisation, p.plan_type)].append(p)
        keys = self.ordered(list(groups), lambda k: (self.name(k[0]), k[1]), lambda k: k[0])
        labels = dict(PlanType.choices)
        return [
            (
                self.name(o),
                str(labels[t]),
                self.count(len(groups[(o, t)]), o),
                *(
                    self.count(sum(g in p.need_groups for p in groups[(o, t)]), o)
                    for g in NeedGroup
                ),
                self.count(sum(not p.need_groups for p in groups[(o, t)]), o),
            )
            for o, t in keys
        ]

    def lead_times(self) -> list[tuple[Cell, ...]]:
        first_meeting: dict[int, date] = {}
        for pid, starts, held, _booked in self.m.meetings.values():
            if held and (pid not in first_meeting or day(starts) < first_meeting[pid]):
                first_meeting[pid] = day(starts)
        first_version = {pid: day(at) for pid, number, at in self.m.versions if number == 1}
        groups: dict[int, list[PlanFact]] = defaultdict(list)
        for p in self.initiatives():
            groups[p.organisation].append(p)
        rows: list[tuple[Cell, ...]] = []
        for o in self.ordered(list(groups), self.name, lambda k: k):
            own = o == self.org
            plans = groups[o]
            meet = [
                (first_meeting[p.pid] - p.initiated_on).days
                for p in plans
                if p.pid in first_meeting
            ]
            late = sum(
                (first_meeting[p.pid] > p.deadline)
                if p.pid in first_meeting
                else p.deadline < self.today
                for p in plans
            )
            est = [
                (first_version[p.pid] - p.initiated_on).days
                for p in plans
                if p.pid in first_version
            ]
            rows.append(
                (
                    self.name(o),
                    self.p.count(len(plans), own=own),
                    self.p.count(len(meet), own=own),
                    self.p.statistic(median(meet), len(meet), own=own),
                    self.p.statistic(p90(meet), len(meet), own=own),
                    self.p.count(late, own=own),
                    self.p.share(late, len(plans), own=own),
                    self.p.count(len(est), own=own),
                    self.p.statistic(median(est), len(est), own=own),
                    self.p.statistic(p90(est), len(est), own=own),
                )
            )
        return rows

    def _invitations(self) -> list[tuple[int, int, int, date, str, bool | None, str, bool]]:
        """(plan, calling, invited, meeting day, answer, attended, reason, booked) of the
        invitations to units of meetings in the period, in scope."""
        out = []
        for mid, unit, answer, attended, reason in self.m.invitations:
            pid, starts, _held, booked = self.m.meetings[mid]
            if unit is None or not self.within(day(starts)):
                continue
            plan = self.m.plans[pid]
            invited = self.m.unit_org[unit]
            if not (self.in_scope(plan) or invited == self.org):
                continue
            out.append(
                (
                    pid,
                    self.responsible(plan),
                    invited,
                    day(starts),
                    answer,
                    attended,
                    reason,
                    booked,
                )
            )
        return out

    def attendance(self) -> list[tuple[Cell, ...]]:
        groups: dict[tuple[int, int, int, int], list[Any]] = defaultdict(list)
        for _pid, calling, invited, d, answer, attended, _r, _b in self._invitations():
            groups[(calling, invited, d.year, (d.month - 1) // 3 + 1)].append((answer, attended))
        keys = sorted(groups, key=lambda k: (self.name(k[0]), self.name(k[1]), k[2], k[3]))
        rows: list[tuple[Cell, ...]] = []
        for calling, invited, year, quarter in keys:
            g = groups[(calling, invited, year, quarter)]
            own = self.org in (calling, invited)
            counts = [
                len(g),
                sum(a != "pending" for a, _ in g),
                sum(a == "accepted" for a, _ in g),
                sum(a == "declined" for a, _ in g),
                sum(a == "represented" for a, _ in g),
                sum(att is True for _, att in g),
                sum(a == "pending" for a, _ in g),
            ]
            rows.append(
                (
                    self.name(calling),
                    self.name(invited),
                    f"{year}-Q{quarter}",
                    *(self.p.count(n, own=own) for n in counts),
                )
            )
        return rows

    def declines_by_reason(self) -> list[tuple[Cell, ...]]:
        groups: dict[tuple[int, str], int] = defaultdict(int)
        for _pid, _c, invited, _d, answer, _att, reason, _b in self._invitations():
            if answer == "declined":
                groups[(invited, REASON_GROUP[reason])] += 1
        keys = sorted(
            groups,
            key=lambda k: (k[0] != self.org, self.name(k[0]), REASON_ORDER.index(k[1])),
        )
        return [(self.name(o), REASON_LABEL[r], self.count(groups[(o, r)], o)) for o, r in keys]

    def sip_times(self) -> list[tuple[Cell, ...]]:
        groups: dict[tuple[int, bool], list[Any]] = defaultdict(list)
        meetings: dict[tuple[int, bool], set[int]] = defaultdict(set)
        for mid, unit, _answer, attended, _reason in self.m.invitations:
            pid, starts, _held, booked = self.m.meetings[mid]
            if unit is None or not self.within(day(starts)):
                continue
            plan = self.m.plans[pid]
            if not (self.in_scope(plan) or self.m.unit_org[unit] == self.org):
                continue
            key = (self.responsible(plan), booked)
            groups[key].append(attended)
            meetings[key].add(mid)
        keys = sorted(groups, key=lambda k: (k[0] != self.org, self.name(k[0]), not k[1]))
        rows: list[tuple[Cell, ...]] = []
        for calling, booked in keys:
            own = calling == self.org
            g = groups[(calling, booked)]
            came = sum(a is True for a in g)
            rows.append(
                (
                    self.name(calling),
                    "Fast SIP-tid" if booked else "Annan tid",
                    self.p.count(len(meetings[(calling, booked)]), own=own),
                    self.p.count(len(g), own=own),
                    self.p.count(came, own=own),
                    self.p.share(came, len(g), own=own),
                )
            )
        return rows

    def follow_ups(self) -> list[tuple[Cell, ...]]:
        groups: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
        for pid, due, done, _att in self.m.follow_ups:
            plan = self.m.plans[pid]
            if not (self.in_scope(plan) and self.within(due)):
                continue
            g = groups[self.responsible(plan)]
            g[0] += 1
            if done is not None:
                g[1 if day(done) <= due else 2] += 1
            else:
                g[3 if due < self.today else 4] += 1
        keys = self.ordered(list(groups), self.name, lambda k: k)
        return [(self.name(o), *(self.count(n, o) for n in groups[o])) for o in keys]

    def goal_attainment(self) -> list[tuple[Cell, ...]]:
        groups: dict[int, list[str]] = defaultdict(list)
        for pid, _due, done, attainment in self.m.follow_ups:
            plan = self.m.plans[pid]
            if done is None or not attainment or not self.in_scope(plan):
                continue
            if self.within(day(done)):
                groups[self.responsible(plan)].append(attainment)
        rows: list[tuple[Cell, ...]] = []
        for o in self.ordered(list(groups), self.name, lambda k: k):
            g = groups[o]
            achieved = g.count(Attainment.ACHIEVED)
            rows.append(
                (
                    self.name(o),
                    self.count(len(g), o),
                    *(self.count(g.count(a), o) for a in Attainment),
                    self.p.share(achieved, len(g), own=o == self.org),
                )
            )
        return rows

    def revisions_closures(self) -> list[tuple[Cell, ...]]:
        revised: dict[int, set[int]] = defaultdict(set)
        for pid, number, at in self.m.versions:
            plan = self.m.plans[pid]
            if number >= 2 and self.in_scope(plan) and self.within(day(at)):
                revised[self.responsible(plan)].add(pid)
        closed: dict[int, list[str]] = defaultdict(list)
        for plan in self.m.plans.values():
            closed_at = plan.closed_at
            if closed_at is not None and self.in_scope(plan) and self.within(day(closed_at)):
                closed[self.responsible(plan)].append(plan.closure)
        orgs = set(revised) | set(closed)
        return [
            (
                self.name(o),
                self.count(len(revised[o]), o),
                self.count(len(closed[o]), o),
                *(self.count(closed[o].count(r), o) for r in ClosureReason),
            )
            for o in self.ordered(list(orgs), self.name, lambda k: k)
        ]

    def deviations(self) -> list[tuple[Cell, ...]]:
        groups: dict[tuple[int, str], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        for pid, to, kind, reported, handled in self.m.deviations:
            if not (self.in_scope(self.m.plans[pid]) and self.within(day(reported))):
                continue
            handled_days, open_days = groups[(to, kind)]
            if handled is not None:
                handled_days.append((day(handled) - day(reported)).days)
            else:
                open_days.append((self.today - day(reported)).days)
        kinds = list(DeviationKind)
        labels = dict(DeviationKind.choices)
        keys = self.ordered(
            list(groups), lambda k: (self.name(k[0]), kinds.index(k[1])), lambda k: k[0]
        )
        rows: list[tuple[Cell, ...]] = []
        for to, kind in keys:
            own = to == self.org
            h, o = groups[(to, kind)]
            rows.append(
                (
                    self.name(to),
                    str(labels[kind]),
                    self.p.count(len(h) + len(o), own=own),
                    self.p.count(len(o), own=own),
                    self.p.count(len(h), own=own),
                    self.p.statistic(median(h), len(h), own=own),
                    self.p.statistic(median(o), len(o), own=own),
                )
            )
        return rows

    def disputes(self) -> list[tuple[Cell, ...]]:
        groups: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        for pid, unit, recorded, resolved in self.m.disputes:
            if not (self.in_scope(self.m.plans[pid]) and self.within(day(recorded))):
                continue
            res, open_ = groups[self.m.unit_org[unit]]
            if resolved is not None:
                res.append((day(resolved) - day(recorded)).days)
            else:
                open_.append((self.today - day(recorded)).days)
        rows: list[tuple[Cell, ...]] = []
        for o in self.ordered(list(groups), self.name, lambda k: k):
            own = o == self.org
            res, open_ = groups[o]
            rows.append(
                (
                    self.name(o),
                    self.p.count(len(res) + len(open_), own=own),
                    self.p.count(len(open_), own=own),
                    self.p.count(len(res), own=own),
                    self.p.statistic(median(res), len(res), own=own),
                    self.p.statistic(median(open_), len(open_), own=own),
                )
            )
        return rows

    def back_and_forth_ids(self) -> tuple[set[int], set[int], set[int]]:
        decliners: dict[int, set[int]] = defaultdict(set)
        for mid, unit, answer, _att, _reason in self.m.invitations:
            pid, starts, _held, _booked = self.m.meetings[mid]
            if unit is not None and answer == "declined" and self.within(day(starts)):
                decliners[pid].add(unit)
        declined = {pid for pid, units in decliners.items() if len(units) >= 2}
        changes: dict[int, list[date]] = defaultdict(list)
        for pid, at in self.m.lead_changes:
            if day(at) <= self.end:
                changes[pid].append(day(at))
        lead = {
            pid
            for pid, days in changes.items()
            if len(days) >= 2 and any(d >= self.start for d in days)
        }
        disputed = {
            pid
            for pid, _unit, recorded, resolved in self.m.disputes
            if day(recorded) <= self.end and (resolved is None or day(resolved) >= self.start)
        }
        scoped = {pid for pid in declined | lead | disputed if self.in_scope(self.m.plans[pid])}
        return declined & scoped, lead & scoped, disputed & scoped

    def back_and_forth(self) -> list[tuple[Cell, ...]]:
        declined, lead, disputed = self.back_and_forth_ids()
        groups: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for pid in declined | lead | disputed:
            g = groups[self.responsible(self.m.plans[pid])]
            g[0] += 1
            g[1] += pid in declined
            g[2] += pid in lead
            g[3] += pid in disputed
        return [
            (self.name(o), *(self.count(n, o) for n in groups[o]))
            for o in self.ordered(list(groups), self.name, lambda k: k)
        ]

    def table(self, key: str) -> list[tuple[Cell, ...]]:
        method: Callable[[], list[tuple[Cell, ...]]] = getattr(self, key)
        return method()
