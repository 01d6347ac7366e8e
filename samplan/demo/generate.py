"""`samplan generate`: a plausible world at scale, loaded in bulk, deterministic from the seed.

`region` is a region like Västra Götaland: about 50 principals (one region, 49 municipalities),
2,000 units, 40,000 staff, 300,000 persons, 250,000 plans over ten years with 1.2 million
versions, about 3 million invitations, follow-ups and deviations, and 20 million audit events.
`town` is 1/100 of that. Every name is invented; identity numbers are valid in form only.

The whole world is written in one transaction: an interrupted load leaves nothing behind. The
same seed and the same end date (`until`, today by default) give the same rows.

Parts: the registry (generate_registry.py), the plans (generate_plans.py), the audit log
(generate_audit.py), the bulk loader (generate_load.py).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock
from typing import Any

from django.db import transaction

from samplan.demo.generate_audit import AuditWriter
from samplan.demo.generate_course import PlanCounts, Steps
from samplan.demo.generate_figures import Manifest, Planter
from samplan.demo.generate_load import GenerateError, Loader, database_holds_data, reset_database
from samplan.demo.generate_plans import PlanWriter
from samplan.demo.generate_registry import (
    Registry,
    build_organisations,
    build_persons,
    build_staff,
)

# The named scales; `tiny` is for tests (not offered by the command's help).
SCALES: dict[str, float] = {"region": 1.0, "town": 0.01, "tiny": 0.0002}
PUBLIC_SCALES = ("town", "region")


@dataclass(frozen=True)
class Counts:
    municipalities: int
    units: int
    staff: int
    persons: int
    plans: int
    versions: int
    audit_events: int

    @classmethod
    def for_factor(cls, factor: float) -> Counts:
        if not 0 < factor <= 10:
            raise GenerateError(
                f"Skalfaktorn måste vara större än 0 och högst 10 / the scale factor must be "
                f"above 0 and at most 10 (got {factor})"
            )
        return cls(
            municipalities=max(1, round(49 * factor)),
            units=max(12, round(2000 * factor)),
            staff=max(40, round(40_000 * factor)),
            persons=max(60, round(300_000 * factor)),
            plans=max(50, round(250_000 * factor)),
            versions=max(50, round(1_200_000 * factor)),
            audit_events=max(1000, round(20_000_000 * factor)),
        )


class Progress:
    """What the generator reports while it runs; the command shows it as a bar."""

    def stage(self, label: str, total: int) -> Callable[[int], None]:
        return lambda _n: None

    def done(self) -> None:
        return None


def _ticking(progress: Progress, label: str, total: int) -> Any:
    def tick(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        advance = progress.stage(label, total)
        n = 0
        for row in rows:
            yield row
            n += 1
            if n == 1000:
                advance(n)
                n = 0
        advance(n)

    return tick


def check_arguments(*, scale: str | None, factor: float | None, seed: int) -> float:
    """The scale factor for a scale name (or a factor), or GenerateError with a clear message."""
    if seed < 0:
        raise GenerateError(
            f"Fröet får inte vara negativt / the seed must not be negative (got {seed})"
        )
    if factor is not None:
        Counts.for_factor(factor)
        return factor
    if scale not in SCALES:
        raise GenerateError(
            f"Okänd skala {scale!r}: välj town eller region / unknown scale {scale!r}: "
            "choose town or region"
        )
    return SCALES[scale]


def generate(
    *,
    factor: float,
    seed: int,
    mode: str = "fresh",
    until: date | None = None,
    progress: Progress | None = None,
    counts: Counts | None = None,
    manifest: Manifest | None = None,
) -> dict[str, int]:
    """Generate a world; returns rows written per table. `mode`: "fresh" (the database must
    hold no data), "append" (added to what is there) or "reset" (everything emptied first, in
    the same transaction). `counts` replaces the factor's counts (tests shape a small world
    with several municipalities); `manifest`, when given, is filled with the ground truth of
    the managers' figures (generate_figures.py)."""
    if mode not in ("fresh", "append", "reset"):
        raise GenerateError(f"unknown mode {mode!r}")
    counts = counts or Counts.for_factor(factor)
    progress = progress or Progress()
    until = until or date.today()
    now = datetime.combine(until, clock(12), tzinfo=UTC)
    with transaction.atomic():
        if mode == "reset":
            reset_database()
        elif mode == "fresh":
            holding = database_holds_data()
            if holding:
                raise GenerateError(
                    "Databasen innehåller redan data; ange --append för att lägga till eller "
                    "--reset för att tömma den först. / The database already holds data "
                    f"({', '.join(holding)}); give --append to add to it or --reset to empty "
                    "it first."
                )
        loader = Loader(now)
        reg = Registry()
        rng = random.Random(f"{seed}:registry")
        build_organisations(
            loader, rng, reg, municipalities=counts.municipalities, units=counts.units
        )
        build_staff(loader, random.Random(f"{seed}:staff"), reg, staff=counts.staff)
        build_persons(
            loader,
            random.Random(f"{seed}:persons"),
            reg,
            persons=counts.persons,
            tick=_ticking(progress, "personer / persons", counts.persons),
        )
        steps = Steps(now)
        planter = Planter(loader, reg, until, str(seed), manifest)
        PlanWriter(loader, reg, steps, until, planter).run(
            random.Random(f"{seed}:plans"),
            PlanCounts(plans=counts.plans, versions=counts.versions),
            _ticking(progress, "planer / plans", counts.plans),
        )
        AuditWriter(loader, reg, steps, counts.audit_events).run(
            random.Random(f"{seed}:audit"),
            _ticking(progress, "logghändelser / audit events", counts.audit_events),
        )
        advance = progress.stage("index och kontroller / indexes and checks", 1)
        loader.finish()
        advance(1)
    return {t.name: t.rows for t in loader.tables.values()}


def timed(**kwargs: Any) -> tuple[dict[str, int], float]:
    started = time.perf_counter()
    rows = generate(**kwargs)
    return rows, time.perf_counter() - started
