"""Audit retention (`samplan audit retain`, samplan/audit/retention.py) on both databases, and
the audit table partitioned by month on PostgreSQL (samplan/audit/partitions.py).

Old events are made in the test's transaction with the content hash `record` gives them. On
PostgreSQL the sealer seals only events whose transaction has ended, so they carry the
transaction id of the demo world's (committed) events: to the sealer they are events committed
long ago. Everything, partitions made and dropped included, is undone with the transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from samplan.audit import partitions
from samplan.audit.chain import event_hash
from samplan.audit.models import AuditEvent, AuditRetention, AuditSeal
from samplan.audit.retention import RetentionError, retain
from samplan.audit.seal import seal_hash, seal_pending
from samplan.audit.verify import verify
from tests.audit.conftest import triggers_off

pytestmark = pytest.mark.django_db

OLD_MONTHS = [date(2015, 1, 1), date(2015, 2, 1), date(2015, 3, 1)]
PER_MONTH = 3
POSTGRESQL = "connection.vendor != 'postgresql'"


_XID: list[int | None] = []


def committed_xid() -> int | None:
    """A transaction id of the demo world's events (committed when the suite began)."""
    if not _XID:
        _XID.append(AuditEvent.objects.exclude(xid=None).values_list("xid", flat=True).first())
    return _XID[0]


def old_event(at: datetime, *, committed: bool = True) -> AuditEvent:
    event = AuditEvent(at=at, action="test.old", outcome="ok")
    event.hash = event_hash(event)
    if connection.vendor == "postgresql" and committed:
        event.xid = committed_xid()
    event.save(force_insert=True)
    return event


def make_old_events(*, committed: bool = True) -> list[AuditEvent]:
    """PER_MONTH events in each of OLD_MONTHS (mid-month, noon UTC): the newest ids."""
    return [
        old_event(datetime(m.year, m.month, 10 + day, 12, tzinfo=UTC), committed=committed)
        for m in OLD_MONTHS
        for day in range(PER_MONTH)
    ]


@pytest.fixture
def old_sealed(key: Path) -> list[AuditEvent]:
    """The demo world and the old events sealed, in seals of 50."""
    events = make_old_events()
    seal_pending(batch=50)
    return events


class _Out:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def located(event_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM audit_auditevent WHERE id = %s", [event_id]
        )
        return str(cursor.fetchone()[0])


# Retention, both databases -----------------------------------------------------------------


def test_retain_removes_old_months_and_verify_still_passes(old_sealed: list[AuditEvent]) -> None:
    before = AuditEvent.objects.count()
    seals = AuditSeal.objects.count()
    done = retain(date(2015, 3, 1))
    assert done.events == 2 * PER_MONTH
    assert AuditEvent.objects.count() == before - 2 * PER_MONTH
    assert not AuditEvent.objects.filter(at__lt=datetime(2015, 3, 1, tzinfo=UTC)).exists()
    assert AuditEvent.objects.filter(action="test.old").count() == PER_MONTH
    # The old events have the newest ids: the seals holding them hold newer events too, so
    # they stay, and the record carries the removed events' leaves.
    assert done.seals == 0
    assert AuditSeal.objects.count() == seals
    record = AuditRetention.objects.get()
    assert record.count == 2 * PER_MONTH
    assert len(record.carried.splitlines()) == 2 * PER_MONTH
    if connection.vendor == "postgresql":
        assert done.partitions == ["audit_auditevent_p2015_01", "audit_auditevent_p2015_02"]
        assert record.partitions == "audit_auditevent_p2015_01,audit_auditevent_p2015_02"
    report = verify()
    assert report.intact, report.findings
    assert (report.retained, report.retentions) == (2 * PER_MONTH, 1)
    # Nothing older left: a second run records nothing.
    assert retain(date(2015, 3, 1)).record is None


