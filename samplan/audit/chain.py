"""The audit log's hashes: each event's content hash, and the RFC 6962 Merkle tree hash over a
batch of events that a seal signs (samplan/audit/seal.py).

An event's hash covers its content (not its id, which the database gives at insert); a seal's
leaves cover each event's id and hash, so that moving content to another id, editing,
removing or adding an event changes the sealed root."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC
from typing import Any

from samplan.audit.constants import GENESIS
from samplan.audit.models import AuditEvent

__all__ = ["GENESIS", "event_hash", "leaf_hash", "merkle_root", "order_free_digest"]

# The fields an event's hash covers, as (name in the hash, attribute).
HASHED_FIELDS: tuple[tuple[str, str], ...] = (
    ("actor", "actor_id"),
    ("unit", "actor_unit_id"),
    ("organisation", "actor_organisation_id"),
    ("person", "person_id"),
    ("action", "action"),
    ("outcome", "outcome"),
    ("object_type", "object_type"),
    ("object_id", "object_id"),
    ("ground", "ground"),
    ("request_id", "request_id"),
    ("detail", "detail"),
)
# The same fields as database columns, for readers that fetch values rather than models.
HASHED_COLUMNS: tuple[str, ...] = ("at", *(attribute for _, attribute in HASHED_FIELDS))


def content_hash(values: dict[str, Any]) -> str:
    """SHA-256 of an event's content, from the values named by HASHED_COLUMNS."""
    content = {name: values[attribute] for name, attribute in HASHED_FIELDS}
    content["at"] = values["at"].astimezone(UTC).isoformat(timespec="microseconds")
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def event_hash(event: AuditEvent) -> str:
    return content_hash({column: getattr(event, column) for column in HASHED_COLUMNS})


def leaf_hash(event_id: int, hash_hex: str) -> bytes:
    """RFC 6962 leaf: SHA-256(0x00 || id as 8 bytes big-endian || the event's hash as text)."""
    return hashlib.sha256(b"\x00" + event_id.to_bytes(8, "big") + hash_hex.encode()).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash over leaf hashes (bottom up: pairs are hashed with 0x01, a
    lone last node moves up unchanged, which gives the RFC's left-balanced tree)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = list(leaves)
    while len(level) > 1:
        paired = [
            hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def order_free_digest(hashes: Iterable[str]) -> str:
    """SHA-256 over the batch's event hashes sorted: the same for the same events in any
    order, so that verify can tell reordered events from edited ones."""
    digest = hashlib.sha256()
    for value in sorted(hashes):
        digest.update(value.encode())
    return digest.hexdigest()
