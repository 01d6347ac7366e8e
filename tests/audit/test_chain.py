"""Audit events are append-only and hash-chained; `samplan audit verify` finds tampering."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from samplan.audit.chain import verify_chain
from samplan.audit.models import AuditEvent
from samplan.audit.services import record
from samplan.authz.actor import Actor

pytestmark = pytest.mark.django_db


@contextmanager
def triggers_off() -> Iterator[None]:
    """What an attacker with database rights could do; the test transaction undoes it."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")
        else:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
    yield


def middle() -> AuditEvent:
    ids = list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))
    return AuditEvent.objects.get(pk=ids[len(ids) // 2])


def test_chain_of_the_demo_world_is_intact() -> None:
    checked, broken = verify_chain()
    assert broken is None
    assert checked == AuditEvent.objects.count() > 50
    call_command("audit", "verify")


def test_update_and_delete_are_refused_by_the_database() -> None:
    event = middle()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="edited")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.action != "edited"


def test_edited_row_is_detected() -> None:
    event = middle()
    with triggers_off():
        AuditEvent.objects.filter(pk=event.pk).update(action="person.read.hidden")
        _checked, broken = verify_chain()
    assert broken is not None
    assert (broken.event_id, broken.reason) == (event.pk, "edited")
    with pytest.raises(CommandError, match=f"event {event.pk} is edited"):
        call_command("audit", "verify")


def test_deleted_row_is_detected() -> None:
    event = middle()
    following = AuditEvent.objects.filter(pk__gt=event.pk).order_by("pk").first()
    assert following is not None
    with triggers_off():
        AuditEvent.objects.filter(pk=event.pk).delete()
        _, broken = verify_chain()
    assert broken is not None
    assert (broken.event_id, broken.reason) == (following.pk, "missing or reordered")


def test_deleted_newest_row_is_detected() -> None:
    newest = AuditEvent.objects.order_by("-pk").first()
    assert newest is not None
    with triggers_off():
        AuditEvent.objects.filter(pk=newest.pk).delete()
        _, broken = verify_chain()
    assert broken is not None
    assert broken.reason == "missing at the end"


def test_reordered_rows_are_detected() -> None:
    first = middle()
    second = AuditEvent.objects.filter(pk__gt=first.pk).order_by("pk").first()
    assert second is not None
    fields = [
        "at",
        "actor",
        "actor_unit",
        "actor_organisation",
        "person",
        "action",
        "outcome",
        "object_type",
        "object_id",
        "ground",
        "request_id",
        "detail",
        "prev_hash",
        "hash",
    ]
    a = {f: getattr(first, f) for f in fields}
    b = {f: getattr(second, f) for f in fields}
    with triggers_off():
        AuditEvent.objects.filter(pk=first.pk).update(hash="x" * 64)
        AuditEvent.objects.filter(pk=second.pk).update(**a)
        AuditEvent.objects.filter(pk=first.pk).update(**b)
        _, broken = verify_chain()
    assert broken is not None
    assert broken.event_id == first.pk


def test_new_events_extend_the_chain() -> None:
    last = AuditEvent.objects.order_by("-pk").first()
    assert last is not None
    event = record(actor=Actor.system(), action="test.event")
    assert event.prev_hash == last.hash
    assert verify_chain()[1] is None


def test_many_events_at_once_extend_the_chain_in_order() -> None:
    from samplan.audit.services import record_many
    from samplan.directory.models import Person

    persons = list(Person.objects.order_by("pk")[:5])
    last = AuditEvent.objects.order_by("-pk").first()
    assert last is not None
    events = record_many(
        actor=Actor.system(),
        action="test.search",
        entries=[{"person": p, "detail": {"ids": [p.pk]}} for p in persons],
    )
    assert [e.person_id for e in events] == [p.pk for p in persons]
    assert events[0].prev_hash == last.hash
    assert verify_chain()[1] is None
