"""The audit hash's canonical JSON written by orjson is byte for byte what json.dumps wrote,
so that no existing event's hash changes (samplan/audit/chain.py)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from samplan.audit.chain import HASHED_COLUMNS, canonical_json, content_hash, parse_detail
from samplan.audit.models import AuditEvent


def reference(content: dict[str, Any]) -> bytes:
    """The canonical form as it has always been written."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# Text without lone surrogates (which neither writer can encode as UTF-8), with every other
# code point: control characters, quotes, backslashes, U+2028, astral planes.
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.integers()
    | st.floats(allow_nan=False)
    | text
)
payloads = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(text, children, max_size=5),
    max_leaves=20,
)


@settings(max_examples=3000, deadline=None)
@given(st.dictionaries(text, payloads, max_size=8))
def test_canonical_json_is_json_dumps_byte_for_byte(content: dict[str, Any]) -> None:
    assert canonical_json(content) == reference(content)


@settings(max_examples=500, deadline=None)
@given(
    detail=st.dictionaries(text, payloads, max_size=6),
    actor=st.none() | st.integers(min_value=1, max_value=2**62),
    action=text,
    ground=text,
)
def test_an_events_hash_is_unchanged(
    detail: dict[str, Any], actor: int | None, action: str, ground: str
) -> None:
    values: dict[str, Any] = dict.fromkeys(HASHED_COLUMNS)
    values.update(
        at=datetime(2026, 12, 2, 6, 7, 8, 123456, tzinfo=UTC),
        actor_id=actor,
        action=action,
        outcome="ok",
        ground=ground,
        detail=detail,
    )
    content = {
        "actor": actor,
        "unit": None,
        "organisation": None,
        "person": None,
        "action": action,
        "outcome": "ok",
        "object_type": None,
        "object_id": None,
        "ground": ground,
        "request_id": None,
        "detail": detail,
        "at": "2026-12-02T06:07:08.123456+00:00",
    }
    assert content_hash(values) == hashlib.sha256(reference(content)).hexdigest()


@pytest.mark.django_db
def test_the_stored_events_hashes_still_match() -> None:
    """Every event the demo world wrote (hashed by the json writer when it was stored)."""
    events = list(AuditEvent.objects.values("hash", *HASHED_COLUMNS))
    assert events
    for values in events:
        assert content_hash(values) == values["hash"]


@settings(max_examples=2000, deadline=None)
@given(payloads)
def test_parse_detail_reads_what_json_loads_reads(value: Any) -> None:
    """orjson where it reads the same; never a float for a long integer (orjson's way)."""
    text_form = json.dumps(value, ensure_ascii=False)
    parsed = parse_detail(text_form)
    assert parsed == json.loads(text_form)
    assert canonical_json({"d": parsed}) == reference({"d": json.loads(text_form)})


@pytest.mark.parametrize(
    "text_form",
    [
        "{}",
        "18446744073709551616",
        "-9223372036854775809",
        "-9566742750015899648",
        '{"a": 123456789012345678901234567890}',
        "1e400",
    ],
)
def test_parse_detail_edges(text_form: str) -> None:
    assert parse_detail(text_form) == json.loads(text_form)
    assert type(parse_detail(text_form)) is type(json.loads(text_form))
