"""The audit log's hash chain: each event's hash covers the one before it, so that an edited,
removed or inserted row breaks the chain (`verify_chain`, run by `samplan audit verify`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from samplan.audit.constants import GENESIS
from samplan.audit.models import AuditChainHead, AuditEvent


def event_hash(event: AuditEvent) -> str:
    content = {
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": event.actor_id,
        "unit": event.actor_unit_id,
        "organisation": event.actor_organisation_id,
        "person": event.person_id,
        "action": event.action,
        "outcome": event.outcome,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "ground": event.ground,
        "request_id": event.request_id,
        "detail": event.detail,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((event.prev_hash + canonical).encode()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    event_id: int | None
    reason: str  # "edited", "missing or reordered", "head"


def verify_chain(*, batch: int = 5000) -> tuple[int, ChainBreak | None]:
    """Recompute the chain in id order. Returns (events checked, first break or None)."""
    expected_prev = GENESIS
    checked = 0
    last_id: int | None = None
    queryset = AuditEvent.objects.order_by("pk")
    for event in queryset.iterator(chunk_size=batch):
        if event.prev_hash != expected_prev:
            return checked, ChainBreak(event.pk, "missing or reordered")
        if event_hash(event) != event.hash:
            return checked, ChainBreak(event.pk, "edited")
        expected_prev = event.hash
        last_id = event.pk
        checked += 1
    head = AuditChainHead.objects.get(pk=1)
    if head.last_hash != expected_prev or head.last_event_id != last_id:
        # The newest events were removed: the chain ends before the head says it should.
        return checked, ChainBreak(last_id, "missing at the end")
    return checked, None
