"""Figures about what went wrong: deviations by kind and the organisation they were addressed
to and how long they stay open; responsibility disputes and how long they take to resolve;
plans "sent back and forth" (seed 004: persons referred between addiction care and
psychiatry, each side pointing at the other).

A plan was sent back and forth in the period when, in the period, two or more units declined
invitations to its meetings (an invitation names no need, so the plan stands for the need), or
its lead organisation was changed (the plan's history has a second change of the lead
organisation, one of them in the period), or a responsibility dispute on it was open.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from samplan.agreements.models import ResponsibilityDispute
from samplan.core.orm import pk_among
from samplan.plans.models import DeviationKind, DeviationStatus, Plan
from samplan.statistics.facts import Facts, responsible_org
from samplan.statistics.scope import Names, Scope, local_date, median, own_first
from samplan.statistics.tables import Cell, Column, Table


def _days(start: datetime, end: datetime | None, today: Any) -> int:
    return ((local_date(end) if end is not None else today) - local_date(start)).days


def deviations(scope: Scope, facts: Facts, names: Names) -> Table:
    groups: dict[tuple[int, str, str], dict[str, list[int]]] = defaultdict(
        lambda: {"handled": [], "open": []}
    )
    for (org, kind, status, value), (n,) in facts.counters["deviations"].items():
        if scope.filter_organisation_id is not None and org != scope.filter_organisation_id:
            continue
        days = value if status == "handled" else (scope.today - date.fromisoformat(value)).days
        groups[(org, names.organisations.get(org, ""), kind)][status].extend([days] * n)
    kinds = dict(DeviationKind.choices)
    order = list(kinds)
    p = scope.protection
    out: list[tuple[Cell, ...]] = []
    ordered = sorted(groups.items(), key=lambda kv: (kv[0][1], order.index(kv[0][2])))
    for (org, name, kind), d in own_first(ordered, scope, lambda kv: kv[0][0]):
        own = scope.own(org)
        n_handled, n_open = len(d["handled"]), len(d["open"])
        out.append(
            (
                name,
                str(kinds.get(kind, kind)),
                p.count(n_handled + n_open, own=own),
                p.count(n_open, own=own),
                p.count(n_handled, own=own),
                p.statistic(median(d["handled"]), n_handled, own=own),
                p.statistic(median(d["open"]), n_open, own=own),
            )
        )
    return scope.table(
        "deviations",
        _("Avvikelser per typ och ansvarig organisation"),
        (
            Column("organisation", _("Till organisation"), numeric=False),
            Column("kind", _("Typ"), numeric=False),
            Column("reported", _("Rapporterade")),
            Column("open", _("Öppna")),
            Column("handled", _("Hanterade")),
            Column("days_to_handled", _("Dagar till hanterad, median")),
            Column("days_open", _("Dagar öppen hittills, median")),
        ),
        out,
        (
            _("Avvikelser rapporterade under perioden. Status i dag: %(statuses)s.")
            % {"statuses": ", ".join(str(s.label) for s in DeviationStatus)},
        ),
    )


@dataclass(frozen=True)
class DisputeRow:
    plan: int
    responsible: int  # the plan's responsible organisation
    recorded_org: int  # the organisation of the unit that recorded it
    recorded_name: str
    recorded_at: datetime
    resolved_at: datetime | None


def dispute_rows(scope: Scope) -> list[DisputeRow]:
    """The disputes open at some time in the period, on plans in the scope, read live (they
    are few, and their open ones' durations run to today): the disputes first, then their
    plans' scope and responsible organisation by primary key; two queries whatever is found
    (in one join, or with the plan looked up per dispute, the planner read every plan or
    compiled the statement for longer than it ran)."""
    found = list(
        ResponsibilityDispute.objects.filter(recorded_at__lt=scope.until())
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=scope.since()))
        .order_by()
        .values_list(
            "plan_id",
            "recorded_unit__organisation_id",
            "recorded_unit__organisation__name",
            "recorded_at",
            "resolved_at",
        )
    )
    in_scope = dict(
        Plan.objects.filter(pk_among(Plan, {row[0] for row in found}))
        .filter(scope.plan_q(""))
        .annotate(org=responsible_org())
        .order_by()
        .values_list("pk", "org")
    )
    return [
        DisputeRow(plan, in_scope[plan], org, name, recorded, resolved)
        for plan, org, name, recorded, resolved in found
        if plan in in_scope
    ]


def disputes(scope: Scope, found: list[DisputeRow]) -> Table:
    """The disputes recorded in the period (the organisation filter on who recorded them)."""
    since, until = scope.since(), scope.until()
    wanted = scope.filter_organisation_id
    rows = [
        (d.recorded_org, d.recorded_name, d.recorded_at, d.resolved_at)
        for d in found
        if since <= d.recorded_at < until and (wanted is None or d.recorded_org == wanted)
    ]
    groups: dict[tuple[int, str], dict[str, list[int]]] = defaultdict(
        lambda: {"resolved": [], "open": []}
    )
    for org, name, recorded, resolved in rows:
        key = "resolved" if resolved is not None else "open"
        groups[(org, name)][key].append(_days(recorded, resolved, scope.today))
    p = scope.protection
    out: list[tuple[Cell, ...]] = []
    ordered = sorted(groups.items(), key=lambda kv: kv[0][1])
    for (org, name), d in own_first(ordered, scope, lambda kv: kv[0][0]):
        own = scope.own(org)
        n_res, n_open = len(d["resolved"]), len(d["open"])
        out.append(
            (
                name,
                p.count(n_res + n_open, own=own),
                p.count(n_open, own=own),
                p.count(n_res, own=own),
                p.statistic(median(d["resolved"]), n_res, own=own),
                p.statistic(median(d["open"]), n_open, own=own),
            )
        )
    return scope.table(
        "disputes",
        _("Oenighet om ansvar"),
        (
            Column("organisation", _("Registrerad av organisation"), numeric=False),
            Column("recorded", _("Registrerade")),
            Column("open", _("Olösta")),
            Column("resolved", _("Lösta")),
            Column("days_to_resolved", _("Dagar till lösning, median")),
            Column("days_open", _("Dagar olöst hittills, median")),
        ),
        out,
        (_("Oenigheter registrerade under perioden."),),
    )


@dataclass(frozen=True)
class BackAndForth:
    """The plans sent back and forth in the period, in the organisation's scope, by reason."""

    declined: frozenset[int]
    lead_changed: frozenset[int]
    disputed: frozenset[int]
    plans: dict[int, int]  # plan id -> responsible organisation

    @property
    def plan_ids(self) -> frozenset[int]:
        return frozenset(self.plans)


def back_and_forth_plans(scope: Scope, facts: Facts, found: list[DisputeRow]) -> BackAndForth:
    """From the facts, the plans where two or more units declined and the plans whose lead
    changed; with them the plans with a dispute open in the period (dispute_rows)."""
    wanted = scope.filter_organisation_id
    declined, plans = facts.declines.sent_back_and_forth()
    lead_changed = set()
    for plan, org in facts.counters["lead_changes"]:
        lead_changed.add(plan)
        plans[plan] = org
    disputed = set()
    for row in found:
        disputed.add(row.plan)
        plans[row.plan] = row.responsible
    chosen = {
        plan: plans[plan]
        for plan in declined | lead_changed | disputed
        if wanted is None or plans[plan] == wanted
    }
    keep = set(chosen)
    return BackAndForth(
        declined=frozenset(declined & keep),
        lead_changed=frozenset(lead_changed & keep),
        disputed=frozenset(disputed & keep),
        plans=chosen,
    )


def back_and_forth_table(scope: Scope, found: BackAndForth, names: Names) -> Table:
    groups: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for pk, org in found.plans.items():
        g = groups[(org, names.organisations.get(org, ""))]
        g[0] += 1
        g[1] += pk in found.declined
        g[2] += pk in found.lead_changed
        g[3] += pk in found.disputed
    ordered = sorted(groups.items(), key=lambda kv: kv[0][1])
    out = [
        (name, *(scope.count(n, org) for n in counts))
        for (org, name), counts in own_first(ordered, scope, lambda kv: kv[0][0])
    ]
    return scope.table(
        "back_and_forth",
        _("Planer där personen skickats fram och tillbaka"),
        (
            Column("organisation", _("Organisation"), numeric=False),
            Column("plans", _("Planer")),
            Column("declined", _("Två eller fler enheter tackade nej")),
            Column("lead_changed", _("Huvudansvaret bytt")),
            Column("disputed", _("Oenighet om ansvar")),
        ),
        out,
        (
            _(
                "Under perioden: två eller fler enheter tackade nej till kallelser i samma plan, "
                "huvudansvaret flyttades till en annan huvudman, eller en oenighet om ansvar "
                "var olöst. En plan kan ha flera skäl."
            ),
        ),
    )
