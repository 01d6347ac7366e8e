"""Every figure for one scope and period, in display order: the period's facts (stored
monthly where fresh, the rest read live: aggregates.py), rendered into tables. A constant
number of queries, whatever the size of the world (tests/statistics assert it)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from samplan.directory.models import Organisation, Unit
from samplan.statistics import aggregates, figures_care, figures_meetings, figures_plans
from samplan.statistics.facts import Facts
from samplan.statistics.figures_care import BackAndForth
from samplan.statistics.router import statistics_reads
from samplan.statistics.scope import Names, Scope
from samplan.statistics.tables import Table

INITIATIVE_KEYS = (
    "plans_by_state",
    "initiatives_by_initiator",
    "plans_by_type_and_group",
    "lead_times",
)
MEETING_KEYS = ("attendance", "declines_by_reason")
OTHER_KEYS = (
    "follow_ups",
    "goal_attainment",
    "revisions_closures",
    "deviations",
    "disputes",
    "sip_times",
)
TABLE_KEYS = (*INITIATIVE_KEYS, *MEETING_KEYS, *OTHER_KEYS, "back_and_forth")


@dataclass(frozen=True)
class Figures:
    tables: tuple[Table, ...]
    back_and_forth: BackAndForth


def names(facts: Facts) -> Names:
    """The names of the organisations and of the units the initiatives were taken in."""
    units = {key[1] for key in facts.counters["init_state"]}
    return Names(
        organisations=dict(Organisation.objects.order_by().values_list("pk", "name")),
        # An empty list would skip the query: one query always, for a constant count.
        units=dict(
            Unit.objects.filter(pk__in=sorted(units) or [0]).order_by().values_list("pk", "name")
        ),
    )


def render(scope: Scope, facts: Facts) -> Figures:
    named = names(facts)
    disputes = figures_care.dispute_rows(scope)
    by_key = figures_plans.initiative_tables(scope, facts, named)
    by_key |= figures_meetings.meeting_tables(scope, facts, named)
    by_key |= {
        "follow_ups": figures_plans.follow_ups(scope, facts, named),
        "goal_attainment": figures_plans.goal_attainment(scope, facts, named),
        "revisions_closures": figures_plans.revisions_closures(scope, facts, named),
        "deviations": figures_care.deviations(scope, facts, named),
        "disputes": figures_care.disputes(scope, disputes),
        "sip_times": figures_meetings.sip_times(scope, facts, named),
    }
    found = figures_care.back_and_forth_plans(scope, facts, disputes)
    by_key["back_and_forth"] = figures_care.back_and_forth_table(scope, found, named)
    return Figures(tables=tuple(by_key[key] for key in TABLE_KEYS), back_and_forth=found)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while the facts are merged and rendered: they are tens of
    thousands of small lists and tuples that hold no cycles (reference counting frees them),
    and at region scale the collector's passes over them and the rest of the heap took more
    than half the page's time (docs/statistics.md "Speed"). Left as it was found."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def compute(scope: Scope) -> Figures:
    """Every table; on the statistics replica where one is configured (router.py)."""
    with statistics_reads(), collector_paused():
        return render(scope, aggregates.period_facts(scope))


def attendance(scope: Scope) -> Table:
    """Seed 004's table alone (the REST resource)."""
    with statistics_reads(), collector_paused():
        facts = aggregates.period_facts(scope, sources=("invitations",))
        counts = figures_meetings.invitation_counts(scope, facts, names(facts))
        return figures_meetings.attendance(scope, counts)
