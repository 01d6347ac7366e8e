"""Removing audit events at the end of the retention period: `samplan audit retain`.

Events older than a month boundary (`before`, 00:00 Stockholm time on the first of a month)
are removed as whole months, only when every one of them is sealed, and only when `before`
lies outside the retention period (`SAMPLAN_AUDIT_RETENTION_MONTHS`, default 120: ten years;
the law asks for at least five). A signed retention record (`AuditRetention`) says what went,
so that `samplan audit verify` tells removed events from deleted ones:

- the events removed (id ranges, count) and, on PostgreSQL, the month partitions dropped;
- the oldest seals, which held only removed events, are removed with them: the record names
  the last one (`seals_through`) and keeps its hash, which the oldest seal kept links to, so
  verify follows the chain of seals from the record;
- a seal kept that also held removed events (a batch that crossed the month boundary) stays
  checkable: the record carries the removed events' leaves (id and content hash);
- records are chained to each other and signed with the audit seal key.

PostgreSQL (the table partitioned by month, samplan/audit/partitions.py): each month's
partition is detached and dropped (milliseconds, the space returned at once); the removed
seals are deleted with the seal table's append-only trigger lifted by the owner inside the
transaction. SQLite: the events and seals are deleted in the same one transaction, with the
append-only triggers dropped and made again inside it (SQLite's DDL is transactional, so no
other connection ever sees the table without them).

Everything happens in one transaction: on any refusal or error nothing is changed.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from samplan.audit import partitions
from samplan.audit.chain import GENESIS
from samplan.audit.models import AuditEvent, AuditRetention, AuditSeal
from samplan.audit.seal import (
    ADVISORY_LOCK,
    format_ranges,
    key_id,
    parse_ranges,
    public_hex,
    seal_hash,
    signing_key,
)
from samplan.core import env

log = logging.getLogger(__name__)

STATEMENT_VERSION = "samplan-audit-retention-v1"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class RetentionError(Exception):
    """Retention refused; the message is in Swedish and English. Nothing was changed."""


@dataclass(frozen=True)
class Retained:
    record: AuditRetention | None
    events: int
    seals: int
    partitions: list[str]


# Input ----------------------------------------------------------------------------------------


def parse_month(text: str) -> date:
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise RetentionError(
            f"Ogiltig månad {text!r}: skriv ÅÅÅÅ-MM, t.ex. 2016-01. / "
            f"Invalid month {text!r}: write YYYY-MM, e.g. 2016-01."
        )
    return date(int(match[1]), int(match[2]), 1)


def retention_months() -> int:
    """SAMPLAN_AUDIT_RETENTION_MONTHS (default 120: ten years); settings.AUDIT_RETENTION_MONTHS,
    when set, wins (tests)."""
    configured = getattr(settings, "AUDIT_RETENTION_MONTHS", None)
    return int(configured if configured is not None else env.read("SAMPLAN_AUDIT_RETENTION_MONTHS"))


def latest_cutoff(now: datetime | None = None) -> date:
    """The latest month `before` may name: the retention period back from this month."""
    return partitions.add_months(partitions.current_month(now), -retention_months())


# The record's statement -----------------------------------------------------------------------


def statement(record: AuditRetention) -> bytes:
    """What the key signs: every field of the record but the signature, one per line."""
    return "\n".join(
        [
            STATEMENT_VERSION,
            str(record.number),
            record.before.astimezone(UTC).isoformat(timespec="microseconds"),
            str(record.count),
            record.ids,
            record.partitions,
            str(record.seals_through),
            record.seal_hash,
            record.carried,
            record.prev_hash,
            record.made_at.astimezone(UTC).isoformat(timespec="microseconds"),
            record.key_id,
            record.public_key,
        ]
    ).encode()


def record_hash(record: AuditRetention) -> str:
    """What the next retention record links to."""
    return hashlib.sha256(statement(record) + bytes.fromhex(record.signature)).hexdigest()


def parse_carried(text: str) -> dict[int, list[tuple[int, str]]]:
    """A record's carried leaves: seal number -> [(event id, content hash)]."""
    carried: dict[int, list[tuple[int, str]]] = {}
    for line in text.splitlines():
        if line:
            number, event_id, event_hash = line.split(":")
            carried.setdefault(int(number), []).append((int(event_id), event_hash))
    return carried


# Ranges ---------------------------------------------------------------------------------------


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if out and low <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


def _covers(merged: list[tuple[int, int]], low: int, high: int) -> bool:
    """Whether [low, high] lies inside one of the merged ranges."""
    place = bisect.bisect_right(merged, (low, float("inf"))) - 1
    return place >= 0 and merged[place][0] <= low and high <= merged[place][1]


def _overlap(merged: list[tuple[int, int]], low: int, high: int) -> list[tuple[int, int]]:
    out = []
    for a, b in merged:
        if b < low:
            continue
        if a > high:
            break
        out.append((max(a, low), min(b, high)))
    return out


# Retain ---------------------------------------------------------------------------------------


