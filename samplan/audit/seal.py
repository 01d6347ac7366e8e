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

import bisect
import hashlib
import itertools
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from samplan.audit.chain import (
    GENESIS,
    HASHED_COLUMNS,
    content_hash,
    leaf_hash,
    merkle_root,
    order_free_digest,
)
from samplan.audit.models import AuditEvent, AuditSeal

log = logging.getLogger(__name__)

BATCH = 10_000  # events per seal
ADVISORY_LOCK = 0x5341_4D50_4C41_4E31  # "SAMPLAN1": one sealer at a time on PostgreSQL
STATEMENT_VERSION = "samplan-audit-seal-v1"


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
    while True:
        stopping = stop.wait(every)
        close_old_connections()
        try:
            total += seal_pending(batch=batch, key=key).events
        except Exception:  # a failed run is retried at the next tick; the log says why
            log.exception("audit sealing failed")
        if stopping:
            return total


# Verifying ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    kind: str  # edited, deleted, reordered, inserted, unsealed, seal-removed, seal-altered, ...
    message: str
    event_id: int | None = None
    seal: int | None = None


@dataclass
class Report:
    events: int = 0
    seals: int = 0
    sealed: int = 0
    waiting: int = 0  # unsealed, younger than the window
    findings: list[Finding] = field(default_factory=list)
    unchecked: list[int] = field(default_factory=list)  # seals whose signature was not checked
    key_problem: str = ""

    @property
    def intact(self) -> bool:
        return not self.findings and not self.unchecked

    def kinds(self) -> set[str]:
        return {finding.kind for finding in self.findings}


def number_ranges(numbers: list[int]) -> str:
    return format_ranges(sorted(numbers)).replace(",", ", ") if numbers else ""


class _Snapshot:
    """PostgreSQL's snapshot text "xmin:xmax:xip,...": which transactions it sees as ended."""

    def __init__(self, text: str) -> None:
        xmin, xmax, xip = text.split(":")
        self.xmin, self.xmax = int(xmin), int(xmax)
        self.running = {int(x) for x in xip.split(",") if x}

    def sees(self, xid: int) -> bool:
        return xid < self.xmin or (xid < self.xmax and xid not in self.running)


def _check_seals(seals: list[AuditSeal], report: Report) -> None:
    """The chain of seals (numbers 1, 2, 3 … each linked to the one before) and signatures."""
    trusted = trusted_keys()
    report.key_problem = trusted.problem.strip()
    expected_number, expected_prev = 1, GENESIS
    for seal in seals:
        if seal.number != expected_number:
            missing = number_ranges(list(range(expected_number, seal.number)))
            report.findings.append(
                Finding("seal-removed", f"seal {missing} is missing (removed)", seal=seal.number)
            )
        elif seal.prev_hash != expected_prev:
            report.findings.append(
                Finding(
                    "seal-altered",
                    f"seal {seal.number} does not link to seal {seal.number - 1} "
                    "(a seal was altered or replaced)",
                    seal=seal.number,
                )
            )
        expected_number, expected_prev = seal.number + 1, seal_hash(seal)
        public = trusted.keys.get(seal.key_id)
        if public is None:
            report.unchecked.append(seal.number)
            continue
        try:
            public.verify(bytes.fromhex(seal.signature), statement(seal))
        except (InvalidSignature, ValueError):
            report.findings.append(
                Finding(
                    "signature",
                    f"seal {seal.number}: the signature does not match its content "
                    "(altered or forged)",
                    seal=seal.number,
                )
            )
    if report.unchecked:
        signers = sorted({s.key_id for s in seals if s.number in set(report.unchecked)})
        if trusted.configured_id:
            why = (
                f"they were signed with key {', '.join(signers)}, not with the configured key "
                f"{trusted.configured_id} nor a trusted earlier key (wrong key?)"
            )
        else:
            why = report.key_problem or "no signing key is configured"
        report.findings.append(
            Finding(
                "key",
                f"the signatures of seals {number_ranges(report.unchecked)} could not be "
                f"checked: {why}",
            )
        )


@dataclass
class _Open:
    seal: AuditSeal
    ids: list[int] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    edited: bool = False


