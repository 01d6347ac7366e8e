"""Figures about plans: initiatives by state, initiator, type and target group; the time from
initiative to first meeting and to an established plan against the deadline; follow-ups, goal
attainment, revisions and closures.

Each table is one aggregate query (GROUP BY in the database), two where a table joins two
kinds of rows; durations (medians, percentiles) are computed from one query's rows of dates,
the same on SQLite and PostgreSQL. Rows are keyed by organisation: the initiating unit's for
initiatives, the plan's responsible organisation (the lead organisation, or before one is
named the initiating unit's) for what happens in a plan afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext as _

from samplan.plans.models import (
    Attainment,
    ClosureReason,
    FollowUp,
    InitiatedBy,
    Meeting,
    NeedGroup,
    PlanState,
    PlanType,
    PlanVersion,
)
from samplan.statistics.scope import (
    Scope,
    local_date,
    local_zone,
    median,
    own_first,
    percentile,
)
from samplan.statistics.tables import Cell, Column, Table

INITIATING_ORG = "initiating_unit__organisation_id"
INITIATING_ORG_NAME = "initiating_unit__organisation__name"


def _org_column() -> Column:
    return Column("organisation", _("Organisation"), numeric=False)


def responsible_org(prefix: str = "") -> tuple[Coalesce, Coalesce]:
    """The organisation responsible for a plan (id, name): the lead organisation, or the
    initiating unit's before one is named."""
    return (
        Coalesce(
            F(f"{prefix}lead_organisation_id"), F(f"{prefix}initiating_unit__organisation_id")
        ),
        Coalesce(
            F(f"{prefix}lead_organisation__name"), F(f"{prefix}initiating_unit__organisation__name")
        ),
    )


@dataclass(frozen=True)
class Initiative:
    """One initiative of the period: what the four initiative tables count."""

    organisation: int
    organisation_name: str
    unit_name: str
    plan_type: str
    state: str
    initiated_by: str
    need_groups: tuple[str, ...]
    initiated_on: date
    deadline: date
    first_meeting: datetime | None
    first_version: datetime | None


