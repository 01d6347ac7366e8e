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
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from samplan.statistics.facts import Facts
from samplan.statistics.scope import Names, Scope, quarter_label
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


@dataclass
class InvitationSums:
    """The period's invitations summed for seed 004's table, by (calling organisation's
    name, invited organisation's name, year, quarter, calling id, invited id), and the
    declines by (invited id, invited organisation's name, reason group)."""

    attendance: dict[tuple[Any, ...], list[int]]
    declines: dict[tuple[int, str, str], int]


def invitation_counts(scope: Scope, facts: Facts, names: Names) -> InvitationSums:
    """The period's invitations by calling organisation, invited organisation and quarter,
    and the declines by the group of their reason (the organisation filter applied): one
    pass over the counter, no record per key."""
    wanted = scope.filter_organisation_id
    org_name = names.organisations.get
    width = len(ATTENDANCE_KEYS)
    declined_at = ATTENDANCE_KEYS.index("declined")
    sums: dict[tuple[Any, ...], list[int]] = {}
    declines: dict[tuple[int, str, str], int] = defaultdict(int)
    for (calling, invited, year, quarter, reason), counts in facts.counters["attendance"].items():
        if wanted is not None and wanted not in (calling, invited):
            continue
        invited_name = org_name(invited, "")
        key = (org_name(calling, ""), invited_name, year, quarter, calling, invited)
        total = sums.get(key)
        if total is None:
            sums[key] = list(counts[:width])
        else:
            for i in range(width):
                total[i] += counts[i]
        if reason:
            declines[(invited, invited_name, reason)] += counts[declined_at]
    return InvitationSums(sums, declines)


def attendance(scope: Scope, counts: InvitationSums) -> Table:
    """Seed 004: invitations by calling organisation, invited organisation and quarter. A row
    is the manager's own (exact) when the own organisation called or was invited."""
    sums = counts.attendance
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


def meeting_tables(scope: Scope, facts: Facts, names: Names) -> dict[str, Table]:
    """Seed 004's table and the reasons for declining."""
    counts = invitation_counts(scope, facts, names)
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


def reason_labels() -> dict[str, str]:
    return {
        "responsibility": _("Hänvisar ansvaret till annan"),
        "not_relevant": _("Inte aktuell för enheten"),
        "time": _("Tid, frånvaro eller krock"),
        "other": _("Annat skäl"),
        "none": _("Inget skäl angivet"),
    }


def declines_by_reason(scope: Scope, counts: InvitationSums) -> Table:
    labels = reason_labels()
    order = list(labels)
    sums = counts.declines
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


def sip_times(scope: Scope, facts: Facts, names: Names) -> Table:
    """Attendance at meetings booked on a fixed SIP time against the other meetings, per
    calling organisation."""
    wanted = scope.filter_organisation_id
    sums: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for (calling, booked, invited), (meetings, invited_n, attended) in facts.counters[
        "sip"
    ].items():
        if invited is None:  # the meetings, counted once each
            if wanted is None or wanted == calling:
                sums[(calling, booked)][0] += meetings
            continue
        if wanted is not None and wanted != calling:
            if invited != wanted:
                continue
            sums[(calling, booked)][0] += meetings  # the meetings with an invitation to it
        total = sums[(calling, booked)]
        total[1] += invited_n
        total[2] += attended
    p = scope.protection
    out: list[tuple[Cell, ...]] = []
    ordered = sorted(
        sums.items(),
        key=lambda kv: (
            not scope.own(kv[0][0]),
            names.organisations.get(kv[0][0], ""),
            -kv[0][1],
        ),
    )
    for (calling, booked), (meetings, invited_n, attended) in ordered:
        own = scope.own(calling)
        out.append(
            (
                names.organisations.get(calling, ""),
                _("Fast SIP-tid") if booked else _("Annan tid"),
                p.count(meetings, own=own),
                p.count(invited_n, own=own),
                p.count(attended, own=own),
                p.share(attended, invited_n, own=own),
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
