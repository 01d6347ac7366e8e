"""Figures about plans: initiatives by state, initiator, type and target group; the time from
initiative to first meeting and to an established plan against the deadline; follow-ups, goal
attainment, revisions and closures.

Each table is rendered from the period's facts (facts.py: counters, live or pre-computed).
Rows are keyed by organisation: the initiating unit's for initiatives, the plan's responsible
organisation (the lead organisation, or before one is named the initiating unit's) for what
happens in a plan afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from samplan.plans.models import (
    Attainment,
    ClosureReason,
    InitiatedBy,
    NeedGroup,
    PlanState,
    PlanType,
)
from samplan.statistics.facts import Facts, Key
from samplan.statistics.scope import Names, Scope, median, own_first, percentile
from samplan.statistics.tables import Cell, Column, Table


def _org_column() -> Column:
    return Column("organisation", _("Organisation"), numeric=False)


@dataclass(frozen=True)
class Initiative:
    """Initiatives of the period alike in what the four initiative tables count."""

    organisation: int
    organisation_name: str
    unit_name: str
    plan_type: str
    state: str
    initiated_by: str
    need_groups: tuple[str, ...]
    meeting_days: int | None
    met_late: bool
    deadline: date | None  # no meeting held: late once this has passed
    established_days: int | None
    n: int


def initiatives(scope: Scope, facts: Facts, names: Names) -> list[Initiative]:
    out = []
    for key, (n,) in facts.counters["initiatives"].items():
        org, unit, kind, state, by, groups, met, late, deadline, est = key
        if scope.filter_organisation_id is not None and org != scope.filter_organisation_id:
            continue
        out.append(
            Initiative(
                org,
                names.organisations.get(org, ""),
                names.units.get(unit, ""),
                kind,
                state,
                by,
                tuple(groups.split("|")) if groups else (),
                met,
                late,
                None if deadline is None else date.fromisoformat(deadline),
                est,
                n,
            )
        )
    return out


def _grouped(
    scope: Scope, rows: list[Initiative], key: Callable[[Initiative], tuple[Any, ...]]
) -> list[tuple[tuple[Any, ...], list[Initiative]]]:
    """Rows grouped by key (whose first two items are the organisation and its name), sorted
    by the key's names, the own organisation first."""
    groups: dict[tuple[Any, ...], list[Initiative]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    ordered = sorted(groups.items(), key=lambda kv: kv[0][1:])
    return own_first(ordered, scope, lambda kv: kv[0][0])


def _n(group: list[Initiative], test: Callable[[Initiative], bool] = lambda r: True) -> int:
    return sum(r.n for r in group if test(r))


def plans_by_state(scope: Scope, rows: list[Initiative]) -> Table:
    states = list(PlanState)
    out: list[tuple[Cell, ...]] = []
    for (org, name, unit), group in _grouped(
        scope, rows, lambda r: (r.organisation, r.organisation_name, r.unit_name)
    ):
        out.append(
            (
                name,
                unit,
                scope.count(_n(group), org),
                *(scope.count(sum(r.n for r in group if r.state == s), org) for s in states),
            )
        )
    return scope.table(
        "plans_by_state",
        _("Initiativ och planer per enhet och tillstånd"),
        (
            _org_column(),
            Column("unit", _("Enhet"), numeric=False),
            Column("initiatives", _("Initiativ")),
            *(Column(s.value, str(s.label)) for s in states),
        ),
        out,
        (_("Initiativ tagna under perioden, efter planens tillstånd i dag."),),
    )


def initiatives_by_initiator(scope: Scope, rows: list[Initiative]) -> Table:
    kinds = list(InitiatedBy)
    out = [
        (
            name,
            scope.count(_n(group), org),
            *(scope.count(sum(r.n for r in group if r.initiated_by == k), org) for k in kinds),
        )
        for (org, name), group in _grouped(
            scope, rows, lambda r: (r.organisation, r.organisation_name)
        )
    ]
    return scope.table(
        "initiatives_by_initiator",
        _("Vem tog initiativet"),
        (
            _org_column(),
            Column("initiatives", _("Initiativ")),
            *(Column(k.value, str(k.label)) for k in kinds),
        ),
        out,
    )


def plans_by_type_and_group(scope: Scope, rows: list[Initiative]) -> Table:
    groups = list(NeedGroup)
    types = dict(PlanType.choices)
    out = [
        (
            name,
            str(types.get(kind, kind)),
            scope.count(_n(group), org),
            *(scope.count(sum(r.n for r in group if g in r.need_groups), org) for g in groups),
            scope.count(_n(group, lambda r: not r.need_groups), org),
        )
        for (org, name, kind), group in _grouped(
            scope, rows, lambda r: (r.organisation, r.organisation_name, r.plan_type)
        )
    ]
    return scope.table(
        "plans_by_type_and_group",
        _("Initiativ per typ av plan och målgrupp"),
        (
            _org_column(),
            Column("plan_type", _("Typ av plan"), numeric=False),
            Column("initiatives", _("Initiativ")),
            *(Column(g.value, str(g.label)) for g in groups),
            Column("no_group", _("Ingen av målgrupperna")),
        ),
        out,
        (_("En plan kan höra till flera målgrupper."),),
    )


def lead_times(scope: Scope, rows: list[Initiative]) -> Table:
    """Days from the initiative to the first meeting held and to the first established
    version; past the deadline: the first meeting after `meeting_deadline`, or none held and
    the deadline gone by."""
    p = scope.protection
    out: list[tuple[Cell, ...]] = []
    for (org, name), group in _grouped(
        scope, rows, lambda r: (r.organisation, r.organisation_name)
    ):
        meet: list[int] = []
        est: list[int] = []
        late = 0
        for r in group:
            if r.meeting_days is not None:
                meet.extend([r.meeting_days] * r.n)
                late += r.n * r.met_late
            elif r.deadline is not None and r.deadline < scope.today:
                late += r.n
            if r.established_days is not None:
                est.extend([r.established_days] * r.n)
        own = scope.own(org)
        total = _n(group)
        out.append(
            (
                name,
                p.count(total, own=own),
                p.count(len(meet), own=own),
                p.statistic(median(meet), len(meet), own=own),
                p.statistic(percentile(meet, 90), len(meet), own=own),
                p.count(late, own=own),
                p.share(late, total, own=own),
                p.count(len(est), own=own),
                p.statistic(median(est), len(est), own=own),
                p.statistic(percentile(est, 90), len(est), own=own),
            )
        )
    return scope.table(
        "lead_times",
        _("Tid från initiativ till första möte och till upprättad plan (dagar)"),
        (
            _org_column(),
            Column("initiatives", _("Initiativ")),
            Column("with_meeting", _("Med hållet möte")),
            Column("meeting_median", _("Till första möte, median")),
            Column("meeting_p90", _("Till första möte, 90:e percentilen")),
            Column("past_deadline", _("Efter tidsgränsen")),
            Column("past_deadline_share", _("Andel efter tidsgränsen (%)")),
            Column("established", _("Upprättade")),
            Column("established_median", _("Till upprättad plan, median")),
            Column("established_p90", _("Till upprättad plan, 90:e percentilen")),
        ),
        out,
        (
            _(
                "Tidsgränsen är planens ”möte senast”: initiativdatumet plus det antal "
                "arbetsdagar som gäller (SAMPLAN_MEETING_DEADLINE_DAYS). Efter tidsgränsen: "
                "första mötet hölls senare, eller inget möte har hållits och gränsen har passerat."
            ),
        ),
    )


def initiative_tables(scope: Scope, facts: Facts, names: Names) -> dict[str, Table]:
    """The four initiative tables."""
    rows = initiatives(scope, facts, names)
    return {
        "plans_by_state": plans_by_state(scope, rows),
        "initiatives_by_initiator": initiatives_by_initiator(scope, rows),
        "plans_by_type_and_group": plans_by_type_and_group(scope, rows),
        "lead_times": lead_times(scope, rows),
    }


def _by_org(scope: Scope, facts: Facts, kind: str, names: Names) -> dict[int, dict[Key, int]]:
    """A counter keyed by (organisation, ...): per organisation, the rest of the key's counts,
    the organisation filter applied."""
    out: dict[int, dict[Key, int]] = defaultdict(lambda: defaultdict(int))
    for key, (n,) in facts.counters[kind].items():
        org = key[0]
        if scope.filter_organisation_id is not None and org != scope.filter_organisation_id:
            continue
        out[org][key[1:]] += n
    return out


def _ordered(scope: Scope, orgs: Any, names: Names) -> list[int]:
    return own_first(sorted(orgs, key=lambda o: names.organisations.get(o, "")), scope, lambda o: o)


def follow_ups(scope: Scope, facts: Facts, names: Names) -> Table:
    grouped = _by_org(scope, facts, "follow_ups", names)
    out = []
    for org in _ordered(scope, grouped, names):
        n = {"due": 0, "on_time": 0, "late": 0, "overdue": 0, "coming": 0}
        for (due, status), count in grouped[org].items():
            n["due"] += count
            if status == "open":
                status = "overdue" if date.fromisoformat(due) < scope.today else "coming"
            n[status] += count
        out.append((names.organisations.get(org, ""), *(scope.count(v, org) for v in n.values())))
    return scope.table(
        "follow_ups",
        _("Uppföljningar"),
        (
            _org_column(),
            Column("due", _("Planerade under perioden")),
            Column("on_time", _("Gjorda i tid")),
            Column("late", _("Gjorda för sent")),
            Column("overdue", _("Försenade, inte gjorda")),
            Column("coming", _("Inte gjorda, ännu inte aktuella")),
        ),
        out,
        (_("Uppföljningar med datum under perioden, per planens huvudansvariga huvudman."),),
    )


def goal_attainment(scope: Scope, facts: Facts, names: Names) -> Table:
    levels = list(Attainment)
    grouped = _by_org(scope, facts, "goals", names)
    p = scope.protection
    out = []
    for org in _ordered(scope, grouped, names):
        by_level = grouped[org]
        assessed = sum(by_level.values())
        out.append(
            (
                names.organisations.get(org, ""),
                scope.count(assessed, org),
                *(scope.count(by_level.get((a.value,), 0), org) for a in levels),
                p.share(
                    by_level.get((Attainment.ACHIEVED.value,), 0), assessed, own=scope.own(org)
                ),
            )
        )
    return scope.table(
        "goal_attainment",
        _("Måluppfyllelse vid uppföljning"),
        (
            _org_column(),
            Column("assessed", _("Uppföljningar med bedömning")),
            *(Column(a.value, str(a.label)) for a in levels),
            Column("achieved_share", _("Andel uppnått (%)")),
        ),
        out,
        (_("Uppföljningar gjorda under perioden: hur det gick för personen."),),
    )


def revisions_closures(scope: Scope, facts: Facts, names: Names) -> Table:
    first = scope.period_from.isoformat()
    revised = {
        org: sum(n for (before,), n in by.items() if before is None or before < first)
        for org, by in _by_org(scope, facts, "revisions", names).items()
    }
    closed = _by_org(scope, facts, "closures", names)
    reasons = list(ClosureReason)
    out = [
        (
            names.organisations.get(org, ""),
            scope.count(revised.get(org, 0), org),
            scope.count(sum(closed[org].values()) if org in closed else 0, org),
            *(
                scope.count(closed[org].get((r.value,), 0) if org in closed else 0, org)
                for r in reasons
            ),
        )
        for org in _ordered(scope, set(revised) | set(closed), names)
    ]
    return scope.table(
        "revisions_closures",
        _("Reviderade och avslutade planer"),
        (
            _org_column(),
            Column("revised", _("Reviderade planer")),
            Column("closed", _("Avslutade planer")),
            *(Column(r.value, str(r.label)) for r in reasons),
        ),
        out,
        (_("Reviderade: en ny version upprättad under perioden. Avslutade: efter skäl."),),
    )
