"""Verifying the audit log: `samplan audit verify` (what seals hold: samplan/audit/seal.py).

`verify` recomputes everything from the events and reports edited, deleted, reordered and
inserted events, removed or altered seals, bad signatures, seals whose signature it could not
check (key missing or another key), and events older than the sealing window that no seal
holds.

How it reads 20 million events in minutes:

- Events are read once, in id order, in chunks of ids, with a plain DB-API cursor (a named,
  server-side cursor on PostgreSQL) and only the columns the hash covers. PostgreSQL writes
  each event's time as the text its hash covers (`AT_TEXT_SQL`), so no datetime is made, and
  `detail` comes as JSON text, parsed with orjson.
- A seal covers an id range, so chunks are checked independently: a seal whose range lies
  inside one chunk is checked by that chunk; one that spans chunks gets its events from each
  and is checked when all are read. Findings carry where in id order they arise and are put
  in the order one pass would give.
- On PostgreSQL, outside a transaction, the chunks are read by `workers` processes, each on
  its own connection, all in the snapshot the seals were read in (`pg_export_snapshot`), so
  they see one consistent log. Inside a transaction (the tests, which tamper inside theirs)
  and on SQLite one process reads the chunks in turn.
- `keep` bounds the findings kept per kind (the command shows 50); `counts` has them all, so
  a log of millions of unsealed events does not fill the memory.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import multiprocessing
import multiprocessing.util
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from psycopg import sql

from samplan.audit.chain import (
    AT_TEXT_SQL,
    GENESIS,
    HASHED_FIELDS,
    at_text,
    fields_hash,
    leaf_hashes,
    merkle_root,
    order_free_digest,
    parse_detail,
)
from samplan.audit.models import AuditEvent, AuditRetention, AuditSeal
from samplan.audit.retention import parse_carried, record_hash
from samplan.audit.retention import statement as retention_statement
from samplan.audit.seal import (
    TrustedKeys,
    format_ranges,
    parse_ranges,
    seal_hash,
    statement,
    trusted_keys,
)

PARALLEL_MIN = 500_000  # ids: a smaller log is read by one process
CHUNKS_PER_WORKER = 4  # chunks per worker process, so that a slow chunk does not hold all
FETCH = 10_000  # rows per fetch from PostgreSQL's cursor
_sha256 = hashlib.sha256
_dumps = orjson.dumps

# A row as verify reads it: id, xid, hash, `at` as at_text gives it, then the values of
# HASHED_FIELDS in their order (`detail` last, as JSON text on PostgreSQL).
Row = tuple[Any, ...]
_COLUMNS = ", ".join(["id", "xid", "hash", AT_TEXT_SQL, *(a for _, a in HASHED_FIELDS[:-1])])
_SELECT_POSTGRESQL = (
    f"SELECT {_COLUMNS}, detail::text FROM audit_auditevent"  # noqa: S608 - constant columns
    " WHERE id >= %s AND id < %s ORDER BY id"
)


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
    findings: list[Finding] = field(default_factory=list)  # the first `keep` of each kind
    unchecked: list[int] = field(default_factory=list)  # seals whose signature was not checked
    key_problem: str = ""
    counts: Counter[str] = field(default_factory=Counter)  # findings of each kind, all
    keep: int | None = None
    retained: int = 0  # events removed at retention, as the signed records say
    retentions: int = 0  # retention records

    @property
    def intact(self) -> bool:
        return not self.counts and not self.unchecked

    @property
    def found(self) -> int:
        """How many findings, kept or not."""
        return sum(self.counts.values())

    def kinds(self) -> set[str]:
        return set(self.counts)

    def add(self, finding: Finding) -> None:
        self.counts[finding.kind] += 1
        if self.keep is None or self.counts[finding.kind] <= self.keep:
            self.findings.append(finding)


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


def _check_retentions(
    records: list[AuditRetention], report: Report, trusted: TrustedKeys
) -> tuple[int, str]:
    """The chain of retention records (samplan/audit/retention.py) and their signatures.
    Returns where the chain of seals starts: the first seal's number and what it links to
    (after the newest record, the seals it names removed are not looked for)."""
    expected_number, expected_prev = 1, GENESIS
    for record in records:
        if record.number != expected_number:
            missing = number_ranges(list(range(expected_number, record.number)))
            report.add(Finding("retention-removed", f"retention record {missing} is missing"))
        elif record.prev_hash != expected_prev:
            report.add(
                Finding(
                    "retention-altered",
                    f"retention record {record.number} does not link to record "
                    f"{record.number - 1} (a record was altered or replaced)",
                )
            )
        expected_number, expected_prev = record.number + 1, record_hash(record)
        public = trusted.keys.get(record.key_id)
        if public is None:
            report.add(
                Finding(
                    "key",
                    f"the signature of retention record {record.number} could not be checked: "
                    f"signed with key {record.key_id}, which is not trusted (wrong key?)",
                )
            )
            continue
        try:
            public.verify(bytes.fromhex(record.signature), retention_statement(record))
        except (InvalidSignature, ValueError):
            report.add(
                Finding(
                    "signature",
                    f"retention record {record.number}: the signature does not match its "
                    "content (altered or forged)",
                )
            )
        report.retained += record.count
    report.retentions = len(records)
    if not records:
        return 1, GENESIS
    return records[-1].seals_through + 1, records[-1].seal_hash


def _check_seals(
    seals: list[AuditSeal], report: Report, records: list[AuditRetention] | None = None
) -> None:
    """The chain of seals (numbers 1, 2, 3 … each linked to the one before, or starting after
    the newest retention record) and signatures."""
    trusted = trusted_keys()
    report.key_problem = trusted.problem.strip()
    expected_number, expected_prev = _check_retentions(records or [], report, trusted)
    for seal in seals:
        if seal.number != expected_number:
            missing = number_ranges(list(range(expected_number, seal.number)))
            report.add(
                Finding("seal-removed", f"seal {missing} is missing (removed)", seal=seal.number)
            )
        elif seal.prev_hash != expected_prev:
            report.add(
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
            report.add(
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
        report.add(
            Finding(
                "key",
                f"the signatures of seals {number_ranges(report.unchecked)} could not be "
                f"checked: {why}",
            )
        )


# The events ----------------------------------------------------------------------------------


@dataclass
class _Open:
    """What has been read of one seal's events: their ids and hashes in id order."""

    ids: list[int] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    edited: bool = False


