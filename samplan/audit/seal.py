"""Sealing the audit log, and verifying it.

Writers append audit events without waiting for each other (samplan/audit/services.py). The
sealer (`seal_pending`, run by `samplan audit seal`) takes the events whose transactions have
ended and that no seal holds yet, in id order, and seals them in batches: an `AuditSeal` holds
the RFC 6962 Merkle tree hash over the batch (each event's id and content hash), the hash of
the seal before it, and an Ed25519 signature made with a key kept outside the database
(`settings.AUDIT_SEAL_KEY_FILE`).

Which events a run may seal (the horizon):

- PostgreSQL: each event carries the id of the transaction that inserted it (`xid`, set by the
  database). The sealer takes the transaction snapshot S at the start of its run and seals the
  events whose transaction S sees as committed and the previous seal's snapshot did not
  (`pg_visible_in_snapshot`). A transaction still in progress at S is in neither, so its
  events wait for a later run, whatever their ids: an event with a lower id that commits after
  a higher one is sealed by the next seal, never skipped, and no seal ever claims an id range
  that such an event could still fall into. Every committed transaction becomes visible in
  exactly one first snapshot, so every event is sealed exactly once. Runs are serialised by an
  advisory lock. Long transactions do not hold back the others' events.
- SQLite: one writer at a time (Samplan's transactions begin IMMEDIATE), so ids are given in
  commit order, and the sealer, itself the writer while it runs, seals every event after the
  highest id sealed so far.

`verify` recomputes everything from the events and reports edited, deleted, reordered and
inserted events, removed or altered seals, bad signatures, seals whose signature it could
not check (key missing or another key), and events older than the sealing window that no
seal holds.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from samplan.audit.chain import (
    GENESIS,
    leaf_hash,
    merkle_root,
    order_free_digest,
)
from samplan.audit.models import AuditEvent, AuditRetention, AuditSeal

log = logging.getLogger(__name__)

BATCH = 10_000  # events per seal
ADVISORY_LOCK = 0x5341_4D50_4C41_4E31  # "SAMPLAN1": one sealer at a time on PostgreSQL
STATEMENT_VERSION = "samplan-audit-seal-v1"
PARTITIONS_EVERY = 3600.0  # seconds between the sealer loop's checks of the partitions ahead


class SealKeyError(Exception):
    """The signing key cannot be used: missing where it must not be made, or not a key."""


# Keys -------------------------------------------------------------------------------------


def write_new_key(path: Path) -> Ed25519PrivateKey:
    """A new Ed25519 key in PEM (PKCS #8), readable by its owner only. Never overwrites."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return key


def read_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise SealKeyError(f"The audit signing key {path} is missing.") from None
    except (OSError, ValueError, TypeError) as exc:
        raise SealKeyError(f"The audit signing key {path} cannot be read: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SealKeyError(f"The audit signing key {path} is not an Ed25519 key.")
    return key


def signing_key() -> Ed25519PrivateKey:
    """The sealer's key. Without SAMPLAN_AUDIT_KEY_FILE one is made in the data folder on
    first use; a configured file that is missing is an error (never silently replaced)."""
    path: Path = settings.AUDIT_SEAL_KEY_FILE
    if not path.exists() and settings.AUDIT_SEAL_KEY_MAKE_ON_FIRST_USE:
        try:
            key = write_new_key(path)
        except FileExistsError:  # another sealer made it just now
            return read_key(path)
        log.warning("audit seal key made at %s (key id %s)", path, key_id(public_hex(key)))
        return key
    if not path.exists():
        raise SealKeyError(
            f"The audit signing key {path} (SAMPLAN_AUDIT_KEY_FILE) is missing; "
            "make one with `samplan audit keygen`."
        )
    return read_key(path)


def public_hex(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


def key_id(public_key_hex: str) -> str:
    """A short name for a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()[:16]


@dataclass
class TrustedKeys:
    keys: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    configured_id: str = ""  # the key id of the configured key file, when it could be read
    problem: str = ""  # why the configured key could not be used, if it could not


def trusted_keys() -> TrustedKeys:
    """The public keys verify trusts: the configured key file's and the earlier ones listed in
    SAMPLAN_AUDIT_TRUSTED_KEYS. Never the keys stored in the database alongside the seals."""
    trusted = TrustedKeys()
    try:
        key = read_key(settings.AUDIT_SEAL_KEY_FILE)
    except SealKeyError as exc:
        trusted.problem = str(exc)
    else:
        trusted.configured_id = key_id(public_hex(key))
        trusted.keys[trusted.configured_id] = key.public_key()
    for value in settings.AUDIT_SEAL_TRUSTED_KEYS:
        try:
            trusted.keys[key_id(value)] = Ed25519PublicKey.from_public_bytes(bytes.fromhex(value))
        except ValueError:
            trusted.problem += (
                f" SAMPLAN_AUDIT_TRUSTED_KEYS holds a value that is no key: {value!r}."
            )
    return trusted


# The seal's statement ------------------------------------------------------------------------


def format_ranges(ids: list[int]) -> str:
    """Sorted ids as ranges: [1, 2, 3, 5] -> "1-3,5"."""
    parts: list[str] = []
    start = previous = ids[0]
    for value in ids[1:]:
        if value != previous + 1:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
            start = value
        previous = value
    parts.append(str(start) if start == previous else f"{start}-{previous}")
    return ",".join(parts)


def parse_ranges(text: str) -> list[tuple[int, int]]:
    ranges = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        ranges.append((int(low), int(high or low)))
    return ranges


def statement(seal: AuditSeal) -> bytes:
    """What the key signs: every field of the seal but the signature, one per line."""
    return "\n".join(
        [
            STATEMENT_VERSION,
            str(seal.number),
            str(seal.first_id),
            str(seal.last_id),
            str(seal.count),
            seal.ids,
            seal.snapshot,
            seal.root,
            seal.digest,
            seal.prev_hash,
            seal.sealed_at.astimezone(UTC).isoformat(timespec="microseconds"),
            seal.key_id,
            seal.public_key,
        ]
    ).encode()


def seal_hash(seal: AuditSeal) -> str:
    """What the next seal links to."""
    return hashlib.sha256(statement(seal) + bytes.fromhex(seal.signature)).hexdigest()


# Sealing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SealRun:
    seals: int
    events: int


_PENDING = (
    "SELECT id, hash FROM audit_auditevent WHERE id > %s AND xid IS NOT NULL"
    " AND pg_visible_in_snapshot(xid::text::xid8, %s::pg_snapshot)"
)
_NOT_IN_PREVIOUS = (
    " AND xid >= pg_snapshot_xmin(%s::pg_snapshot)::text::bigint"
    " AND NOT pg_visible_in_snapshot(xid::text::xid8, %s::pg_snapshot)"
)


def _pending_postgresql(
    snapshot: str, previous: str, after: int, limit: int
) -> list[tuple[int, str]]:
    """Events after id `after` whose transaction `snapshot` sees as ended and `previous`
    (the last seal's snapshot) did not."""
    sql = _PENDING
    params: list[Any] = [after, snapshot]
    if previous:
        sql, params = sql + _NOT_IN_PREVIOUS, [*params, previous, previous]
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY id LIMIT %s", [*params, limit])
        return [(int(row[0]), str(row[1])) for row in cursor.fetchall()]


def _pending_sqlite(after: int, limit: int) -> list[tuple[int, str]]:
    rows = AuditEvent.objects.filter(pk__gt=after).order_by("pk").values_list("pk", "hash")
    return list(rows[:limit])


def seal_pending(*, batch: int = BATCH, key: Ed25519PrivateKey | None = None) -> SealRun:
    """Seal every committed event no seal holds yet (see the module's docstring for which),
    in batches of `batch`, in one transaction. Returns how many seals and events it made."""
    key = key or signing_key()
    public = public_hex(key)
    kid = key_id(public)
    postgres = connection.vendor == "postgresql"
    seals = events = 0
    with transaction.atomic():
        snapshot = previous_snapshot = ""
        with connection.cursor() as cursor:
            if postgres:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
                cursor.execute("SELECT pg_current_snapshot()::text")
                snapshot = str(cursor.fetchone()[0])
        last = AuditSeal.objects.order_by("-number").first()
        number = last.number if last else 0
        prev_hash = seal_hash(last) if last else GENESIS
        if last is None:  # every seal removed at retention: the chain goes on from the record
            retained = AuditRetention.objects.order_by("-number").first()
            if retained is not None:
                number, prev_hash = retained.seals_through, retained.seal_hash
        if postgres:
            previous_snapshot = last.snapshot if last else ""
            after = 0
        else:
            after = max(AuditSeal.objects.values_list("last_id", flat=True), default=0)
        now = timezone.now()
        while True:
            if postgres:
                rows = _pending_postgresql(snapshot, previous_snapshot, after, batch)
            else:
                rows = _pending_sqlite(after, batch)
            if not rows:
                break
            number += 1
            seal = AuditSeal(
                number=number,
                first_id=rows[0][0],
                last_id=rows[-1][0],
                count=len(rows),
                ids=format_ranges([event_id for event_id, _ in rows]),
                snapshot=snapshot,
                root=merkle_root([leaf_hash(i, h) for i, h in rows]).hex(),
                digest=order_free_digest(h for _, h in rows),
                prev_hash=prev_hash,
                sealed_at=now,
                key_id=kid,
                public_key=public,
            )
            seal.signature = key.sign(statement(seal)).hex()
            seal.save(force_insert=True)
            prev_hash = seal_hash(seal)
            # The application log keeps each seal's hash: a copy outside the database.
            log.info("audit seal %s: %s events, hash %s", number, len(rows), prev_hash)
            seals += 1
            events += len(rows)
            after = rows[-1][0]
    return SealRun(seals, events)


def run_sealer(every: float, stop: threading.Event, batch: int = BATCH) -> int:
    """Seal every `every` seconds until `stop` is set, then once more (at shutdown). For
    `samplan audit seal --loop` and for a worker thread. Returns the events sealed."""
    from django.db import close_old_connections

    key = signing_key()
    total = 0
    partitions_checked = float("-inf")
    while True:
        if time.monotonic() - partitions_checked >= PARTITIONS_EVERY:
            partitions_checked = time.monotonic()
            keep_partitions_ahead()
        stopping = stop.wait(every)
        close_old_connections()
        try:
            total += seal_pending(batch=batch, key=key).events
        except Exception:  # a failed run is retried at the next tick; the log says why
            log.exception("audit sealing failed")
        if stopping:
            return total


def keep_partitions_ahead() -> None:
    """PostgreSQL: the audit table's month partitions made ahead (samplan/audit/
    partitions.py). A failure is logged, never stops the sealing: inserts of a month not made
    go to the DEFAULT partition meanwhile."""
    from samplan.audit import partitions

    try:
        made = partitions.ensure_ahead()
    except Exception:
        log.exception("making the audit table's partitions ahead failed")
        return
    if made:
        log.info("audit partitions made: %s", ", ".join(made))


__all__ = [
    "SealKeyError",
    "SealRun",
    "format_ranges",
    "keep_partitions_ahead",
    "parse_ranges",
    "run_sealer",
    "seal_hash",
    "seal_pending",
    "signing_key",
    "statement",
    "trusted_keys",
    "write_new_key",
]
