"""`samplan generate`, the audit log: every step the plans took (from `Steps`) and, to fill the
log to its size, the reads staff made of the plans they could see (plan pages, FHIR reads,
person pages, start pages and worklists), month by month in time order.

Rows are written directly in bulk (the append-only triggers allow INSERT), each with its content
hash as `record` gives it (`samplan.audit.chain.event_hash`). Generated events are left
unsealed: the sealer (`samplan audit seal`) seals them like any committed events. (Before the
sealer, when the log was one hash chain, each row got its place in the chain instead.)
"""

from __future__ import annotations

import hashlib
import importlib
import json
import random
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

from django.apps import apps

from samplan.audit import partitions
from samplan.audit.actions import AuditAction
from samplan.audit.models import AuditEvent
from samplan.demo.generate_course import Steps
from samplan.demo.generate_load import Loader
from samplan.demo.generate_registry import Registry

Row = tuple[Any, ...]

# What staff read, and how often, among the reads that fill the log.
READS: list[tuple[AuditAction, int, str]] = [
    (AuditAction.PLAN_READ, 34, "plans.plan"),
    (AuditAction.CAREPLAN_FHIR_READ, 14, "plans.plan"),
    (AuditAction.PERSON_READ, 14, "directory.person"),
    (AuditAction.WORKLIST_READ, 10, "plans.plan"),
    (AuditAction.HOME_READ, 10, "plans.plan"),
    (AuditAction.PLAN_VERSION, 8, "plans.plan"),
    (AuditAction.PERSON_SEARCH, 5, "directory.person"),
    (AuditAction.PLAN_LIST, 5, "plans.plan"),
]
# Each generated step must be an action the audit log knows.
assert all(a in {x.value for x in AuditAction} for a in Steps.ACTIONS)


def _hasher() -> tuple[Callable[[Any], str], bool, str] | None:
    """How events are hashed today: (the hash function, whether it is a chain, the chain's
    head), or None when events carry no hash."""
    fields = {f.attname for f in AuditEvent._meta.concrete_fields}
    if "hash" not in fields:
        return None
    try:
        chain = importlib.import_module("samplan.audit.chain")
        genesis = str(importlib.import_module("samplan.audit.constants").GENESIS)
    except (ImportError, AttributeError):  # pragma: no cover - the audit app's layout moved
        return None
    event_hash = getattr(chain, "event_hash", None)
    if event_hash is None:  # pragma: no cover
        return None
    if "prev_hash" not in fields:
        return event_hash, False, ""
    head = _head_model()  # pragma: no cover - the hash chain before the sealer (issue 12)
    last = None  # pragma: no cover
    if head is not None:  # pragma: no cover
        last = head._default_manager.filter(pk=1).values_list("last_hash", flat=True).first()
    return event_hash, True, str(last or genesis)  # pragma: no cover


def _head_model() -> Any:
    name = "AuditChainHead"  # gone with the sealer (issue 12); kept for an older schema
    try:
        return apps.get_model("audit", name)
    except LookupError:
        return None