@dataclass
class _Plan:
    """What every chunk needs to know, read once before the events."""

    by_number: dict[int, AuditSeal]
    ranges: list[tuple[int, int, int]]  # (first id, last id, seal number), sorted
    starts: list[int]
    closing: list[int]  # seal numbers in the order their ranges end (a pass closes them so)
    rank: dict[int, int]  # seal number -> place in `closing`
    highest_sealed: int
    latest: _Snapshot | None
    postgresql: bool
    cutoff: str  # at_text of now - window: an unsealed event before it is reported
    window: int
    keep: int | None
    carried: dict[int, list[tuple[int, str]]]  # seal -> leaves of its events removed


# Where a finding arises in one pass over the events in id order: an event's findings at
# (id, 0); a seal's when the pass goes past its last id, at (last id, 1, place in closing).
_Key = tuple[int, int, int]


@dataclass
class _Chunk:
    """What one chunk of ids gave: counts, findings (the first `keep` of each kind, with their
    keys), and the events read of seals that reach outside the chunk."""

    events: int = 0
    sealed: int = 0
    waiting: int = 0
    findings: list[tuple[_Key, Finding]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    partial: dict[int, _Open] = field(default_factory=dict)

    def add(self, key: _Key, finding: Finding, keep: int | None) -> None:
        self.counts[finding.kind] += 1
        if keep is None or self.counts[finding.kind] <= keep:
            self.findings.append((key, finding))


def _close(
    seal: AuditSeal,
    state: _Open,
    key: _Key,
    out: _Chunk,
    keep: int | None,
    carried: list[tuple[int, str]] | None = None,
) -> None:
    """All of a seal's id range has been read: are its events the ones it sealed? Events
    removed at retention count with the leaves their signed record carried."""
    span = f"seal {seal.number} (events {seal.first_id}-{seal.last_id})"
    if carried:
        pairs = sorted([*zip(state.ids, state.hashes, strict=True), *carried])
        state = _Open([i for i, _ in pairs], [h for _, h in pairs], state.edited)
    expected = [i for low, high in parse_ranges(seal.ids) for i in range(low, high + 1)]
    if state.ids == expected:
        missing: list[int] = []
    else:
        missing = sorted(set(expected) - set(state.ids))
    for event_id in missing:
        out.add(
            key,
            Finding(
                "deleted", f"event {event_id} was deleted: {span} holds it", event_id, seal.number
            ),
            keep,
        )
    if missing or len(expected) != seal.count:
        return
    root = merkle_root(leaf_hashes(state.ids, state.hashes))
    if root.hex() == seal.root:
        return
    if order_free_digest(state.hashes) == seal.digest:
        out.add(
            key,
            Finding(
                "reordered",
                f"events in {span} are not in the order they were sealed (reordered)",
                seal=seal.number,
            ),
            keep,
        )
    elif not state.edited:
        out.add(
            key,
            Finding(
                "edited",
                f"an event in {span} was edited and its hash rewritten to match",
                seal=seal.number,
            ),
            keep,
        )


def row_hash(row: Row, detail_as_text: bool) -> str:
    """`fields_hash` of a row as verify reads it; `detail_as_text` when `detail` comes as JSON
    text (PostgreSQL). Most events' detail is empty: their content is written here in key
    order without sorting (tests/audit/test_verify.py holds it equal to fields_hash)."""
    detail = row[14]
    empty = detail == "{}" if detail_as_text else (type(detail) is dict and not detail)
    if empty:
        content = {
            "action": row[8],
            "actor": row[4],
            "at": row[3],
            "detail": {},
            "ground": row[12],
            "object_id": row[11],
            "object_type": row[10],
            "organisation": row[6],
            "outcome": row[9],
            "person": row[7],
            "request_id": row[13],
            "unit": row[5],
        }
        return _sha256(_dumps(content)).hexdigest()
    if detail_as_text:
        detail = parse_detail(detail)
    return fields_hash(row[3], (*row[4:14], detail))


def _scan(plan: _Plan, low: int, high: int, rows: Iterable[Row]) -> _Chunk:
    """Check the events with ids in [low, high), and the seals whose ranges lie inside it."""
    out = _Chunk()
    keep = plan.keep
    by_number, ranges, starts = plan.by_number, plan.ranges, plan.starts
    inside = [
        n for n in plan.closing if by_number[n].first_id >= low and by_number[n].last_id < high
    ]
    ends = [by_number[n].last_id for n in inside] + [high]  # high: past every event read
    next_to_close = 0
    open_seals: dict[int, _Open] = {}
    current: tuple[int, int, int] = (1, 0, 0)  # the seal range the last event fell in
    state = _Open()

    def close_until(event_id: int) -> None:
        nonlocal next_to_close
        while next_to_close < len(inside) and ends[next_to_close] < event_id:
            number = inside[next_to_close]
            seal = by_number[number]
            closed = open_seals.pop(number, None) or _Open()
            key = (seal.last_id, 1, plan.rank[number])
            _close(seal, closed, key, out, keep, plan.carried.get(number))
            next_to_close += 1

    cutoff, postgresql = plan.cutoff, plan.postgresql
    events = sealed = 0
    for row in rows:
        event_id: int = row[0]
        stored: str = row[2]
        events += 1
        if ends[next_to_close] < event_id:
            close_until(event_id)
        edited = row_hash(row, postgresql) != stored
        if edited:
            out.add(
                (event_id, 0, 0),
                Finding(
                    "edited",
                    f"event {event_id} was edited: its content does not match its hash",
                    event_id,
                ),
                keep,
            )
        if not current[0] <= event_id <= current[1]:
            position = bisect.bisect_right(starts, event_id) - 1
            current = ranges[position] if position >= 0 else (1, 0, 0)
            if current[0] <= event_id <= current[1]:
                state = open_seals.get(current[2]) or open_seals.setdefault(current[2], _Open())
        if current[0] <= event_id <= current[1]:
            state.ids.append(event_id)
            state.hashes.append(stored)
            if edited:
                state.edited = True
            sealed += 1
            continue
        if _should_be_sealed(event_id, row[1], plan.highest_sealed, plan.latest, postgresql):
            out.add(
                (event_id, 0, 0),
                Finding(
                    "inserted",
                    f"event {event_id} is in no seal, though a seal was made after its "
                    "transaction ended: inserted afterwards, or its seal was removed",
                    event_id,
                ),
                keep,
            )
        elif row[3] < cutoff:
            out.add(
                (event_id, 0, 0),
                Finding(
                    "unsealed",
                    f"event {event_id} is older than the sealing window "
                    f"({plan.window} s) and not sealed: is the sealer running?",
                    event_id,
                ),
                keep,
            )
        else:
            out.waiting += 1
    close_until(high)
    out.events, out.sealed = events, sealed
    out.partial = open_seals  # seals that reach outside the chunk
    return out


def _should_be_sealed(
    event_id: int, xid: object, highest_sealed: int, latest: _Snapshot | None, postgresql: bool
) -> bool:
    """Whether a seal should already hold this unsealed event."""
    if not postgresql:
        return event_id < highest_sealed
    if not isinstance(xid, int):
        return True  # the database sets it on every insert
    return latest is not None and latest.sees(xid)


def _rows_postgresql(raw: Any, low: int, high: int) -> Iterator[Row]:
    """Events with ids in [low, high) from a psycopg connection inside a transaction."""
    with raw.cursor(name="samplan_audit_verify") as cursor:
        cursor.execute(_SELECT_POSTGRESQL, [low, high])
        while rows := cursor.fetchmany(FETCH):
            yield from rows


def _rows_orm(low: int, high: int) -> Iterator[Row]:
    columns = ["id", "xid", "hash", "at", *(attribute for _, attribute in HASHED_FIELDS)]
    rows = (
        AuditEvent.objects.filter(pk__gte=low, pk__lt=high)
        .order_by("pk")
        .values_list(*columns)
        .iterator(chunk_size=FETCH)
    )
    for row in rows:
        yield (row[0], row[1], row[2], at_text(row[3]), *row[4:])


# Reading in worker processes (PostgreSQL) ----------------------------------------------------

_worker: dict[str, Any] = {}  # the plan and snapshot, set before the fork; a worker's connection


def _worker_start() -> None:
    """A worker's own connection. The parent's (inherited by the fork) is never used here."""
    wrapper = connections.create_connection(DEFAULT_DB_ALIAS)
    wrapper.ensure_connection()
    _worker["db"] = wrapper
    multiprocessing.util.Finalize(None, wrapper.close, exitpriority=10)


def _worker_chunk(bounds: tuple[int, int]) -> _Chunk:
    raw = _worker["db"].connection
    with raw.transaction():
        raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        raw.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(_worker["snapshot"]))
        return _scan(_worker["plan"], *bounds, _rows_postgresql(raw, *bounds))