def retain(
    before: date, *, now: datetime | None = None, key: Ed25519PrivateKey | None = None
) -> Retained:
    """Remove the events older than `before` (a month), with the seals that held only them,
    and record it, signed (see the module's docstring). Raises RetentionError, changing
    nothing, when `before` lies inside the retention period or an event to remove is
    unsealed."""
    now = now or timezone.now()
    before = before.replace(day=1)
    latest = latest_cutoff(now)
    if before > latest:
        raise RetentionError(
            f"{before:%Y-%m} ligger inom lagringstiden ({retention_months()} månader, "
            f"SAMPLAN_AUDIT_RETENTION_MONTHS): senast {latest:%Y-%m} kan anges. Inget "
            f"ändrades. / {before:%Y-%m} is inside the retention period ({retention_months()} "
            f"months, SAMPLAN_AUDIT_RETENTION_MONTHS): the latest month allowed is "
            f"{latest:%Y-%m}. Nothing was changed."
        )
    key = key or signing_key()
    cutoff = partitions.month_start(before)
    partitioned = partitions.is_partitioned()
    if partitioned:  # events waiting in the DEFAULT partition go to their months first
        partitions.move_default_rows()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # not beside a sealer's run
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
        ids = list(
            AuditEvent.objects.filter(at__lt=cutoff).order_by("pk").values_list("pk", flat=True)
        )
        if not ids:
            return Retained(None, 0, 0, [])
        removed = parse_ranges(format_ranges(ids))
        seals = list(AuditSeal.objects.order_by("number"))
        sealed = _merged([r for seal in seals for r in parse_ranges(seal.ids)])
        unsealed = _uncovered(removed, sealed)
        if unsealed:
            raise RetentionError(
                f"{unsealed} logghändelser före {before:%Y-%m} är inte förseglade; kör "
                "`samplan audit seal` först. Inget ändrades. / "
                f"{unsealed} audit events before {before:%Y-%m} are not sealed; run "
                "`samplan audit seal` first. Nothing was changed."
            )
        previous = AuditRetention.objects.order_by("-number").first()
        earlier = AuditRetention.objects.values_list("ids", flat=True)
        gone = _merged(removed + [r for text in earlier for r in parse_ranges(text) if text])
        through = previous.seals_through if previous else 0
        link = previous.seal_hash if previous else GENESIS
        dropped: list[AuditSeal] = []
        for seal in seals:
            if seal.number <= through:
                continue
            if all(_covers(gone, low, high) for low, high in parse_ranges(seal.ids)):
                dropped.append(seal)
                through, link = seal.number, seal_hash(seal)
            else:
                break
        carried = _carried([s for s in seals if s.number > through], _merged(removed), cutoff)
        names = []
        if partitioned:
            with connection.cursor() as cursor:
                names = [n for m, n in sorted(partitions.existing(cursor).items()) if m < before]
        public = public_hex(key)
        record = AuditRetention(
            number=(previous.number if previous else 0) + 1,
            before=cutoff,
            count=len(ids),
            ids=format_ranges(ids),
            partitions=",".join(names),
            seals_through=through,
            seal_hash=link,
            carried=carried,
            prev_hash=record_hash(previous) if previous else GENESIS,
            made_at=now,
            key_id=key_id(public),
            public_key=public,
        )
        record.signature = key.sign(statement(record)).hex()
        record.save(force_insert=True)
        _remove(cutoff, names, [s.number for s in dropped], partitioned)
    # The application log keeps the record's hash: a copy outside the database.
    log.info(
        "audit retention %s: %s events before %s removed, seals up to %s, hash %s",
        record.number,
        record.count,
        f"{before:%Y-%m}",
        through,
        record_hash(record),
    )
    return Retained(record, len(ids), len(dropped), names)


def _uncovered(removed: list[tuple[int, int]], sealed: list[tuple[int, int]]) -> int:
    """How many ids in `removed` no range in `sealed` (merged) holds."""
    total = 0
    for low, high in removed:
        inside = sum(b - a + 1 for a, b in _overlap(sealed, low, high))
        total += high - low + 1 - inside
    return total


def _carried(kept: list[AuditSeal], removed: list[tuple[int, int]], cutoff: datetime) -> str:
    """Leaves of removed events that seals kept hold: "seal:id:hash" lines."""
    lines: list[tuple[int, int, str]] = []
    for seal in kept:
        for low, high in parse_ranges(seal.ids):
            for a, b in _overlap(removed, low, high):
                rows = AuditEvent.objects.filter(at__lt=cutoff, pk__gte=a, pk__lte=b)
                lines += [(i, seal.number, h) for i, h in rows.values_list("pk", "hash")]
    return "\n".join(f"{number}:{i}:{h}" for i, number, h in sorted(lines))


def _remove(cutoff: datetime, names: list[str], seals: list[int], partitioned: bool) -> None:
    """The events and seals go, with the append-only rule lifted for this transaction only."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL lock_timeout = '10s'")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks: may alter
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            if partitioned:
                for name in names:
                    cursor.execute(f'ALTER TABLE "{partitions.PARENT}" DETACH PARTITION "{name}"')
                    cursor.execute(f'DROP TABLE "{name}"')
            else:
                cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
                cursor.execute("DELETE FROM audit_auditevent WHERE at < %s", [cutoff])
                cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
            if seals:
                cursor.execute("ALTER TABLE audit_auditseal DISABLE TRIGGER USER")
                cursor.execute("DELETE FROM audit_auditseal WHERE number = ANY(%s)", [seals])
                cursor.execute("ALTER TABLE audit_auditseal ENABLE TRIGGER USER")
            return
        names_sql = ("audit_event_no_delete", "audit_seal_no_delete")
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN (%s, %s)",
            list(names_sql),
        )
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
        AuditEvent.objects.filter(at__lt=cutoff)._raw_delete(connection.alias)
        if seals:
            AuditSeal.objects.filter(number__in=seals)._raw_delete(connection.alias)
        for _name, sql in triggers:
            cursor.execute(sql)


__all__ = [
    "Retained",
    "RetentionError",
    "latest_cutoff",
    "parse_carried",
    "parse_month",
    "record_hash",
    "retain",
    "statement",
]