class AuditWriter:
    def __init__(self, loader: Loader, reg: Registry, steps: Steps, total: int) -> None:
        self.loader = loader
        self.reg = reg
        self.steps = steps
        self.total = total
        self.hasher = _hasher()
        self.chained = bool(self.hasher and self.hasher[1])
        self.next_id = loader.next_id(AuditEvent)
        self.last_hash = self.hasher[2] if self.hasher else ""
        self._fast: bool | None = None
        self._checked = 0

    def run(self, rng: random.Random, tick: Callable[[Iterable[Row]], Iterator[Row]]) -> int:
        columns = [
            "id",
            "at",
            "actor_id",
            "actor_unit_id",
            "actor_organisation_id",
            "person_id",
            "action",
            "outcome",
            "object_type",
            "object_id",
            "ground",
            "request_id",
            "detail",
        ]
        if self.chained:  # pragma: no cover - the hash chain before the sealer
            columns += ["prev_hash", "hash"]
        elif self.hasher:
            columns += ["hash"]
        table = self.loader.table(AuditEvent, columns)
        if self.steps.months:  # PostgreSQL: the history's month partitions before the COPY
            first, last = (
                date(m // 12, m % 12 + 1, 1)
                for m in (min(self.steps.months), max(self.steps.months))
            )
            partitions.ensure_span(first, last)
        self.loader.prepare_large(AuditEvent, self.total)
        written = self.loader.write(table, tick(self._rows(rng)))
        head = _head_model()
        if self.chained and head is not None:  # pragma: no cover
            head._default_manager.update_or_create(
                pk=1, defaults={"last_hash": self.last_hash, "last_event_id": self.next_id - 1}
            )
        return written

    def _active_by_month(self) -> dict[int, list[int]]:
        """For each month, the plans (indexes into steps.plans) open during it."""
        active: dict[int, list[int]] = {}
        month = self.steps.month
        for i, (_pid, _person, start, end, _unit, _units) in enumerate(self.steps.plans):
            first, last = month(start), month(end)
            for m in range(first, last + 1):
                active.setdefault(m, []).append(i)
        return active

    def _rows(self, rng: random.Random) -> Iterator[Row]:
        steps = self.steps
        active = self._active_by_month()
        reads_total = max(self.total - steps.count, 0)
        weight_total = sum(len(v) for v in active.values()) or 1
        months = sorted(set(active) | set(steps.months))
        for m in months:
            events: list[tuple[int, str, int, int, int, str, str, str]] = []
            packed = steps.months.get(m)
            if packed is not None:
                for k in range(0, len(packed), 7):
                    ts, code, person, user, unit, otype, oid = packed[k : k + 7]
                    events.append(
                        (
                            ts,
                            steps.ACTIONS[code],
                            person,
                            user,
                            unit,
                            steps.OBJECT_TYPES[otype],
                            str(oid),
                            "",
                        )
                    )
            plans = active.get(m, [])
            if plans:
                n = int(reads_total * len(plans) / weight_total + rng.random())
                events.extend(self._reads(rng, m, plans, n))
            events.sort()
            yield from self._emit(events)

    def _reads(self, rng: random.Random, month: int, plans: list[int], n: int) -> Iterator[Any]:
        reg, steps = self.reg, self.steps
        lo = int(datetime(month // 12, month % 12 + 1, 1, tzinfo=UTC).timestamp())
        nm = month + 1
        hi = int(datetime(nm // 12, nm % 12 + 1, 1, tzinfo=UTC).timestamp()) - 1
        kinds = [r[0] for r in READS]
        weights = [r[1] for r in READS]
        chosen = rng.choices(range(len(kinds)), weights, k=n)
        for k in chosen:
            pid, person, start, end, init_unit, units = steps.plans[rng.choice(plans)]
            unit = rng.choice(units)
            user = rng.choice(reg.staff_of[unit])
            ts = rng.randint(max(lo, start), max(min(hi, end), max(lo, start)))
            action, _w, otype = READS[k]
            oid = str(person) if otype == "directory.person" else str(pid)
            ground = "initiating unit" if unit == init_unit else "participant with consent"
            yield (ts, str(action), person, user, unit, otype, oid, ground)

    def _emit(self, events: list[tuple[int, str, int, int, int, str, str, str]]) -> Iterator[Row]:
        unit_org = self.reg.unit_org
        event_hash = self.hasher[0] if self.hasher else None
        chained = self.chained
        for ts, action, person, user, unit, otype, oid, ground in events:
            eid = self.next_id
            self.next_id += 1
            at = datetime.fromtimestamp(ts, UTC)
            request_id = f"gen{eid:013x}"
            org = unit_org[unit]
            row: Row = (eid, at, user, unit, org, person, action, "ok", otype, oid, ground)
            row = (*row, request_id, "{}")
            if event_hash is None:
                yield row
                continue
            values = (at, user, unit, org, person, action, otype, oid, ground, request_id)
            if chained:  # pragma: no cover - the hash chain before the sealer
                prev = self.last_hash
                digest = event_hash(_event(*values, prev_hash=prev))
                self.last_hash = digest
                yield (*row, prev, digest)
            else:
                yield (*row, self._content_hash(event_hash, values))

    def _content_hash(self, event_hash: Callable[[Any], str], values: tuple[Any, ...]) -> str:
        """The event's content hash: `event_hash`'s canonical JSON written directly (five times
        faster at 20 million events), checked against `event_hash` itself on the first events;
        should they ever differ, `event_hash` is used for every event."""
        if self._fast is None or self._checked < 100:
            slow = event_hash(_event(*values))
            if self._fast is None:
                self._fast = _fast_hash(*values) == slow
            self._fast = self._fast and _fast_hash(*values) == slow
            self._checked += 1
            return slow
        if self._fast:
            return _fast_hash(*values)
        return event_hash(_event(*values))  # pragma: no cover - the hash's form changed


def _event(
    at: datetime,
    user: int,
    unit: int,
    org: int,
    person: int,
    action: str,
    otype: str,
    oid: str,
    ground: str,
    request_id: str,
    prev_hash: str = "",
) -> SimpleNamespace:
    return SimpleNamespace(
        at=at,
        actor_id=user,
        actor_unit_id=unit,
        actor_organisation_id=org,
        person_id=person,
        action=action,
        outcome="ok",
        object_type=otype,
        object_id=oid,
        ground=ground,
        request_id=request_id,
        detail={},
        prev_hash=prev_hash,
    )


_dumps = json.JSONEncoder(ensure_ascii=False).encode


def _fast_hash(
    at: datetime,
    user: int,
    unit: int,
    org: int,
    person: int,
    action: str,
    otype: str,
    oid: str,
    ground: str,
    request_id: str,
) -> str:
    """samplan.audit.chain's content hash of a generated event (keys sorted, no spaces)."""
    canonical = (
        f'{{"action":{_dumps(action)},"actor":{user},'
        f'"at":"{at.isoformat(timespec="microseconds")}","detail":{{}},'
        f'"ground":{_dumps(ground)},"object_id":{_dumps(oid)},'
        f'"object_type":{_dumps(otype)},"organisation":{org},"outcome":"ok",'
        f'"person":{person},"request_id":{_dumps(request_id)},"unit":{unit}}}'
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