def _close(state: _Open, report: Report) -> None:
    """All of a seal's id range has been read: are its events the ones it sealed?"""
    seal = state.seal
    span = f"seal {seal.number} (events {seal.first_id}-{seal.last_id})"
    expected = [i for low, high in parse_ranges(seal.ids) for i in range(low, high + 1)]
    missing = sorted(set(expected) - set(state.ids))
    for event_id in missing:
        report.findings.append(
            Finding(
                "deleted", f"event {event_id} was deleted: {span} holds it", event_id, seal.number
            )
        )
    if missing or len(expected) != seal.count:
        return
    root = merkle_root([leaf_hash(i, h) for i, h in zip(state.ids, state.hashes, strict=True)])
    if root.hex() == seal.root:
        return
    if order_free_digest(state.hashes) == seal.digest:
        report.findings.append(
            Finding(
                "reordered",
                f"events in {span} are not in the order they were sealed (reordered)",
                seal=seal.number,
            )
        )
    elif not state.edited:
        report.findings.append(
            Finding(
                "edited",
                f"an event in {span} was edited and its hash rewritten to match",
                seal=seal.number,
            )
        )


def _events(batch: int) -> Iterator[dict[str, object]]:
    columns = ("id", "xid", "hash", *HASHED_COLUMNS)
    yield from AuditEvent.objects.order_by("pk").values(*columns).iterator(chunk_size=batch)


def verify(*, now: datetime | None = None, batch: int = 5000) -> Report:
    """Check every seal and every event (see the module's docstring). Streams the events in id
    order once; memory grows with the number of seals, not of events."""
    now = now or timezone.now()
    window = timedelta(seconds=settings.AUDIT_SEAL_WINDOW_SECONDS)
    report = Report()
    seals = list(AuditSeal.objects.order_by("number"))
    report.seals = len(seals)
    _check_seals(seals, report)

    # Which seal holds which id: ranges sorted by their first id.
    ranges = sorted(
        (low, high, seal.number) for seal in seals for low, high in parse_ranges(seal.ids)
    )
    starts = [low for low, _, _ in ranges]
    for (_, high, first), (low, _, second) in itertools.pairwise(ranges):
        if low <= high:
            report.findings.append(
                Finding("seal-overlap", f"seals {first} and {second} both hold event {low}")
            )
    by_number = {seal.number: seal for seal in seals}
    closing = sorted(seals, key=lambda s: s.last_id)  # seals in the order their ranges end
    next_to_close = 0
    open_seals: dict[int, _Open] = {}
    highest_sealed = max((s.last_id for s in seals), default=0)
    latest = _Snapshot(seals[-1].snapshot) if seals and seals[-1].snapshot else None

    def close_until(event_id: float) -> None:
        nonlocal next_to_close
        while next_to_close < len(closing) and closing[next_to_close].last_id < event_id:
            number = closing[next_to_close].number
            state = open_seals.pop(number) if number in open_seals else _Open(by_number[number])
            _close(state, report)
            next_to_close += 1

    for values in _events(batch):
        event_id = int(values["id"])  # type: ignore[call-overload]
        stored = str(values["hash"])
        report.events += 1
        close_until(event_id)
        edited = content_hash(values) != stored
        if edited:
            report.findings.append(
                Finding(
                    "edited",
                    f"event {event_id} was edited: its content does not match its hash",
                    event_id,
                )
            )
        position = bisect.bisect_right(starts, event_id) - 1
        if position >= 0 and ranges[position][1] >= event_id:
            number = ranges[position][2]
            state = open_seals.setdefault(number, _Open(by_number[number]))
            state.ids.append(event_id)
            state.hashes.append(stored)
            state.edited = state.edited or edited
            report.sealed += 1
            continue
        xid = values["xid"]
        if _should_be_sealed(event_id, xid, highest_sealed, latest, connection.vendor):
            report.findings.append(
                Finding(
                    "inserted",
                    f"event {event_id} is in no seal, though a seal was made after its "
                    "transaction ended: inserted afterwards, or its seal was removed",
                    event_id,
                )
            )
        elif values["at"] < now - window:  # type: ignore[operator]
            report.findings.append(
                Finding(
                    "unsealed",
                    f"event {event_id} is older than the sealing window "
                    f"({settings.AUDIT_SEAL_WINDOW_SECONDS} s) and not sealed: "
                    "is the sealer running?",
                    event_id,
                )
            )
        else:
            report.waiting += 1
    close_until(float("inf"))
    return report


def _should_be_sealed(
    event_id: int, xid: object, highest_sealed: int, latest: _Snapshot | None, vendor: str
) -> bool:
    """Whether a seal should already hold this unsealed event."""
    if vendor != "postgresql":
        return event_id < highest_sealed
    if not isinstance(xid, int):
        return True  # the database sets it on every insert
    return latest is not None and latest.sees(xid)


def summary(report: Report) -> str:
    return (
        f"{report.events} audit events, {report.seals} seals: {report.sealed} events sealed, "
        f"{report.waiting} waiting for the sealer (younger than the sealing window)"
    )


__all__ = [
    "Finding",
    "Report",
    "SealKeyError",
    "SealRun",
    "run_sealer",
    "seal_pending",
    "signing_key",
    "summary",
    "verify",
    "write_new_key",
]
