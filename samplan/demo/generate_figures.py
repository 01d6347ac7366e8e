"""`samplan generate`, what the managers' figures count (issue 13), and their ground truth.

`Planter` adds to each plan what the figures look for and the rest of the course does not
decide: who took the initiative (staff, the person, a guardian), the presumed-need groups,
the reasons given for declining, fixed SIP times and the meetings booked on them, lead
organisations that change, responsibility disputes. It draws from a random stream of its own
(seed:figures), so the rest of a world is the same as before it was added.

`Manifest`, when asked for (tests), records every fact the figures count as the rows are
written, in plain Python values: tests compute the true figures from it without SQL and
compare them with what the statistics' queries answer (tests/statistics/truth.py).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from samplan.agreements.models import ResponsibilityDispute, SipTime
from samplan.demo.generate_load import Loader, Table
from samplan.demo.generate_registry import Registry
from samplan.directory.models import PRINCIPAL_KINDS

DAY = 86400
DECLINE_REASONS = [
    "Psykiatrin bör ha huvudansvaret så länge måendet är dåligt.",
    "Beroendevården bör ha huvudansvaret medan missbruket pågår.",
    "Krockar med en annan tid, vi ber om ett nytt förslag.",
    "Personen är inte aktuell hos oss.",
    "Sjukdom i personalgruppen.",
    "",
]
NEED_GROUPS = ["psychiatric_addiction", "psychiatric_disability", "dementia_somatic"]


@dataclass(frozen=True)
class PlanFact:
    pid: int
    unit: int  # initiating unit
    organisation: int  # its organisation
    units: tuple[int, ...]  # participants
    state: str
    plan_type: str
    initiated_by: str
    initiated_on: date
    deadline: date
    need_groups: tuple[str, ...]
    lead: int | None
    closed_at: datetime | None
    closure: str


@dataclass
class Manifest:
    """The facts the figures count, by kind (filled only when a test asks for it)."""

    unit_org: dict[int, int] = field(default_factory=dict)
    org_name: dict[int, str] = field(default_factory=dict)
    unit_name: dict[int, str] = field(default_factory=dict)
    plans: dict[int, PlanFact] = field(default_factory=dict)
    # meeting id -> (plan, starts_at, held, booked on a SIP time)
    meetings: dict[int, tuple[int, datetime, bool, bool]] = field(default_factory=dict)
    # (meeting, unit or None, answer, attended, decline reason)
    invitations: list[tuple[int, int | None, str, bool | None, str]] = field(default_factory=list)
    versions: list[tuple[int, int, datetime]] = field(default_factory=list)  # plan, number, at
    # plan, due, done_at, attainment
    follow_ups: list[tuple[int, date, datetime | None, str]] = field(default_factory=list)
    # plan, addressed to, kind, reported_at, handled_at
    deviations: list[tuple[int, int, str, datetime, datetime | None]] = field(default_factory=list)
    # plan, recorded unit, recorded_at, resolved_at
    disputes: list[tuple[int, int, datetime, datetime | None]] = field(default_factory=list)
    lead_changes: list[tuple[int, datetime]] = field(default_factory=list)  # plan, when set


class Planter:
    def __init__(
        self, loader: Loader, reg: Registry, until: date, seed: str, manifest: Manifest | None
    ) -> None:
        self.rng = random.Random(f"{seed}:figures")
        self.loader = loader
        self.reg = reg
        self.manifest = manifest
        if manifest is not None:
            manifest.unit_org.update(reg.unit_org)
            manifest.org_name.update(reg.org_name)
            manifest.unit_name.update(reg.unit_name)
        self.sip_time_of: dict[int, int] = {}
        principals = [o for o, kind in reg.org_kind.items() if kind in PRINCIPAL_KINDS]
        first = loader.next_id(SipTime)
        rows = []
        for n, org in enumerate(sorted(principals)):
            self.sip_time_of[org] = first + n
            # Tuesdays 9-12 (times as text: the bulk loader passes them through unchanged)
            rows.append((first + n, org, 1, "09:00:00", "12:00:00", until - timedelta(days=3660)))
        if rows:
            table = loader.table(
                SipTime, ["id", "organisation_id", "weekday", "start", "end", "valid_from"]
            )
            loader.write(table, rows)
        self.dispute_table: Table = loader.table(
            ResponsibilityDispute,
            [
                "id",
                "plan_id",
                "subject",
                "recorded_by_id",
                "recorded_unit_id",
                "recorded_at",
                "resolved_at",
                "resolved_by_id",
                "resolution",
            ],
        )
        self.dispute_units: Table = loader.table(
            ResponsibilityDispute.units.through, ["id", "responsibilitydispute_id", "unit_id"]
        )
        self.dispute_id = loader.next_id(ResponsibilityDispute)
        self.dispute_unit_id = loader.next_id(ResponsibilityDispute.units.through)
        self.disputes: list[tuple[object, ...]] = []
        self.dispute_unit_rows: list[tuple[int, int, int]] = []

    # Decided per plan ------------------------------------------------------------------------

    def initiative(self, person: int) -> tuple[str, int | None, str]:
        """Who took the initiative (and for a guardian, which representative), the groups."""
        r = self.rng.random()
        guardians = self.reg.guardians.get(person)
        if r < 0.08 and guardians:
            by, rep = "next_of_kin", guardians[0]
        elif r < 0.2:
            by, rep = "person", None
        else:
            by, rep = "staff", None
        groups = sorted(g for g in NEED_GROUPS if self.rng.random() < 0.25)
        return by, rep, json.dumps(groups)

    def decline_reason(self) -> str:
        return self.rng.choice(DECLINE_REASONS)

    def sip_time(self, organisation: int) -> int | None:
        """The calling organisation's fixed SIP time, for about a third of its meetings."""
        found = self.sip_time_of.get(organisation)
        return found if found is not None and self.rng.random() < 0.35 else None

    def lead_change(self, units: list[int], coordinated: bool) -> int | None:
        """Another principal taking over as lead organisation, for a few coordinated plans."""
        if not coordinated or self.rng.random() >= 0.06:
            return None
        first = self.reg.unit_org[units[0]]
        others = [
            self.reg.unit_org[u]
            for u in units[1:]
            if self.reg.unit_org[u] != first
            and self.reg.org_kind[self.reg.unit_org[u]] in PRINCIPAL_KINDS
        ]
        return others[0] if others else None

    def dispute(
        self, pid: int, units: list[int], user: int, start: int, end: int
    ) -> tuple[int, int | None] | None:
        """A responsibility dispute between the plan's first two units, for a few plans:
        (recorded, resolved) in seconds."""
        if len(units) < 2 or self.rng.random() >= 0.05 or end - start < 2 * DAY:
            return None
        recorded = self.rng.randint(start + 60, end - 60)
        resolved: int | None = recorded + self.rng.randint(3, 90) * DAY
        if resolved is not None and (resolved > end or self.rng.random() < 0.3):
            resolved = None
        did = self.dispute_id
        self.dispute_id += 1
        self.disputes.append(
            (
                did,
                pid,
                "Vem ska ha huvudansvaret för behandlingen?",
                user,
                units[0],
                _dt(recorded),
                _dt(resolved) if resolved else None,
                user if resolved else None,
                "Enligt överenskommelsen har psykiatrin huvudansvaret." if resolved else "",
            )
        )
        for u in units[:2]:
            self.dispute_unit_rows.append((self.dispute_unit_id, did, u))
            self.dispute_unit_id += 1
        if self.manifest is not None:
            self.manifest.disputes.append(
                (pid, units[0], _dt(recorded), _dt(resolved) if resolved else None)
            )
        return recorded, resolved

    def flush(self) -> None:
        """Written after the plans (a dispute points at its plan)."""
        if self.disputes:
            self.loader.write(self.dispute_table, self.disputes)
            self.disputes = []
        if self.dispute_unit_rows:
            self.loader.write(self.dispute_units, self.dispute_unit_rows)
            self.dispute_unit_rows = []


def rng_between(rng: random.Random, low: int, high: int) -> int:
    return rng.randint(low, max(low, high))


def _dt(ts: int) -> datetime:
    from samplan.demo.generate_course import dt_of

    return dt_of(ts)
