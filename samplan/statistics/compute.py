"""Every figure for one scope and period, in display order. A constant number of queries,
whatever the size of the world (tests/statistics assert it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from samplan.statistics import figures_care, figures_meetings, figures_plans
from samplan.statistics.figures_care import BackAndForth
from samplan.statistics.router import statistics_reads
from samplan.statistics.scope import Scope
from samplan.statistics.tables import Table

FIGURES: tuple[tuple[str, Callable[[Scope], Table]], ...] = (
    ("plans_by_state", figures_plans.plans_by_state),
    ("initiatives_by_initiator", figures_plans.initiatives_by_initiator),
    ("plans_by_type_and_group", figures_plans.plans_by_type_and_group),
    ("lead_times", figures_plans.lead_times),
    ("attendance", figures_meetings.attendance),
    ("declines_by_reason", figures_meetings.declines_by_reason),
    ("follow_ups", figures_plans.follow_ups),
    ("goal_attainment", figures_plans.goal_attainment),
    ("revisions_closures", figures_plans.revisions_closures),
    ("deviations", figures_care.deviations),
    ("disputes", figures_care.disputes),
    ("sip_times", figures_meetings.sip_times),
)
TABLE_KEYS = (*(key for key, _f in FIGURES), "back_and_forth")


@dataclass(frozen=True)
class Figures:
    tables: tuple[Table, ...]
    back_and_forth: BackAndForth


def compute(scope: Scope) -> Figures:
    """Every table; on the statistics replica where one is configured (router.py)."""
    with statistics_reads():
        tables = [figure(scope) for _key, figure in FIGURES]
        found = figures_care.back_and_forth_plans(scope)
        tables.append(figures_care.back_and_forth_table(scope, found))
    return Figures(tables=tuple(tables), back_and_forth=found)
