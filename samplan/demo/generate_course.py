"""`samplan generate`, each plan's course: from initiative to closure over ten years (the
state it ends in, when it was established, how many versions), decided before any row is
written; and `Steps`, the audited steps of every plan that the audit log is written from."""

from __future__ import annotations

import random
from array import array
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from samplan.demo.generate_registry import Registry
from samplan.directory.models import OrganisationKind
from samplan.plans.models import PlanState

DAY = 86400

NEEDS = [
    ("Behöver samordnat stöd för psykisk ohälsa och missbruk.", "d240"),
    ("Behöver hjälp med läkemedel och måltider.", "d510"),
    ("Behöver stöd för att klara skolan.", "d820"),
    ("Behöver stöd till sysselsättning.", "d845"),
    ("Behöver hjälp att sköta sin ekonomi.", "d860"),
    ("Behöver stöd i vardagen efter sjukhusvistelsen.", "d230"),
]
GOALS = [
    ("Kan bo kvar hemma med stöd.", "Jag vill bo kvar i mitt hus."),
    (
        "Får behandling för både psykisk ohälsa och missbruk samtidigt.",
        "Jag vill slippa bli skickad runt.",
    ),
    ("Går i skolan varje dag.", "Jag vill klara skolan."),
    ("Har en meningsfull sysselsättning.", "Jag vill ha ett jobb."),
]
INTERVENTIONS = [
    "Boendestöd två gånger i veckan",
    "Psykiatrisk behandling och läkemedel",
    "Hemtjänst morgon och kväll",
    "Hembesök av distriktssköterska",
    "Öppenvårdsbehandling",
    "Daglig verksamhet",
    "Anpassad studiegång",
    "Arbetsträning",
]
REASONS = [
    "several_services",
    "responsibility_unclear",
    "repeated_visits",
    "readmission",
    "several_competences",
    "sequencing",
    "bounced_around",
    "transition",
    "person_request",
]
CLOSURES = [  # reason, weight, was the plan established
    ("goals_reached", 55, True),
    ("moved", 15, True),
    ("deceased", 8, True),
    ("consent_revoked", 7, True),
    ("declined", 7, False),
    ("consent_refused", 8, False),
]


class Steps:
    """The audited steps of every plan, by month (packed ints: a region's few million fit in a
    few hundred MB), and each plan's span and units for the reads that fill the audit log."""

    ACTIONS = [
        "plan.initiate",
        "consent.given",
        "consent.refused",
        "consent.revoke",
        "meeting.schedule",
        "meeting.held",
        "invitation.answer",
        "plan.establish",
        "plan.revise",
        "follow_up.record",
        "deviation.report",
        "plan.close",
        "need.add",
        "intervention.add",
    ]
    OBJECT_TYPES = [
        "plans.plan",
        "consent.consent",
        "plans.meeting",
        "plans.invitation",
        "plans.planversion",
        "plans.followup",
        "plans.deviation",
        "plans.need",
        "plans.intervention",
        "directory.person",
        "",
    ]

    def __init__(self, start: datetime) -> None:
        self.start = int(start.timestamp())
        self.months: dict[int, array[int]] = {}
        self.code = {a: i for i, a in enumerate(self.ACTIONS)}
        self.otype = {t: i for i, t in enumerate(self.OBJECT_TYPES)}
        self.count = 0
        # per plan: id, person, first and last second, initiating unit, units that see it
        self.plans: list[tuple[int, int, int, int, int, tuple[int, ...]]] = []

    def month(self, ts: int) -> int:
        d = datetime.fromtimestamp(ts, UTC)
        return d.year * 12 + d.month - 1

    def add(
        self, ts: int, action: str, person: int, user: int, unit: int, otype: str, oid: int
    ) -> None:
        bucket = self.months.setdefault(self.month(ts), array("q"))
        bucket.extend((ts, self.code[action], person, user, unit, self.otype[otype], oid))
        self.count += 1


@dataclass
class PlanCounts:
    plans: int
    versions: int


@dataclass
class Course:
    """One plan's course, decided before any row is written (versions are spread afterwards)."""

    start: date
    end: date
    state: str
    closure: str
    established: bool
    first_established: date | None
    versions: int = 0
    units: list[int] = field(default_factory=list)


def ts_of(day: date, rng: random.Random) -> int:
    """A moment in a working day (07-17 UTC)."""
    return int(datetime(day.year, day.month, day.day, 7, tzinfo=UTC).timestamp()) + rng.randint(
        0, 36000
    )


def dt_of(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def course_of(rng: random.Random, until: date) -> Course:
    start = until - timedelta(days=rng.randint(1, 3650))
    life = rng.randint(60, 2500)
    age = (until - start).days
    if (start + timedelta(days=life)) < until:
        reason = rng.choices([c[0] for c in CLOSURES], [c[1] for c in CLOSURES])[0]
        established = next(c[2] for c in CLOSURES if c[0] == reason)
        if reason == "consent_refused":
            life = rng.randint(3, 30)
        end = start + timedelta(days=life)
        first = start + timedelta(days=rng.randint(20, 60)) if established else None
        if first is not None and first >= end:
            end = first + timedelta(days=rng.randint(30, 120))
            end = min(end, until - timedelta(days=1))
            first = min(first, end)
        return Course(start, end, PlanState.CLOSED, reason, established, first)
    if age < 10:
        state = rng.choices(["initiated", "consented", "invited"], [4, 3, 3])[0]
    elif age < 45:
        state = rng.choices(["consented", "invited", "meeting_held", "established"], [1, 3, 2, 4])[
            0
        ]
    else:
        state = rng.choices(["established", "revising", "paused", "meeting_held"], [70, 15, 10, 5])[
            0
        ]
    established = state in ("established", "revising") or (state == "paused" and rng.random() < 0.7)
    first = None
    if established:
        first = start + timedelta(days=min(rng.randint(20, 60), max(age - 1, 1)))
    return Course(start, until, state, "", established, first)


def spread_versions(courses: list[Course], target: int, rng: random.Random) -> None:
    """Versions in proportion to how long each established plan has run, summing to about
    `target`: a plan is revised now and then over its years."""
    est = [c for c in courses if c.established and c.first_established]
    if not est:
        return
    spans = [max((c.end - c.first_established).days, 1) for c in est if c.first_established]
    extra = max(target - len(est), 0)
    total = sum(spans)
    for c, span in zip(est, spans, strict=True):
        c.versions = 1 + min(int(extra * span / total + rng.random()), span // 20)


def partners_of(rng: random.Random, reg: Registry, init_org: int) -> list[int]:
    """The units that take part besides the initiating one."""
    kind = reg.org_kind[init_org]
    if kind == OrganisationKind.MUNICIPALITY:
        units = [rng.choice(reg.units_of[reg.region_ids[0]])]
    else:
        units = [rng.choice(reg.units_of[rng.choice(reg.municipality_ids)])]
    if rng.random() < 0.6:
        units.append(rng.choice(reg.units_of[init_org]))
    if rng.random() < 0.35 and reg.other_org_ids:
        units.append(rng.choice(reg.units_of[rng.choice(reg.other_org_ids)]))
    return units
