"""Figures about meetings: seed 004's table (who came to the meetings each principal called,
per quarter), the reasons given for declining, and attendance at booked fixed SIP times.

The calling organisation of a meeting is the plan's responsible organisation (the lead
organisation, or the initiating unit's before one is named). The invited organisation is the
invited unit's, or for an external invitee the registry's organisation he or she comes from;
invitees outside the registry (next of kin, an organisation by name only) are not counted.
Cancelled meetings are left out; a meeting belongs to the quarter it starts in (local time).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Case, Count, F, Max, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, ExtractQuarter, ExtractYear
from django.utils.translation import gettext as _

from samplan.plans.models import Invitation, InvitationAnswer
from samplan.statistics.figures_plans import responsible_org
from samplan.statistics.scope import Scope, local_zone, quarter_label
from samplan.statistics.tables import Cell, Column, Table

ATTENDANCE_KEYS = (
    "invited",
    "answered",
    "accepted",
    "declined",
    "represented",
    "attended",
    "no_answer",
)


def _invitations(scope: Scope) -> QuerySet[Invitation]:
    calling, calling_name = responsible_org("meeting__plan__")
    return (
        Invitation.objects.filter(meeting__cancelled_at__isnull=True)
        .filter(scope.in_period("meeting__starts_at"))
        .annotate(
            calling=calling,
            calling_name=calling_name,
            invited_org=Coalesce(F("unit__organisation_id"), F("invitee_organisation_id")),
            invited_name=Coalesce(F("unit__organisation__name"), F("invitee_organisation__name")),
        )
        .filter(invited_org__isnull=False)
        .filter(scope.plan_q("meeting__plan__") | Q(unit__organisation_id=scope.organisation_id))
        .filter(scope.filtered("calling", "invited_org"))
    )


def invitation_counts(scope: Scope) -> list[dict[str, Any]]:
    """The period's invitations by calling organisation, invited organisation, quarter and,
    for a decline, the group of its reason: one query for seed 004's table and the reasons."""
    zone = local_zone()
    A = InvitationAnswer
    reason = Case(
        When(~Q(answer=A.DECLINED), then=Value("")),
        When(decline_reason="", then=Value("none")),
        *[When(_any_word(words), then=Value(key)) for key, words in REASON_WORDS],
        default=Value("other"),
    )
    query: Any = (  # values() rows: dicts of the names below
        _invitations(scope)
        .annotate(
            year=ExtractYear("meeting__starts_at", tzinfo=zone),
            quarter=ExtractQuarter("meeting__starts_at", tzinfo=zone),
            reason=reason,
        )
        # Grouped by the ids only, the names (one per id) taken with Max: a narrower sort
        # for the database (about a third faster on a region's year, PostgreSQL).
        .values("calling", "invited_org", "year", "quarter", "reason")
        .annotate(
            calling_label=Max("calling_name"),
            invited_label=Max("invited_name"),
            invited=Count("pk"),
            answered=Count("pk", filter=~Q(answer=A.PENDING)),
            accepted=Count("pk", filter=Q(answer=A.ACCEPTED)),
            declined=Count("pk", filter=Q(answer=A.DECLINED)),
            represented=Count("pk", filter=Q(answer=A.REPRESENTED)),
            attended=Count("pk", filter=Q(attended=True)),
            no_answer=Count("pk", filter=Q(answer=A.PENDING)),
        )
        .order_by()
    )
    rows: list[dict[str, Any]] = list(query)
    for r in rows:
        r["calling_name"] = r.pop("calling_label")
        r["invited_name"] = r.pop("invited_label")
    return rows


def attendance(scope: Scope, counts: list[dict[str, Any]] | None = None) -> Table:
    """Seed 004: invitations by calling organisation, invited organisation and quarter. A row
    is the manager's own (exact) when the own organisation called or was invited."""
    counts = invitation_counts(scope) if counts is None else counts
    sums: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * len(ATTENDANCE_KEYS))
    for r in counts:
        key = (
            r["calling_name"],
            r["invited_name"],
            r["year"],
            r["quarter"],
            r["calling"],
            r["invited_org"],
        )
        total = sums[key]
        for i, k in enumerate(ATTENDANCE_KEYS):
            total[i] += r[k]
    p = scope.protection
    out: list[tuple[Cell, ...]] = []
    for key in sorted(sums):
        calling_name, invited_name, year, quarter, calling, invited = key
        own = scope.own(calling) or scope.own(invited)
        out.append(
            (
                calling_name,
                invited_name,
                quarter_label(year, quarter),
                *(p.count(n, own=own) for n in sums[key]),
            )
        )
    return scope.table(
        "attendance",
        _("Kallelser och deltagande per kallande och kallad organisation och kvartal"),
        attendance_columns(),
        out,
        (
            _(
                "Kallande organisation: planens huvudansvariga huvudman (före det den "
                "initierande enhetens organisation). Inställda möten räknas inte."
            ),
        ),
    )


