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


def _initiatives(scope: Scope) -> Any:
    return (
        scope.plans()
        .filter(initiated_on__gte=scope.period_from, initiated_on__lte=scope.period_to)
        .filter(scope.filtered(INITIATING_ORG))
    )


def plans_by_state(scope: Scope) -> Table:
    states = list(PlanState)
    rows = (
        _initiatives(scope)
        .values(INITIATING_ORG, INITIATING_ORG_NAME, "initiating_unit__name")
        .annotate(
            total=Count("pk"),
            **{f"s_{s.value}": Count("pk", filter=Q(state=s.value)) for s in states},
        )
        .order_by(INITIATING_ORG_NAME, "initiating_unit__name")
    )
    out: list[tuple[Cell, ...]] = []
    for r in own_first(list(rows), scope, lambda r: r[INITIATING_ORG]):
        org = r[INITIATING_ORG]
        out.append(
            (
                r[INITIATING_ORG_NAME],
                r["initiating_unit__name"],
                scope.count(r["total"], org),
                *(scope.count(r[f"s_{s.value}"], org) for s in states),
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


def initiatives_by_initiator(scope: Scope) -> Table:
    kinds = list(InitiatedBy)
    rows = (
        _initiatives(scope)
        .values(INITIATING_ORG, INITIATING_ORG_NAME)
        .annotate(
            total=Count("pk"),
            **{f"k_{k.value}": Count("pk", filter=Q(initiated_by=k.value)) for k in kinds},
        )
        .order_by(INITIATING_ORG_NAME)
    )
    out = [
        (
            r[INITIATING_ORG_NAME],
            scope.count(r["total"], r[INITIATING_ORG]),
            *(scope.count(r[f"k_{k.value}"], r[INITIATING_ORG]) for k in kinds),
        )
        for r in own_first(list(rows), scope, lambda r: r[INITIATING_ORG])
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


def plans_by_type_and_group(scope: Scope) -> Table:
    groups = list(NeedGroup)
    rows = (
        _initiatives(scope)
        .values(INITIATING_ORG, INITIATING_ORG_NAME, "plan_type")
        .annotate(
            total=Count("pk"),
            # need_groups is a JSON list of codes; a code is matched with its quotes.
            **{
                f"g_{g.value}": Count("pk", filter=Q(need_groups__icontains=f'"{g.value}"'))
                for g in groups
            },
            none=Count("pk", filter=Q(need_groups=[])),
        )
        .order_by(INITIATING_ORG_NAME, "plan_type")
    )
    types = dict(PlanType.choices)
    out = [
        (
            r[INITIATING_ORG_NAME],
            str(types.get(r["plan_type"], r["plan_type"])),
            scope.count(r["total"], r[INITIATING_ORG]),
            *(scope.count(r[f"g_{g.value}"], r[INITIATING_ORG]) for g in groups),
            scope.count(r["none"], r[INITIATING_ORG]),
        )
        for r in own_first(list(rows), scope, lambda r: r[INITIATING_ORG])
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


def lead_times(scope: Scope) -> Table:
    """Days from the initiative to the first meeting held and to the first established
    version; past the deadline: the first meeting after `meeting_deadline`, or none held and
    the deadline gone by."""
    meeting = Subquery(
        Meeting.objects.filter(plan=OuterRef("pk"), held_at__isnull=False)
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    version = Subquery(
        PlanVersion.objects.filter(plan=OuterRef("pk"), number=1).values("established_at")[:1]
    )
    rows = (
        _initiatives(scope)
        .annotate(first_meeting=meeting, first_version=version)
        .values_list(
            INITIATING_ORG,
            INITIATING_ORG_NAME,
            "initiated_on",
            "meeting_deadline",
            "first_meeting",
            "first_version",
        )
    )
    by_org: dict[int, dict[str, Any]] = {}
    for org, name, initiated, deadline, met, established in rows:
        d = by_org.setdefault(
            org, {"name": name, "n": 0, "meet": [], "late": 0, "est": [], "waiting": 0}
        )
        d["n"] += 1
        if met is not None:
            day = local_date(met)
            d["meet"].append((day - initiated).days)
            d["late"] += day > deadline
        elif deadline < scope.today:
            d["late"] += 1
            d["waiting"] += 1
        if established is not None:
            d["est"].append((local_date(established) - initiated).days)
    p = scope.protection
    out: list[tuple[Cell, ...]] = []
    ordered = sorted(by_org.items(), key=lambda kv: kv[1]["name"])
    for org, d in own_first(ordered, scope, lambda kv: kv[0]):
        own = scope.own(org)
        out.append(
            (
                d["name"],
                p.count(d["n"], own=own),
                p.count(len(d["meet"]), own=own),
                p.statistic(median(d["meet"]), len(d["meet"]), own=own),
                p.statistic(percentile(d["meet"], 90), len(d["meet"]), own=own),
                p.count(d["late"], own=own),
                p.share(d["late"], d["n"], own=own),
                p.count(len(d["est"]), own=own),
                p.statistic(median(d["est"]), len(d["est"]), own=own),
                p.statistic(percentile(d["est"], 90), len(d["est"]), own=own),
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
