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


def _counted(
    scope: Scope, facts: Facts, kind: str, names: Names, part: Callable[[Key], Any]
) -> list[tuple[tuple[Any, ...], dict[Any, int]]]:
    """An initiative counter grouped by organisation (and `part(key)`'s name, when it gives
    a group of its own): per group, the counts of the rest of the key, sorted by the
    group's names, the own organisation first."""
    groups: dict[tuple[Any, ...], dict[Any, int]] = defaultdict(lambda: defaultdict(int))
    for key, (n,) in facts.counters[kind].items():
        org = key[0]
        if scope.filter_organisation_id is not None and org != scope.filter_organisation_id:
            continue
        group, rest = part(key)
        groups[(org, names.organisations.get(org, ""), *group)][rest] += n
    ordered = sorted(groups.items(), key=lambda kv: kv[0][1:])
    return own_first(ordered, scope, lambda kv: kv[0][0])


def plans_by_state(scope: Scope, facts: Facts, names: Names) -> Table:
    states = list(PlanState)
    out: list[tuple[Cell, ...]] = []
    for (org, name, unit), counts in _counted(
        scope, facts, "init_state", names, lambda k: ((names.units.get(k[1], ""),), k[2])
    ):
        out.append(
            (
                name,
                unit,
                scope.count(sum(counts.values()), org),
                *(scope.count(counts.get(s, 0), org) for s in states),
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


def initiatives_by_initiator(scope: Scope, facts: Facts, names: Names) -> Table:
    kinds = list(InitiatedBy)
    out = [
        (
            name,
            scope.count(sum(counts.values()), org),
            *(scope.count(counts.get(k, 0), org) for k in kinds),
        )
        for (org, name), counts in _counted(scope, facts, "init_by", names, lambda k: ((), k[1]))
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


def plans_by_type_and_group(scope: Scope, facts: Facts, names: Names) -> Table:
    groups = list(NeedGroup)
    types = dict(PlanType.choices)
    out = []
    for (org, name, kind), counts in _counted(
        scope, facts, "init_type", names, lambda k: ((k[1],), k[2])
    ):
        split = {joined: (joined.split("|") if joined else []) for joined in counts}
        out.append(
            (
                name,
                str(types.get(kind, kind)),
                scope.count(sum(counts.values()), org),
                *(
                    scope.count(sum(n for j, n in counts.items() if g in split[j]), org)
                    for g in groups
                ),
                scope.count(sum(n for j, n in counts.items() if not split[j]), org),
            )
        )
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


def lead_times(scope: Scope, facts: Facts, names: Names) -> Table:
    """Days from the initiative to the first meeting held and to the first established
    version; past the deadline: the first meeting after `meeting_deadline`, or none held and
    the deadline gone by."""
    p = scope.protection
    established = dict(_counted(scope, facts, "init_established", names, lambda k: ((), k[1])))
    out: list[tuple[Cell, ...]] = []
    for (org, name), counts in _counted(scope, facts, "init_meeting", names, lambda k: ((), k[1:])):
        meet: list[int] = []
        est: list[int] = []
        late = 0
        for (days, met_late, deadline), n in counts.items():
            if days is not None:
                meet.extend([days] * n)
                late += n * met_late
            elif deadline is not None and date.fromisoformat(deadline) < scope.today:
                late += n
        for days, n in established.get((org, name), {}).items():
            if days is not None:
                est.extend([days] * n)
        own = scope.own(org)
        total = sum(counts.values())
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
    return {
        "plans_by_state": plans_by_state(scope, facts, names),
        "initiatives_by_initiator": initiatives_by_initiator(scope, facts, names),
        "plans_by_type_and_group": plans_by_type_and_group(scope, facts, names),
        "lead_times": lead_times(scope, facts, names),
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