def test_retain_of_everything_removes_the_seals_and_the_chain_goes_on(
    old_sealed: list[AuditEvent],
) -> None:
    last = AuditSeal.objects.order_by("-number").first()
    assert last is not None
    done = retain(date(2030, 1, 1), now=datetime(2040, 1, 1, tzinfo=UTC))
    assert done.seals == last.number
    assert not AuditSeal.objects.exists()
    assert not AuditEvent.objects.exists()
    record = AuditRetention.objects.get()
    assert (record.seals_through, record.seal_hash) == (last.number, seal_hash(last))
    assert verify().intact
    # A new event is sealed by seal number last + 1, linked to the record's hash.
    old_event(datetime(2040, 1, 2, tzinfo=UTC))
    assert seal_pending().seals == 1
    newest = AuditSeal.objects.get()
    assert (newest.number, newest.prev_hash) == (last.number + 1, seal_hash(last))
    report = verify()
    assert report.intact, report.findings


def test_a_tampered_retention_record_is_reported(old_sealed: list[AuditEvent]) -> None:
    retain(date(2015, 3, 1))
    with triggers_off(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditretention DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER audit_retention_no_update")
        AuditRetention.objects.update(count=1)
        report = verify()
    assert "signature" in report.kinds(), report.findings


def test_events_deleted_elsewhere_are_still_named_after_retention(
    old_sealed: list[AuditEvent],
) -> None:
    retain(date(2015, 3, 1))
    kept = AuditEvent.objects.filter(action="test.old").order_by("pk").first()
    assert kept is not None
    with triggers_off():
        AuditEvent.objects.filter(pk=kept.pk)._raw_delete(connection.alias)
        report = verify()
    assert [(f.kind, f.event_id) for f in report.findings] == [("deleted", kept.pk)]


def test_seals_removed_without_a_record_are_reported(old_sealed: list[AuditEvent]) -> None:
    retain(date(2015, 3, 1))
    with triggers_off():
        AuditSeal.objects.filter(number=1)._raw_delete(connection.alias)
        report = verify()
    assert "seal-removed" in report.kinds()


def test_retain_refuses_unsealed_events_and_changes_nothing(key: Path) -> None:
    seal_pending(batch=50)
    make_old_events(committed=False)  # not sealed
    count = AuditEvent.objects.count()
    with pytest.raises(RetentionError, match=r"inte förseglade.*not sealed"):
        retain(date(2015, 3, 1))
    assert AuditEvent.objects.count() == count
    assert not AuditRetention.objects.exists()


def _retain_fails(*args: str) -> str:
    count = (AuditEvent.objects.count(), AuditSeal.objects.count())
    with pytest.raises(CommandError) as raised:
        call_command("audit", "retain", *args, stdout=_Out())
    assert (AuditEvent.objects.count(), AuditSeal.objects.count()) == count
    assert not AuditRetention.objects.exists()
    return str(raised.value)


@pytest.mark.parametrize("month", ["2020-13", "2020-00", "20-01", "januari", "2020-1-1"])
def test_the_retain_command_refuses_a_month_it_cannot_read(key: Path, month: str) -> None:
    message = _retain_fails("--before", month)
    assert "Ogiltig månad" in message
    assert "Invalid month" in message


def test_the_retain_command_refuses_a_month_inside_the_retention_period(
    key: Path, settings: Any
) -> None:
    settings.AUDIT_RETENTION_MONTHS = 120
    this = partitions.current_month()
    message = _retain_fails("--before", f"{this:%Y-%m}")
    assert "inom lagringstiden" in message
    assert "inside the retention period" in message
    assert "120" in message


def test_the_retain_command_refuses_unsealed_events(key: Path) -> None:
    make_old_events(committed=False)
    message = _retain_fails("--before", "2015-03")
    assert "inte förseglade" in message
    assert "not sealed" in message


def test_the_retain_command(old_sealed: list[AuditEvent]) -> None:
    out = _Out()
    call_command("audit", "retain", "--before", "2015-03", stdout=out)
    assert f"Removed {2 * PER_MONTH} audit events before 2015-03" in out.text
    call_command("audit", "retain", "--before", "2015-03", stdout=(again := _Out()))
    assert "nothing was changed" in again.text
    out = _Out()
    call_command("audit", "verify", stdout=out)
    assert "removed at retention" in out.text
    assert "intact" in out.text


# The partitioned table, PostgreSQL ----------------------------------------------------------


@pytest.mark.skipif(POSTGRESQL)
def test_postgresql_the_table_is_partitioned_by_month_after_migrate() -> None:
    assert partitions.is_partitioned()
    this = partitions.current_month()
    with connection.cursor() as cursor:
        have = partitions.existing(cursor)
        for ahead in range(partitions.AHEAD + 1):
            assert partitions.add_months(this, ahead) in have
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [partitions.DEFAULT])
        assert cursor.fetchone()[0]
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'audit_auditevent'::regclass AND contype = 'p'"
        )
        assert cursor.fetchone()[0] == "PRIMARY KEY (id, at)"
        cursor.execute("SELECT pg_get_serial_sequence('audit_auditevent', 'id')")
        assert cursor.fetchone()[0] == "public.audit_auditevent_id_seq"


