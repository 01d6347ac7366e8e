"""The audit log's seals: `samplan audit verify` finds each kind of tampering, a missing or
wrong key is reported with the seals it could not check, and events committed out of id order
are sealed once each, in a later seal, never skipped.

Tampering is done as an attacker with database rights would: with the append-only triggers
lifted, inside the test's transaction, which undoes it. The out-of-order test on PostgreSQL
commits for real from other connections (threads) and removes what it committed afterwards:
pytest-django's transactional tests end by emptying every table, which the append-only
triggers refuse and which would take the shared demo world from the other tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from samplan.audit.chain import event_hash
from samplan.audit.models import AuditEvent, AuditSeal
from samplan.audit.seal import SealKeyError, seal_pending, write_new_key
from samplan.audit.services import record
from samplan.audit.verify import verify
from samplan.authz.actor import Actor
from tests.audit.conftest import in_thread, joined, triggers_off

pytestmark = pytest.mark.django_db

EVENT_FIELDS = [
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
    "hash",
]


@pytest.fixture
def commit_event(committed: None) -> Callable[[str], AuditEvent]:
    """Record an event and commit it. On SQLite in the test's transaction (the one writer);
    on PostgreSQL from another connection, since the sealer seals only what has committed."""

    def commit(action: str) -> AuditEvent:
        if connection.vendor == "sqlite":
            return record(actor=Actor.system(), action=action)
        made: list[int] = []
        joined(in_thread(lambda: made.append(record(actor=Actor.system(), action=action).pk)))
        return AuditEvent.objects.get(pk=made[0])

    return commit


def middle() -> AuditEvent:
    ids = list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))
    return AuditEvent.objects.get(pk=ids[len(ids) // 2])


def verify_fails(match: str) -> None:
    with pytest.raises(CommandError, match="NOT INTACT"):
        call_command("audit", "verify", stdout=(out := _Out()))
    assert match in out.text, out.text


class _Out:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def test_a_clean_log_verifies(sealed: int) -> None:
    report = verify()
    assert report.intact, report.findings
    assert report.seals == sealed > 2
    assert report.sealed == report.events == AuditEvent.objects.count()
    out = _Out()
    call_command("audit", "verify", stdout=out)
    assert "intact" in out.text


def test_seals_are_append_only(sealed: int) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditSeal.objects.filter(number=1).update(root="0" * 64)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditSeal.objects.filter(number=1).delete()


def test_sealing_again_seals_only_what_is_new(
    sealed: int, commit_event: Callable[[str], AuditEvent]
) -> None:
    assert seal_pending().events == 0
    event = commit_event("test.event")
    run = seal_pending()
    assert (run.seals, run.events) == (1, 1)
    newest = AuditSeal.objects.order_by("-number").first()
    assert newest is not None
    assert (newest.number, newest.first_id, newest.last_id) == (sealed + 1, event.pk, event.pk)
    assert verify().intact


def test_an_edited_event_is_named(sealed: int) -> None:
    event = middle()
    with triggers_off():
        AuditEvent.objects.filter(pk=event.pk).update(action="person.read.hidden")
        report = verify()
        assert [(f.kind, f.event_id) for f in report.findings] == [("edited", event.pk)]
        verify_fails(f"event {event.pk} was edited")


def test_an_edited_event_with_its_hash_rewritten_is_found(sealed: int) -> None:
    event = middle()
    event.ground = "a ground that was never given"
    with triggers_off():
        AuditEvent.objects.filter(pk=event.pk).update(ground=event.ground, hash=event_hash(event))
        report = verify()
    assert [f.kind for f in report.findings] == ["edited"]
    assert "hash rewritten" in report.findings[0].message


def test_a_deleted_event_is_named(sealed: int) -> None:
    event = middle()
    with triggers_off():
        AuditEvent.objects.filter(pk=event.pk).delete()
        report = verify()
        assert [(f.kind, f.event_id) for f in report.findings] == [("deleted", event.pk)]
        verify_fails(f"event {event.pk} was deleted")


def test_the_newest_event_deleted_is_named(sealed: int) -> None:
    newest = AuditEvent.objects.order_by("-pk").first()
    assert newest is not None
    with triggers_off():
        AuditEvent.objects.filter(pk=newest.pk).delete()
        report = verify()
    assert [(f.kind, f.event_id) for f in report.findings] == [("deleted", newest.pk)]


def test_reordered_events_are_found(sealed: int) -> None:
    first = middle()
    second = AuditEvent.objects.filter(pk__gt=first.pk).order_by("pk").first()
    assert second is not None
    a = {f: getattr(first, f) for f in EVENT_FIELDS}
    b = {f: getattr(second, f) for f in EVENT_FIELDS}
    assert a["hash"] != b["hash"]
    with triggers_off():
        AuditEvent.objects.filter(pk=second.pk).update(**a)
        AuditEvent.objects.filter(pk=first.pk).update(**b)
        report = verify()
        assert [f.kind for f in report.findings] == ["reordered"]
        verify_fails("not in the order they were sealed")


def test_an_inserted_event_is_named(commit_event: Callable[[str], AuditEvent]) -> None:
    """An event slipped in below sealed ones (into a gap of ids) after they were sealed."""
    before = commit_event("test.before")
    _skip_ids(10)
    commit_event("test.after")
    seal_pending()
    forged = AuditEvent(pk=before.pk + 5, at=before.at, action="person.read", outcome="ok")
    forged.xid = before.xid  # on PostgreSQL: as if its transaction had ended long ago
    forged.hash = event_hash(forged)
    forged.save(force_insert=True)
    report = verify()
    assert [(f.kind, f.event_id) for f in report.findings] == [("inserted", forged.pk)]
    verify_fails(f"event {forged.pk} is in no seal")


def _skip_ids(count: int) -> None:
    """Leave a gap in the event ids, as rolled-back transactions do on PostgreSQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = seq + %s WHERE name = 'audit_auditevent'",
                [count],
            )
        else:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), "
                "(SELECT max(id) FROM audit_auditevent) + %s)",
                [count],
            )


