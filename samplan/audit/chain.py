"""The audit log's hashes: each event's content hash, and the RFC 6962 Merkle tree hash over a
batch of events that a seal signs (samplan/audit/seal.py).

An event's hash covers its content (not its id, which the database gives at insert); a seal's
leaves cover each event's id and hash, so that moving content to another id, editing,
removing or adding an event changes the sealed root."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from samplan.audit.constants import GENESIS
from samplan.audit.models import AuditEvent

__all__ = [
    "GENESIS",
    "at_text",
    "event_hash",
    "fields_hash",
    "leaf_hash",
    "leaf_hashes",
    "merkle_root",
    "order_free_digest",
    "parse_detail",
]

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


_INT64 = 2**63


def _orjson_safe(value: Any) -> bool:
    """Whether orjson writes `value` byte for byte as `canonical_json` does: strings,
    booleans, None, 64-bit integers, and lists and string-keyed dicts of them. Floats (whose
    exponents the two write differently), larger integers and anything else are not."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-_INT64 <= value < _INT64)
    if kind is dict:
        return all(type(k) is str and _orjson_safe(v) for k, v in value.items())
    if kind is list:
        return all(_orjson_safe(v) for v in value)
    return False


def canonical_json(content: dict[str, Any]) -> bytes:
    """The canonical form an event's hash is taken over: JSON with sorted keys, no spaces,
    UTF-8 (json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)). orjson
    writes the same bytes for the values events hold (tests/audit/test_canonical_json.py,
    Hypothesis), several times faster; anything else goes through json."""
    if _orjson_safe(content):
        return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    return _json_canonical(content)


def _json_canonical(content: dict[str, Any]) -> bytes:
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode()


def content_hash(values: dict[str, Any]) -> str:
    """SHA-256 of an event's content, from the values named by HASHED_COLUMNS."""
    return fields_hash(at_text(values["at"]), [values[attribute] for _, attribute in HASHED_FIELDS])


def at_text(at: datetime) -> str:
    """An event's time as its hash covers it: ISO 8601 in UTC with microseconds. PostgreSQL
    writes the same text with AT_TEXT_SQL (for readers that skip making datetimes)."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


# `at_text` in SQL, PostgreSQL (for a timestamptz column named `at`).
AT_TEXT_SQL = "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"

_FIELD_NAMES = tuple(name for name, _ in HASHED_FIELDS)


def fields_hash(at: str, fields: Sequence[Any]) -> str:
    """SHA-256 of an event's content: `at` as `at_text` gives it, `fields` the values of
    HASHED_FIELDS in their order. The fields besides `detail` hold 64-bit integers, strings or
    None, which orjson writes as json does: only `detail` (any JSON value) decides which
    writer writes the canonical form."""
    content = dict(zip(_FIELD_NAMES, fields, strict=True))
    content["at"] = at
    if _orjson_safe(content["detail"]):
        canonical = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    else:
        canonical = _json_canonical(content)
    return hashlib.sha256(canonical).hexdigest()


# 19 digits in a row: perhaps an integer beyond 64 bits (below -2**63 or above 2**64 - 1),
# which orjson reads as a float.
_LONG_NUMBER = re.compile(r"\d{19}")


def parse_detail(text: str) -> Any:
    """An event's `detail` from its JSON text, the value json.loads gives (as Django's
    JSONField reads it): orjson where it reads the same, json for the rest (integers of 19
    digits or more, which orjson makes floats; what orjson refuses, as 1e400)."""
    if text == "{}":
        return {}
    if _LONG_NUMBER.search(text):
        return json.loads(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def event_hash(event: AuditEvent) -> str:
    return content_hash({column: getattr(event, column) for column in HASHED_COLUMNS})


def leaf_hash(event_id: int, hash_hex: str) -> bytes:
    """RFC 6962 leaf: SHA-256(0x00 || id as 8 bytes big-endian || the event's hash as text)."""
    return hashlib.sha256(b"\x00" + event_id.to_bytes(8, "big") + hash_hex.encode()).digest()


def leaf_hashes(ids: Sequence[int], hashes: Sequence[str]) -> list[bytes]:
    """`leaf_hash` of each (id, hash) pair, in one loop (verify takes 20 million)."""
    sha256 = hashlib.sha256
    return [
        sha256(b"\x00" + i.to_bytes(8, "big") + h.encode()).digest()
        for i, h in zip(ids, hashes, strict=True)
    ]


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
