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

# The tables in display order, and how each is computed: the four initiative tables share one
# query (figures_plans.initiative_tables), seed 004's table and the reasons for declining
# another (figures_meetings.meeting_tables); each other table is its own query.
INITIATIVE_KEYS = (
    "plans_by_state",
    "initiatives_by_initiator",
    "plans_by_type_and_group",
    "lead_times",
)
FIGURES: tuple[tuple[str, Callable[[Scope], Table]], ...] = (
    ("follow_ups", figures_plans.follow_ups),
    ("goal_attainment", figures_plans.goal_attainment),
    ("revisions_closures", figures_plans.revisions_closures),
    ("deviations", figures_care.deviations),
    ("disputes", figures_care.disputes),
    ("sip_times", figures_meetings.sip_times),
)
MEETING_KEYS = ("attendance", "declines_by_reason")
TABLE_KEYS = (*INITIATIVE_KEYS, *MEETING_KEYS, *(key for key, _f in FIGURES), "back_and_forth")


@dataclass(frozen=True)
class Figures:
    tables: tuple[Table, ...]
    back_and_forth: BackAndForth


def compute(scope: Scope) -> Figures:
    """Every table; on the statistics replica where one is configured (router.py)."""
    with statistics_reads():
        by_key = figures_plans.initiative_tables(scope)
        by_key |= figures_meetings.meeting_tables(scope)
        by_key |= {key: figure(scope) for key, figure in FIGURES}
        found = figures_care.back_and_forth_plans(scope)
        by_key["back_and_forth"] = figures_care.back_and_forth_table(scope, found)
    return Figures(tables=tuple(by_key[key] for key in TABLE_KEYS), back_and_forth=found)