def initiatives(scope: Scope) -> list[Initiative]:
    """The initiatives of the period in the scope, with their first meeting held and first
    version: one query, shared by the four initiative tables."""
    meeting = Subquery(
        Meeting.objects.filter(plan=OuterRef("pk"), held_at__isnull=False)
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    version = Subquery(
        PlanVersion.objects.filter(plan=OuterRef("pk"), number=1).values("established_at")[:1]
    )
    rows = (
        scope.plans()
        .filter(initiated_on__gte=scope.period_from, initiated_on__lte=scope.period_to)
        .filter(scope.filtered(INITIATING_ORG))
        .annotate(first_meeting=meeting, first_version=version)
        .values_list(
            INITIATING_ORG,
            INITIATING_ORG_NAME,
            "initiating_unit__name",
            "plan_type",
            "state",
            "initiated_by",
            "need_groups",
            "initiated_on",
            "meeting_deadline",
            "first_meeting",
            "first_version",
        )
    )
    return [
        Initiative(o, name, unit, kind, state, by, tuple(groups or ()), on, deadline, met, est)
        for o, name, unit, kind, state, by, groups, on, deadline, met, est in rows
    ]


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


def plans_by_state(scope: Scope, rows: list[Initiative] | None = None) -> Table:
    rows = initiatives(scope) if rows is None else rows
    states = list(PlanState)
    out: list[tuple[Cell, ...]] = []
    for (org, name, unit), group in _grouped(
        scope, rows, lambda r: (r.organisation, r.organisation_name, r.unit_name)
    ):
        out.append(
            (
                name,
                unit,
                scope.count(len(group), org),
                *(scope.count(sum(r.state == s for r in group), org) for s in states),
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


def initiatives_by_initiator(scope: Scope, rows: list[Initiative] | None = None) -> Table:
    rows = initiatives(scope) if rows is None else rows
    kinds = list(InitiatedBy)
    out = [
        (
            name,
            scope.count(len(group), org),
            *(scope.count(sum(r.initiated_by == k for r in group), org) for k in kinds),
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


def plans_by_type_and_group(scope: Scope, rows: list[Initiative] | None = None) -> Table:
    rows = initiatives(scope) if rows is None else rows
    groups = list(NeedGroup)
    types = dict(PlanType.choices)
    out = [
        (
            name,
            str(types.get(kind, kind)),
            scope.count(len(group), org),
            *(scope.count(sum(g in r.need_groups for r in group), org) for g in groups),
            scope.count(sum(not r.need_groups for r in group), org),
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


def lead_times(scope: Scope, rows: list[Initiative] | None = None) -> Table:
    """Days from the initiative to the first meeting held and to the first established
    version; past the deadline: the first meeting after `meeting_deadline`, or none held and
    the deadline gone by."""
    rows = initiatives(scope) if rows is None else rows
    p = scope.protection
    out: list[tuple[Cell, ...]] = []
    for (org, name), group in _grouped(
        scope, rows, lambda r: (r.organisation, r.organisation_name)
    ):
        meet: list[int] = []
        est: list[int] = []
        late = 0
        for r in group:
            if r.first_meeting is not None:
                day = local_date(r.first_meeting)
                meet.append((day - r.initiated_on).days)
                late += day > r.deadline
            elif r.deadline < scope.today:
                late += 1
            if r.first_version is not None:
                est.append((local_date(r.first_version) - r.initiated_on).days)
        own = scope.own(org)
        out.append(
            (
                name,
                p.count(len(group), own=own),
                p.count(len(meet), own=own),
                p.statistic(median(meet), len(meet), own=own),
                p.statistic(percentile(meet, 90), len(meet), own=own),
                p.count(late, own=own),
                p.share(late, len(group), own=own),
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


def initiative_tables(scope: Scope) -> dict[str, Table]:
    """The four initiative tables from one query."""
    rows = initiatives(scope)
    return {
        "plans_by_state": plans_by_state(scope, rows),
        "initiatives_by_initiator": initiatives_by_initiator(scope, rows),
        "plans_by_type_and_group": plans_by_type_and_group(scope, rows),
        "lead_times": lead_times(scope, rows),
    }


def follow_ups(scope: Scope) -> Table:
    org, org_name = responsible_org("plan__")
    done_day = TruncDate("done_at", tzinfo=local_zone())
    rows = (
        FollowUp.objects.filter(
            scope.plan_q("plan__"),
            due_date__gte=scope.period_from,
            due_date__lte=scope.period_to,
        )
        .annotate(org=org, org_name=org_name, done_day=done_day)
        .filter(scope.filtered("org"))
        .values("org", "org_name")
        .annotate(
            due=Count("pk"),
            on_time=Count("pk", filter=Q(done_at__isnull=False, done_day__lte=F("due_date"))),
            late=Count("pk", filter=Q(done_at__isnull=False, done_day__gt=F("due_date"))),
            overdue=Count("pk", filter=Q(done_at__isnull=True, due_date__lt=scope.today)),
            coming=Count("pk", filter=Q(done_at__isnull=True, due_date__gte=scope.today)),
        )
        .order_by("org_name")
    )
    out = [
        (
            r["org_name"],
            *(scope.count(r[k], r["org"]) for k in ("due", "on_time", "late", "overdue", "coming")),
        )
        for r in own_first(list(rows), scope, lambda r: r["org"])
    ]
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


def goal_attainment(scope: Scope) -> Table:
    org, org_name = responsible_org("plan__")
    levels = list(Attainment)
    rows = (
        FollowUp.objects.filter(scope.plan_q("plan__"))
        .filter(scope.in_period("done_at"))
        .exclude(attainment="")
        .annotate(org=org, org_name=org_name)
        .filter(scope.filtered("org"))
        .values("org", "org_name")
        .annotate(
            assessed=Count("pk"),
            **{f"a_{a.value}": Count("pk", filter=Q(attainment=a.value)) for a in levels},
        )
        .order_by("org_name")
    )
    p = scope.protection
    out = [
        (
            r["org_name"],
            scope.count(r["assessed"], r["org"]),
            *(scope.count(r[f"a_{a.value}"], r["org"]) for a in levels),
            p.share(r[f"a_{Attainment.ACHIEVED}"], r["assessed"], own=scope.own(r["org"])),
        )
        for r in own_first(list(rows), scope, lambda r: r["org"])
    ]
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


def revisions_closures(scope: Scope) -> Table:
    org, org_name = responsible_org("plan__")
    revised = (
        PlanVersion.objects.filter(scope.plan_q("plan__"), number__gte=2)
        .filter(scope.in_period("established_at"))
        .annotate(org=org, org_name=org_name)
        .filter(scope.filtered("org"))
        .values("org", "org_name")
        .annotate(plans=Count("plan", distinct=True))
    )
    porg, porg_name = responsible_org()
    reasons = list(ClosureReason)
    closed = (
        scope.plans()
        .filter(scope.in_period("closed_at"))
        .annotate(org=porg, org_name=porg_name)
        .filter(scope.filtered("org"))
        .values("org", "org_name")
        .annotate(
            closed=Count("pk"),
            **{f"r_{r.value}": Count("pk", filter=Q(closure_reason=r.value)) for r in reasons},
        )
    )
    merged: dict[int, dict[str, Any]] = defaultdict(dict)
    for row in [*revised, *closed]:
        merged[row["org"]].update(row)
    ordered = sorted(merged.items(), key=lambda kv: kv[1]["org_name"])
    out = [
        (
            d["org_name"],
            scope.count(d.get("plans", 0), org_id),
            scope.count(d.get("closed", 0), org_id),
            *(scope.count(d.get(f"r_{r.value}", 0), org_id) for r in reasons),
        )
        for org_id, d in own_first(ordered, scope, lambda kv: kv[0])
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