@pytest.mark.skipif(POSTGRESQL)
def test_postgresql_inserts_go_to_their_month_or_the_default(key: Path) -> None:
    this = partitions.current_month()
    now = old_event(datetime.now(UTC))
    assert located(now.pk) == partitions.partition_name(this)
    # 00:30 on 1 March, Stockholm time, is still February in UTC: the month is Stockholm's.
    assert partitions.ensure_months(date(2015, 2, 1), date(2015, 3, 1))
    edge = old_event(datetime(2015, 2, 28, 23, 30, tzinfo=UTC))
    assert located(edge.pk) == "audit_auditevent_p2015_03"
    far = old_event(datetime(2100, 1, 1, tzinfo=UTC))
    assert located(far.pk) == partitions.DEFAULT


@pytest.mark.skipif(POSTGRESQL)
def test_postgresql_a_partition_is_append_only(key: Path) -> None:
    event = old_event(datetime.now(UTC))
    name = located(event.pk)
    for statement in [
        f"UPDATE {name} SET action = 'x' WHERE id = %s",
        f"DELETE FROM {name} WHERE id = %s",
        "UPDATE audit_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ]:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            connection.cursor().execute(statement, [event.pk])
    connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks
    for table in [name, partitions.DEFAULT, "audit_auditevent"]:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            connection.cursor().execute(f"TRUNCATE {table}")
    assert AuditEvent.objects.get(pk=event.pk).action == "test.old"


@pytest.mark.skipif(POSTGRESQL)
def test_postgresql_ensure_ahead_makes_future_months_once() -> None:
    this = partitions.current_month()
    made = partitions.ensure_ahead(months=partitions.AHEAD + 2)
    assert made == [partitions.partition_name(partitions.add_months(this, n)) for n in (4, 5)]
    assert partitions.ensure_ahead(months=partitions.AHEAD + 2) == []
    # The new month's partition is append-only too (the row trigger and its own TRUNCATE's).
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        connection.cursor().execute(f"TRUNCATE {made[-1]}")


@pytest.mark.skipif(POSTGRESQL)
def test_postgresql_rows_in_the_default_partition_move_to_their_month(key: Path) -> None:
    events = make_old_events()
    assert {located(e.pk) for e in events} == {partitions.DEFAULT}
    made = partitions.ensure_ahead()
    assert made == [partitions.partition_name(m) for m in OLD_MONTHS]
    assert partitions.default_rows() == 0
    for event in events:
        assert located(event.pk) == partitions.partition_name(event.at.date().replace(day=1))
        stored = AuditEvent.objects.get(pk=event.pk)
        assert (stored.hash, stored.at) == (event.hash, event.at)
    seal_pending(batch=50)
    assert verify().intact


@pytest.mark.skipif(POSTGRESQL)
def test_postgresql_a_dropped_partition_without_a_record_is_reported(
    old_sealed: list[AuditEvent],
) -> None:
    partitions.move_default_rows()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE audit_auditevent_p2015_01")
    report = verify()
    assert report.kinds() == {"deleted"}
    assert report.counts["deleted"] == PER_MONTH


@pytest.mark.skipif(POSTGRESQL)
def test_postgresql_retain_drops_the_partitions(old_sealed: list[AuditEvent]) -> None:
    retain(date(2015, 3, 1))
    with connection.cursor() as cursor:
        have = partitions.existing(cursor)
    assert date(2015, 3, 1) in have
    assert date(2015, 1, 1) not in have
    assert date(2015, 2, 1) not in have