def test_a_removed_seal_is_found(sealed: int) -> None:
    with triggers_off():
        AuditSeal.objects.filter(number=2).delete()
        report = verify()
        verify_fails("seal 2 is missing (removed)")
    assert "seal-removed" in report.kinds()
    # Its events are in no seal now, below sealed ones: each is named as well.
    assert {f.kind for f in report.findings} == {"seal-removed", "inserted"}
    assert len([f for f in report.findings if f.kind == "inserted"]) == 50


def test_an_altered_seal_is_found(sealed: int) -> None:
    with triggers_off():
        AuditSeal.objects.filter(number=2).update(count=49)
        report = verify()
    assert "signature" in report.kinds()


def test_events_unsealed_past_the_window_are_reported(key: Path, settings: Any) -> None:
    """Times are given to verify as `now`, from the events' own times: no clock involved."""
    oldest = AuditEvent.objects.order_by("at").first()
    newest = AuditEvent.objects.order_by("-at").first()
    assert oldest is not None
    assert newest is not None
    assert verify(now=oldest.at).intact  # nothing sealed yet, nothing older than the window
    later = newest.at + timedelta(seconds=61)
    report = verify(now=later)
    assert report.kinds() == {"unsealed"}
    assert len(report.findings) == AuditEvent.objects.count()
    seal_pending()
    assert verify(now=later).intact
    event = record(actor=Actor.system(), action="test.event")
    report = verify(now=event.at + timedelta(seconds=61))
    assert [(f.kind, f.event_id) for f in report.findings] == [("unsealed", event.pk)]
    assert verify(now=event.at + timedelta(seconds=59)).intact
    settings.AUDIT_SEAL_WINDOW_SECONDS = 3600
    assert verify(now=event.at + timedelta(seconds=61)).intact


def test_a_missing_key_is_reported_with_the_seals_it_could_not_check(
    sealed: int, settings: Any, tmp_path: Path
) -> None:
    settings.AUDIT_SEAL_KEY_FILE = tmp_path / "nowhere.pem"
    settings.AUDIT_SEAL_KEY_MAKE_ON_FIRST_USE = False
    report = verify()
    assert "missing" in report.key_problem
    assert report.unchecked == list(range(1, sealed + 1))
    assert [f.kind for f in report.findings] == ["key"]
    verify_fails(f"the signatures of seals 1-{sealed} could not be checked")
    with pytest.raises(SealKeyError, match="missing"):
        seal_pending()  # a configured key is never made up


def test_a_wrong_key_is_reported_with_the_seals_it_could_not_check(
    sealed: int, settings: Any, tmp_path: Path
) -> None:
    settings.AUDIT_SEAL_KEY_FILE = tmp_path / "another.pem"
    write_new_key(settings.AUDIT_SEAL_KEY_FILE)
    report = verify()
    assert report.unchecked == list(range(1, sealed + 1))
    assert [f.kind for f in report.findings] == ["key"]
    assert "wrong key" in report.findings[0].message
    verify_fails(f"seals 1-{sealed} could not be checked")


def test_an_earlier_key_stays_trusted_when_listed(
    sealed: int,
    key: Path,
    settings: Any,
    tmp_path: Path,
    commit_event: Callable[[str], AuditEvent],
) -> None:
    from samplan.audit.seal import public_hex, read_key

    earlier = public_hex(read_key(key))
    settings.AUDIT_SEAL_KEY_FILE = tmp_path / "next.pem"
    write_new_key(settings.AUDIT_SEAL_KEY_FILE)
    settings.AUDIT_SEAL_TRUSTED_KEYS = [earlier]
    commit_event("test.event")
    assert seal_pending().seals == 1
    assert verify().intact


