"""The audit insert (samplan/audit/writer.py) writes what the ORM wrote, column for column, on
SQLite and PostgreSQL; the content hash is `chain.event_hash`'s; the events it hands back are
the rows as read; several events are one INSERT; seal and verify pass over its events."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import DatabaseError, connection, models, transaction
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from samplan.accounts.models import User
from samplan.audit import partitions, writer
from samplan.audit.chain import event_hash
from samplan.audit.models import AuditEvent, Outcome
from samplan.audit.seal import seal_pending
from samplan.audit.services import neutralise, record, record_many
from samplan.audit.verify import verify
from samplan.authz.actor import Actor
from samplan.core import orm as core_orm
from samplan.core.logging import request_id_var
from samplan.directory.models import Organisation, Person
from samplan.plans.models import Plan
from tests.audit.conftest import in_thread, joined

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 10, 11, 0, 0, 123456, tzinfo=UTC)
AT_WHOLE_SECOND = datetime(2026, 3, 10, 11, 0, 0, tzinfo=UTC)  # str() leaves out ".000000"
REQUEST = "0f3c9a6e2b7d4c1e"
# Details of every kind JSON holds: what orjson writes as json does, and what it does not
# (floats, integers beyond 64 bits), control characters and text beyond ASCII.
DETAILS: list[dict[str, Any]] = [
    {},
    {"ids": [1, 2, 3]},
    {"ids": ["Patient/17", "CarePlan/4"], "plans": [9]},
    {"text": "Åsa Öberg — ✓", "nested": {"b": [True, False, None], "a": ""}},
    {"ratio": 1.5, "small": 1e-7, "whole": 2.0},
    {"big": 2**70, "negative": -(2**63), "edge": 2**63 - 1},
    {"quote": 'a"b\\c', "line": "first\nsecond\tthird"},  # PostgreSQL refuses NUL in JSON
]


# The ORM's way, as samplan/audit/services.py wrote events before the writer ---------------


def _orm_event(
    actor: Actor, action: str, entry: dict[str, Any], outcome: str, *, clean: bool
) -> AuditEvent:
    user = actor.user if actor.user is not None and actor.user.is_authenticated else None
    unit = actor.unit
    obj = entry.get("obj")
    event = AuditEvent(
        at=timezone.now(),
        actor=user,
        actor_unit=unit,
        actor_organisation=unit.organisation if unit else entry.get("organisation"),
        person=entry.get("person"),
        action=str(action),
        outcome=outcome,
        object_type=obj._meta.label_lower if isinstance(obj, models.Model) else "",
        object_id=str(obj.pk) if isinstance(obj, models.Model) and obj.pk else "",
        ground=neutralise(entry.get("ground", "")),
        request_id=request_id_var.get(),
        detail=entry.get("detail", {}),
    )
    if clean:  # `record` neutralises the detail's strings, `record_many` does not
        event.detail = {
            k: neutralise(v) if isinstance(v, str) else v for k, v in event.detail.items()
        }
    event.hash = event_hash(event)
    return event


def orm_record(actor: Actor, action: str, entry: dict[str, Any], outcome: str) -> AuditEvent:
    event = _orm_event(actor, action, entry, outcome, clean=True)
    event.save(force_insert=True)
    return event


def orm_record_many(actor: Actor, action: str, entries: list[dict[str, Any]]) -> list[AuditEvent]:
    events = [_orm_event(actor, action, entry, Outcome.OK, clean=False) for entry in entries]
    return AuditEvent.objects.bulk_create(events)


# Reading rows as stored ------------------------------------------------------------------------

STORED = [*writer.COLUMNS, "xid"]


def stored(pk: int) -> tuple[Any, ...]:
    """The row as the database holds it: each column as text (SQLite also its storage class;
    PostgreSQL also the table it landed in), not as Django reads it back."""
    if connection.vendor == "sqlite":
        columns = ", ".join(f'typeof("{c}"), CAST("{c}" AS TEXT)' for c in STORED)
    else:
        columns = ", ".join(f'CAST("{c}" AS TEXT)' for c in STORED)
        columns += ", tableoid::regclass::text"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM audit_auditevent WHERE id = %s", [pk])
        row = cursor.fetchone()
    assert row is not None
    return tuple(row)


def same_fields(event: AuditEvent, other: AuditEvent) -> None:
    for field in AuditEvent._meta.concrete_fields:
        assert getattr(event, field.attname) == getattr(other, field.attname), field.attname


# Fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def staff() -> Actor:
    """A member of a unit: actor, unit and organisation are all set."""
    return Actor.for_user(User.objects.get(username="karin.holm"))


@pytest.fixture
def request_id() -> Iterator[str]:
    token = request_id_var.set(REQUEST)
    yield REQUEST
    request_id_var.reset(token)


def entries() -> list[dict[str, Any]]:
    persons = list(Person.objects.order_by("pk")[: len(DETAILS)])
    plan = Plan.objects.order_by("pk").first()
    made = []
    for i, (person, detail) in enumerate(zip(persons, DETAILS, strict=True)):
        entry: dict[str, Any] = {"person": person, "detail": detail}
        if i % 2:
            entry["ground"] = "relation\r\nforged: line" if i == 1 else "plan"
        if i % 3 == 1:
            entry["obj"] = plan
        made.append(entry)
    return made


# The rows ----------------------------------------------------------------------------------


@pytest.mark.parametrize("at", [AT, AT_WHOLE_SECOND])
def test_record_writes_the_orms_row(staff: Actor, request_id: str, at: datetime) -> None:
    for entry in entries():
        for outcome in [Outcome.OK, Outcome.DENIED, "invalid"]:
            with mock.patch.object(timezone, "now", return_value=at):
                ours = record(
                    actor=staff,
                    action="person.read",
                    outcome=outcome,
                    person=entry["person"],
                    obj=entry.get("obj"),
                    ground=entry.get("ground", ""),
                    detail=entry["detail"],
                )
                theirs = orm_record(staff, "person.read", entry, outcome)
            assert stored(ours.pk) == stored(theirs.pk)
            assert ours.hash == theirs.hash == event_hash(ours)
            assert ours.request_id == REQUEST
            same_fields(ours, AuditEvent.objects.get(pk=ours.pk))


def test_record_many_writes_the_orms_rows(staff: Actor, request_id: str) -> None:
    with mock.patch.object(timezone, "now", return_value=AT):
        ours = record_many(actor=staff, action="worklist.read", entries=entries())
        theirs = orm_record_many(staff, "worklist.read", entries())
    assert len(ours) == len(theirs) == len(DETAILS)
    for mine, orm in zip(ours, theirs, strict=True):
        assert stored(mine.pk) == stored(orm.pk)
        assert mine.hash == orm.hash == event_hash(mine)
        same_fields(mine, AuditEvent.objects.get(pk=mine.pk))
    assert [e.pk for e in ours] == sorted(e.pk for e in ours)


def test_an_actor_without_a_unit_names_the_organisation(request_id: str) -> None:
    """The log reviewer acts by an organisation role: the organisation is per call or per
    entry; the system actor has neither user nor unit."""
    reviewer = Actor.for_user(User.objects.get(username="granskare.ekbacka"))
    organisation = Organisation.objects.order_by("pk").first()
    other = Organisation.objects.order_by("-pk").first()
    assert organisation is not None
    assert other is not None
    assert reviewer.unit is None
    person = Person.objects.order_by("pk").first()
    batch: list[dict[str, Any]] = [{"person": person}, {"person": person, "organisation": other}]
    with mock.patch.object(timezone, "now", return_value=AT):
        ours = record_many(
            actor=reviewer, action="audit.review.read", entries=batch, organisation=organisation
        )
        theirs = orm_record_many(
            reviewer, "audit.review.read", [{"organisation": organisation, **e} for e in batch]
        )
        one = record(actor=Actor.system(), action="test.event", organisation=other)
        orm_one = orm_record(Actor.system(), "test.event", {"organisation": other}, Outcome.OK)
    assert [e.actor_organisation_id for e in ours] == [organisation.pk, other.pk]
    for mine, orm in [*zip(ours, theirs, strict=True), (one, orm_one)]:
        assert stored(mine.pk) == stored(orm.pk)
        assert mine.hash == orm.hash


def test_the_events_handed_back_cache_what_the_caller_gave(staff: Actor) -> None:
    person = Person.objects.order_by("pk").first()
    with CaptureQueriesContext(connection) as queries:
        event = record(actor=staff, action="person.read", person=person)
        [listed] = record_many(actor=staff, action="worklist.read", entries=[{"person": person}])
        for made in [event, listed]:
            assert made.person is person
            assert made.actor is staff.user
            assert made.actor_unit is staff.unit
            assert made.actor_organisation == staff.organisation
            assert not made._state.adding
            assert made._state.db == "default"
    assert len(queries.captured_queries) == 2
    event.refresh_from_db()  # a row the instance names
    assert event.hash == event_hash(event)


def _made(event: AuditEvent) -> tuple[dict[str, Any], dict[str, Any]]:
    state = {k: v for k, v in vars(event._state).items() if k != "fields_cache"}
    return {k: v for k, v in vars(event).items() if k != "_state"}, state


def test_the_instances_are_as_from_db_makes_them(staff: Actor) -> None:
    """Made without Model.__init__ (as unpickling does), the same attributes and state."""
    persons = list(Person.objects.order_by("pk")[:3])
    events = record_many(
        actor=staff, action="worklist.read", entries=[{"person": p} for p in persons]
    )
    for event in events:
        values = [getattr(event, name) for name in writer.FIELDS]
        assert _made(event) == _made(AuditEvent.from_db("default", writer.FIELDS, values))


def test_with_a_listener_to_instances_made_they_are_made_the_orms_way(staff: Actor) -> None:
    seen: list[AuditEvent] = []

    def listen(sender: type[AuditEvent], instance: AuditEvent, **kwargs: Any) -> None:
        seen.append(instance)

    # Whether instances are plain is known once per model (receivers connect at start-up).
    post_init.connect(listen, sender=AuditEvent)
    core_orm._PLAIN.pop(AuditEvent, None)
    try:
        events = record_many(
            actor=staff, action="worklist.read", entries=[{"person": None}, {"person": None}]
        )
        event = record(actor=staff, action="person.read")
    finally:
        post_init.disconnect(listen, sender=AuditEvent)
        core_orm._PLAIN.pop(AuditEvent, None)
    assert seen == [*events, event]
    assert event.actor is staff.user
    same_fields(event, AuditEvent.objects.get(pk=event.pk))


def test_record_many_of_nothing_writes_nothing(staff: Actor) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert record_many(actor=staff, action="worklist.read", entries=[]) == []
    assert not queries.captured_queries


# Queries -----------------------------------------------------------------------------------


def test_several_events_are_one_insert(staff: Actor) -> None:
    persons = list(Person.objects.order_by("pk")[:12])
    with CaptureQueriesContext(connection) as queries:
        events = record_many(
            actor=staff,
            action="worklist.read",
            entries=[{"person": p, "detail": {"ids": [p.pk]}} for p in persons],
        )
    [insert] = [q["sql"] for q in queries.captured_queries]
    assert insert.startswith('INSERT INTO "audit_auditevent"')
    assert [e.person_id for e in events] == [p.pk for p in persons]
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in events]).count() == len(persons)


def test_more_rows_than_a_statement_takes_go_in_batches(staff: Actor) -> None:
    """SQLite takes a bounded number of parameters: rows go in batches, in order. On
    PostgreSQL one statement takes any number of rows (one array per column)."""
    sql = writer.statements(connection)
    persons = list(Person.objects.order_by("pk")[:5])
    with (
        mock.patch.dict(
            writer._statements,
            {(connection.alias, connection.vendor): dataclasses.replace(sql, batch=2)},
        ),
        CaptureQueriesContext(connection) as queries,
    ):
        events = record_many(
            actor=staff, action="worklist.read", entries=[{"person": p} for p in persons]
        )
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == (1 if connection.vendor == "postgresql" else 3)
    assert [e.person_id for e in events] == [p.pk for p in persons]
    for event in events:
        same_fields(event, AuditEvent.objects.get(pk=event.pk))


def test_the_statement_is_written_once_per_connection() -> None:
    assert writer.statements(connection) is writer.statements(connection)


# Failures ----------------------------------------------------------------------------------


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_failed_insert_leaves_the_transaction_to_be_rolled_back(staff: Actor) -> None:
    """As Model.save: inside an atomic block the failed insert marks it for rollback."""
    marked = []
    with transaction.atomic():
        try:
            record(actor=staff, action="x" * 61)  # longer than the column takes
        except DatabaseError:
            marked.append(connection.needs_rollback)
        else:
            pytest.fail("the insert should fail")
        # Left marked, the block's end rolls back to its start (and raises nothing).
    assert marked == [True]
    assert AuditEvent.objects.filter(action="x" * 61).count() == 0


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_events_land_in_their_months_partition(staff: Actor) -> None:
    """The insert names the parent table; PostgreSQL routes the row to the month's partition
    (made ahead at migration), the id from the sequence and `xid` from the default."""
    event = record(actor=staff, action="person.read")
    [listed] = record_many(actor=staff, action="worklist.read", entries=[{"person": None}])
    month = partitions.partition_name(partitions.current_month(event.at))
    assert stored(event.pk)[-1] == stored(listed.pk)[-1] == month
    assert listed.pk == event.pk + 1
    assert event.xid is not None  # the transaction's, from the column's default
    assert event.xid == listed.xid


# Seal and verify ---------------------------------------------------------------------------


def test_seal_and_verify_pass_over_the_writers_events(committed: None, key: Path) -> None:
    """Events of every kind written by `record` and `record_many`, committed (on PostgreSQL
    from another connection: the sealer seals what has committed), sealed and verified."""

    def write() -> list[int]:
        staff = Actor.for_user(User.objects.get(username="karin.holm"))
        made = [record(actor=staff, action="person.read", detail=d).pk for d in DETAILS]
        made.append(
            record(actor=Actor.system(), action="test.event", ground="a\x00b", outcome="denied").pk
        )
        made += [e.pk for e in record_many(actor=staff, action="worklist.read", entries=entries())]
        return made

    seal_pending()  # the demo world's events
    made: list[int] = []
    if connection.vendor == "sqlite":
        made = write()
    else:
        joined(in_thread(lambda: made.extend(write())))
    assert len(made) == 2 * len(DETAILS) + 1
    run = seal_pending()
    assert run.events == len(made)
    report = verify()
    assert report.intact, report.findings
    assert report.sealed == report.events == AuditEvent.objects.count()