def default_workers() -> int:
    """One worker process per core this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# Verify ---------------------------------------------------------------------------------------


def verify(
    *,
    now: datetime | None = None,
    workers: int = 1,
    chunks: int | None = None,
    keep: int | None = None,
) -> Report:
    """Check every seal and every event (see the module's docstring). `workers` processes
    read the events where they can (PostgreSQL, outside a transaction, a log of at least
    PARALLEL_MIN ids); `chunks` splits the ids (default: CHUNKS_PER_WORKER per worker);
    `keep` bounds the findings kept per kind. Memory grows with the number of seals."""
    now = now or timezone.now()
    report = Report(keep=keep)
    postgresql = connection.vendor == "postgresql"
    own_transaction = not connection.in_atomic_block
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if postgresql and own_transaction:  # one snapshot for the seals and every event
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        seals = list(AuditSeal.objects.order_by("number"))
        records = list(AuditRetention.objects.order_by("number"))
        cursor.execute("SELECT min(id), max(id) FROM audit_auditevent")
        first, last = cursor.fetchone()
        report.seals = len(seals)
        _check_seals(seals, report, records)
        plan = _plan(seals, report, now, postgresql, keep)
        for record in records:
            for number, leaves in parse_carried(record.carried).items():
                plan.carried.setdefault(number, []).extend(leaves)
        if first is None or last is None:  # no events
            bounds = [(0, 1)]
        else:
            span = last + 1 - first
            if not (postgresql and own_transaction) or span < PARALLEL_MIN:
                workers = 1
            count = max(1, min(chunks or workers * CHUNKS_PER_WORKER, span))
            edges = [first + span * i // count for i in range(count)] + [last + 1]
            bounds = list(itertools.pairwise(edges))
        if workers > 1:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = sql.Literal(str(cursor.fetchone()[0]))
            results = _in_workers(plan, snapshot, bounds, workers)
        else:
            results = [_scan(plan, low, high, _rows(postgresql, low, high)) for low, high in bounds]
    _join(plan, bounds, results, report)
    return report


def _rows(postgresql: bool, low: int, high: int) -> Iterator[Row]:
    if not postgresql:
        return _rows_orm(low, high)
    connection.ensure_connection()
    return _rows_postgresql(connection.connection, low, high)


def _in_workers(
    plan: _Plan, snapshot: sql.Literal, bounds: list[tuple[int, int]], workers: int
) -> list[_Chunk]:
    _worker.update(plan=plan, snapshot=snapshot)
    try:
        context = multiprocessing.get_context("fork")
        pool = context.Pool(min(workers, len(bounds)), initializer=_worker_start)
        try:
            results = list(pool.imap(_worker_chunk, bounds))
        finally:
            pool.close()
            pool.join()
    finally:
        _worker.clear()
    return results


def _plan(
    seals: list[AuditSeal], report: Report, now: datetime, postgresql: bool, keep: int | None
) -> _Plan:
    """Which seal holds which id (ranges sorted by their first id; overlaps are findings)."""
    ranges = sorted(
        (low, high, seal.number) for seal in seals for low, high in parse_ranges(seal.ids)
    )
    for (_, high, first), (low, _, second) in itertools.pairwise(ranges):
        if low <= high:
            report.add(Finding("seal-overlap", f"seals {first} and {second} both hold event {low}"))
    closing = [seal.number for seal in sorted(seals, key=lambda s: s.last_id)]
    window = int(settings.AUDIT_SEAL_WINDOW_SECONDS)
    return _Plan(
        by_number={seal.number: seal for seal in seals},
        ranges=ranges,
        starts=[low for low, _, _ in ranges],
        closing=closing,
        rank={number: place for place, number in enumerate(closing)},
        highest_sealed=max((s.last_id for s in seals), default=0),
        latest=_Snapshot(seals[-1].snapshot) if seals and seals[-1].snapshot else None,
        postgresql=postgresql,
        cutoff=at_text(now - timedelta(seconds=window)),
        window=window,
        keep=keep,
        carried={},
    )


def _join(
    plan: _Plan, bounds: list[tuple[int, int]], results: Sequence[_Chunk], report: Report
) -> None:
    """The chunks' counts and findings, the seals that reach outside one chunk checked with
    their events from every chunk, and every finding put in the order of one pass."""
    for result in results:
        report.events += result.events
        report.sealed += result.sealed
        report.waiting += result.waiting
        report.counts.update(result.counts)
    rest = _Chunk()
    for number in plan.closing:
        seal = plan.by_number[number]
        if any(low <= seal.first_id and seal.last_id < high for low, high in bounds):
            continue  # checked by its chunk
        state = _Open()
        for result in results:  # in chunk order, so in id order
            part = result.partial.get(number)
            if part is not None:
                state.ids += part.ids
                state.hashes += part.hashes
                state.edited = state.edited or part.edited
        key = (seal.last_id, 1, plan.rank[number])
        _close(seal, state, key, rest, plan.keep, plan.carried.get(number))
    report.counts.update(rest.counts)
    ordered = sorted(
        itertools.chain(rest.findings, *(result.findings for result in results)),
        key=lambda keyed: keyed[0],
    )
    kept = Counter(finding.kind for finding in report.findings)
    for _, finding in ordered:
        if report.keep is None or kept[finding.kind] < report.keep:
            report.findings.append(finding)
            kept[finding.kind] += 1


def summary(report: Report) -> str:
    text = (
        f"{report.events} audit events, {report.seals} seals: {report.sealed} events sealed, "
        f"{report.waiting} waiting for the sealer (younger than the sealing window)"
    )
    if report.retentions:
        text += (
            f"; {report.retained} events removed at retention "
            f"({report.retentions} signed retention records)"
        )
    return text


__all__ = ["Finding", "Report", "default_workers", "summary", "verify"]