def test_keygen_writes_a_key_for_its_owner_only_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    out = _Out()
    call_command("audit", "keygen", "--path", str(path), stdout=out)
    assert path.stat().st_mode & 0o777 == 0o600
    assert "Public key:" in out.text
    with pytest.raises(CommandError, match="never overwritten"):
        call_command("audit", "keygen", "--path", str(path))


def test_the_seal_command(key: Path) -> None:
    out = _Out()
    call_command("audit", "seal", stdout=out)
    assert "Sealed" in out.text
    assert key.stat().st_mode & 0o777 == 0o600
    assert verify().intact


# Out of id order ------------------------------------------------------------------------------


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_sqlite_has_one_writer_so_ids_come_in_commit_order(key: Path) -> None:
    """While a transaction that took an event id is open, no other can begin to write, so a
    later id can never commit before an earlier one."""
    import sqlite3

    first = record(actor=Actor.system(), action="test.first")  # the test's open transaction
    name = str(connection.settings_dict["NAME"])
    other = sqlite3.connect(name, uri=name.startswith("file:"), timeout=0.05)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
    run = seal_pending()
    assert AuditSeal.objects.order_by("-number")[0].last_id == first.pk
    assert run.events == AuditEvent.objects.count()
    assert verify().intact


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_events_committed_out_of_id_order_are_sealed_once_each(
    committed: None,
) -> None:
    """A transaction takes an id; another takes a later id and commits first. The sealer seals
    the later one and not the earlier (still open), then the earlier in the next seal."""
    took_id = threading.Event()
    may_commit = threading.Event()
    ids: dict[str, int] = {}

    def earlier() -> None:
        with transaction.atomic():
            ids["earlier"] = record(actor=Actor.system(), action="test.earlier").pk
            took_id.set()
            assert may_commit.wait(timeout=60)

    def later() -> None:
        with transaction.atomic():
            ids["later"] = record(actor=Actor.system(), action="test.later").pk

    runs: list[tuple[int, int]] = []

    def seal() -> None:
        run = seal_pending()
        runs.append((run.seals, run.events))

    first = in_thread(earlier)
    assert took_id.wait(timeout=60)
    joined(in_thread(later))
    assert ids["earlier"] < ids["later"]
    try:
        joined(in_thread(seal))
    finally:
        may_commit.set()
        joined(first)

    seals = list(AuditSeal.objects.order_by("number"))
    held = {number: _held(seal.ids) for number, seal in enumerate(seals, 1)}
    assert any(ids["later"] in s for s in held.values())
    assert not any(ids["earlier"] in s for s in held.values())  # not skipped: not sealed yet
    report = verify()
    assert report.intact, report.findings
    assert report.waiting == 1  # the earlier event, committed after the seal

    joined(in_thread(seal))
    assert runs[-1] == (1, 1)
    newest = AuditSeal.objects.order_by("-number").first()
    assert newest is not None
    assert _held(newest.ids) == {ids["earlier"]}
    report = verify()
    assert report.intact, report.findings
    assert report.sealed == report.events


def _held(ranges: str) -> set[int]:
    from samplan.audit.seal import parse_ranges

    return {i for low, high in parse_ranges(ranges) for i in range(low, high + 1)}


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_an_open_transaction_does_not_hold_back_the_others(committed: None) -> None:
    """A long transaction's event waits; those committed around it are sealed meanwhile."""
    took_id = threading.Event()
    may_commit = threading.Event()

    def long_running() -> None:
        with transaction.atomic():
            record(actor=Actor.system(), action="test.long")
            took_id.set()
            assert may_commit.wait(timeout=60)

    def short() -> None:
        record(actor=Actor.system(), action="test.short")

    def seal() -> None:
        seal_pending()

    first = in_thread(long_running)
    assert took_id.wait(timeout=60)
    try:
        for _ in range(3):
            joined(in_thread(short))
            joined(in_thread(seal))
    finally:
        may_commit.set()
        joined(first)
    report = verify()
    assert report.intact, report.findings
    assert report.waiting == 1
    joined(in_thread(seal))
    report = verify()
    assert report.intact
    assert report.waiting == 0


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_writers_do_not_wait_for_each_other(key: Path) -> None:
    """An audit insert while another transaction holds one open: nothing to wait for."""
    record(actor=Actor.system(), action="test.open")  # the test's transaction stays open

    def other() -> None:
        with transaction.atomic():
            record(actor=Actor.system(), action="test.other")
            transaction.set_rollback(True)

    joined(in_thread(other))
