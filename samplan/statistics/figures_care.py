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
from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from samplan.agreements.models import ResponsibilityDispute
from samplan.plans.models import Deviation, DeviationKind, DeviationStatus, Invitation, PlanEvent
from samplan.statistics.figures_plans import responsible_org
from samplan.statistics.scope import Scope, local_date, median, own_first
from samplan.statistics.tables import Cell, Column, Table


def _days(start: datetime, end: datetime | None, today: Any) -> int:
    return ((local_date(end) if end is not None else today) - local_date(start)).days


def deviations(scope: Scope) -> Table:
    rows = (
        Deviation.objects.filter(scope.plan_q("plan__"))
        .filter(scope.in_period("reported_at"))
        .filter(scope.filtered("addressed_to_id"))
        .values_list("addressed_to_id", "addressed_to__name", "kind", "reported_at", "handled_at")
    )
    groups: dict[tuple[int, str, str], dict[str, list[int]]] = defaultdict(
        lambda: {"handled": [], "open": []}
    )
    for org, name, kind, reported, handled in rows:
        key = "handled" if handled is not None else "open"
        groups[(org, name, kind)][key].append(_days(reported, handled, scope.today))
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


def disputes(scope: Scope) -> Table:
    rows = (
        ResponsibilityDispute.objects.filter(scope.plan_q("plan__"))
        .filter(scope.in_period("recorded_at"))
        .filter(scope.filtered("recorded_unit__organisation_id"))
        .values_list(
            "recorded_unit__organisation_id",
            "recorded_unit__organisation__name",
            "recorded_at",
            "resolved_at",
        )
    )
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
    plans: dict[int, tuple[int, str]]  # plan id -> responsible organisation (id, name)

    @property
    def plan_ids(self) -> frozenset[int]:
        return frozenset(self.plans)


def back_and_forth_plans(scope: Scope) -> BackAndForth:
    """Four queries, whatever the number of plans: the three reasons, then their plans in the
    scope (the reasons again as subqueries, so that the query runs even when none is found)."""
    declined = (
        Invitation.objects.filter(answer="declined", unit__isnull=False)
        .filter(scope.in_period("meeting__starts_at"))
        .values("meeting__plan_id")
        .annotate(units=Count("unit", distinct=True))
        .filter(units__gte=2)
        .values_list("meeting__plan_id", flat=True)
    )
    lead_changed = (
        PlanEvent.objects.filter(
            Q(kind="lead_changed")
            | Q(kind="draft_changed", detail__fields__icontains='"lead_organisation"'),
            at__lt=scope.until(),
        )
        .values("plan_id")
        .annotate(
            changes=Count("pk"),
            in_period=Count("pk", filter=Q(at__gte=scope.since())),
        )
        .filter(Q(changes__gte=2, in_period__gte=1))
        .values_list("plan_id", flat=True)
    )
    disputed = (
        ResponsibilityDispute.objects.filter(recorded_at__lt=scope.until())
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=scope.since()))
        .values_list("plan_id", flat=True)
    )
    org, org_name = responsible_org()
    rows = (
        scope.plans()
        .filter(Q(pk__in=declined) | Q(pk__in=lead_changed) | Q(pk__in=disputed))
        .annotate(org=org, org_name=org_name)
        .filter(scope.filtered("org"))
        .values_list("pk", "org", "org_name")
    )
    plans = {pk: (o, name) for pk, o, name in rows}
    keep = set(plans)
    return BackAndForth(
        declined=frozenset(set(declined) & keep),
        lead_changed=frozenset(set(lead_changed) & keep),
        disputed=frozenset(set(disputed) & keep),
        plans=plans,
    )


def back_and_forth_table(scope: Scope, found: BackAndForth) -> Table:
    groups: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for pk, key in found.plans.items():
        g = groups[key]
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