def meeting_tables(scope: Scope) -> dict[str, Table]:
    """Seed 004's table and the reasons for declining, from one query."""
    counts = invitation_counts(scope)
    return {
        "attendance": attendance(scope, counts),
        "declines_by_reason": declines_by_reason(scope, counts),
    }


def attendance_columns() -> tuple[Column, ...]:
    return (
        Column("calling_organisation", _("Kallande organisation"), numeric=False),
        Column("invited_organisation", _("Kallad organisation"), numeric=False),
        Column("quarter", _("Kvartal"), numeric=False),
        Column("invited", _("Kallade")),
        Column("answered", _("Svarat")),
        Column("accepted", _("Kommer")),
        Column("declined", _("Kommer inte")),
        Column("represented", _("Företräds av annan")),
        Column("attended", _("Deltog")),
        Column("no_answer", _("Inget svar")),
    )


# Reasons for declining are free text; they are grouped by words that mark the common kinds,
# checked in this order (the first match wins). The texts themselves are never shown.
REASON_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("responsibility", ("ansvar", "bör ha", "hör till", "hänvis", "inte vår", "annan huvudman")),
    ("not_relevant", ("inte aktuell", "ej aktuell", "inga insatser", "avslutad")),
    ("time", ("krock", "semester", "sjuk", "ledig", "hinner", "tid")),
)


def reason_labels() -> dict[str, str]:
    return {
        "responsibility": _("Hänvisar ansvaret till annan"),
        "not_relevant": _("Inte aktuell för enheten"),
        "time": _("Tid, frånvaro eller krock"),
        "other": _("Annat skäl"),
        "none": _("Inget skäl angivet"),
    }


def declines_by_reason(scope: Scope, counts: list[dict[str, Any]] | None = None) -> Table:
    counts = invitation_counts(scope) if counts is None else counts
    labels = reason_labels()
    order = list(labels)
    sums: dict[tuple[int, str, str], int] = defaultdict(int)
    for r in counts:
        if r["reason"]:
            sums[(r["invited_org"], r["invited_name"], r["reason"])] += r["declined"]
    ordered = sorted(sums, key=lambda k: (not scope.own(k[0]), k[1], order.index(k[2])))
    out = [
        (name, labels[reason], scope.count(sums[(org, name, reason)], org))
        for org, name, reason in ordered
    ]
    return scope.table(
        "declines_by_reason",
        _("Skäl för att inte komma, per kallad organisation"),
        (
            Column("invited_organisation", _("Kallad organisation"), numeric=False),
            Column("reason", _("Skäl"), numeric=False),
            Column("declined", _("Kommer inte")),
        ),
        out,
        (_("Skälen är fritext och grupperas efter ord som kännetecknar dem; texten visas inte."),),
    )


def _any_word(words: tuple[str, ...]) -> Q:
    q = Q()
    for word in words:
        q |= Q(decline_reason__icontains=word)
    return q


def sip_times(scope: Scope) -> Table:
    """Attendance at meetings booked on a fixed SIP time against the other meetings, per
    calling organisation."""
    rows = (
        _invitations(scope)
        .annotate(
            booked=Case(When(meeting__sip_time__isnull=False, then=Value(1)), default=Value(0))
        )
        .values("calling", "calling_name", "booked")
        .annotate(
            meetings=Count("meeting", distinct=True),
            invited=Count("pk"),
            attended=Count("pk", filter=Q(attended=True)),
        )
        .order_by("calling_name", "-booked")
    )
    p = scope.protection
    out: list[tuple[Cell, ...]] = []
    for r in sorted(
        rows, key=lambda r: (not scope.own(r["calling"]), r["calling_name"], -r["booked"])
    ):
        own = scope.own(r["calling"])
        out.append(
            (
                r["calling_name"],
                _("Fast SIP-tid") if r["booked"] else _("Annan tid"),
                p.count(r["meetings"], own=own),
                p.count(r["invited"], own=own),
                p.count(r["attended"], own=own),
                p.share(r["attended"], r["invited"], own=own),
            )
        )
    return scope.table(
        "sip_times",
        _("Deltagande vid möten på fasta SIP-tider"),
        (
            Column("calling_organisation", _("Kallande organisation"), numeric=False),
            Column("booked", _("Bokat på"), numeric=False),
            Column("meetings", _("Möten")),
            Column("invited", _("Kallade")),
            Column("attended", _("Deltog")),
            Column("attended_share", _("Andel som deltog (%)")),
        ),
        out,
    )
