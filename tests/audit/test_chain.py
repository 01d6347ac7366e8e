"""Audit events are append-only; each carries its content hash; a batch's Merkle root is RFC
6962's. Tampering and sealing: tests/audit/test_seal.py."""

from __future__ import annotations

import hashlib

import pytest
from django.db import DatabaseError, transaction
from django.test.utils import CaptureQueriesContext

from samplan.audit.chain import event_hash, leaf_hash, merkle_root, order_free_digest
from samplan.audit.models import AuditEvent
from samplan.audit.seal import format_ranges, parse_ranges
from samplan.audit.services import record, record_many
from samplan.authz.actor import Actor
from samplan.directory.models import Person

pytestmark = pytest.mark.django_db


def middle() -> AuditEvent:
    ids = list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))
    return AuditEvent.objects.get(pk=ids[len(ids) // 2])


def test_every_event_of_the_demo_world_matches_its_hash() -> None:
    events = list(AuditEvent.objects.all())
    assert len(events) > 50
    assert all(event_hash(e) == e.hash for e in events)


def test_update_and_delete_are_refused_by_the_database() -> None:
    event = middle()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="edited")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.action != "edited"


def test_record_is_one_plain_insert_with_the_content_hash() -> None:
    from django.db import connection

    with CaptureQueriesContext(connection) as queries:
        event = record(actor=Actor.system(), action="test.event", detail={"n": 1})
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == 1, statements  # no lock, no chain head, no savepoint
    assert statements[0].startswith("INSERT")
    event.refresh_from_db()
    assert event.hash == event_hash(event)


def test_many_events_at_once_are_one_insert() -> None:
    from django.db import connection

    persons = list(Person.objects.order_by("pk")[:5])
    with CaptureQueriesContext(connection) as queries:
        events = record_many(
            actor=Actor.system(),
            action="test.search",
            entries=[{"person": p, "detail": {"ids": [p.pk]}} for p in persons],
        )
    assert len(queries.captured_queries) == 1
    assert [e.person_id for e in events] == [p.pk for p in persons]
    for event in AuditEvent.objects.filter(pk__in=[e.pk for e in events]):
        assert event.hash == event_hash(event)


def _rfc6962(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, as written: split at the largest power of two below n."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _rfc6962(leaves[:k]) + _rfc6962(leaves[k:])).digest()


def test_merkle_root_is_rfc_6962() -> None:
    assert merkle_root([]) == hashlib.sha256(b"").digest()
    for n in range(1, 40):
        leaves = [leaf_hash(i, hashlib.sha256(str(i).encode()).hexdigest()) for i in range(n)]
        assert merkle_root(leaves) == _rfc6962(leaves), n


def test_a_leaf_binds_the_id_and_the_digest_ignores_order() -> None:
    assert leaf_hash(1, "ab" * 32) != leaf_hash(2, "ab" * 32)
    assert order_free_digest(["a" * 64, "b" * 64]) == order_free_digest(["b" * 64, "a" * 64])


def test_id_ranges_round_trip() -> None:
    ids = [1, 2, 3, 5, 7, 8, 20]
    assert format_ranges(ids) == "1-3,5,7-8,20"
    assert [i for lo, hi in parse_ranges("1-3,5,7-8,20") for i in range(lo, hi + 1)] == ids
