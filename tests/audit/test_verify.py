"""`samplan audit verify` read in chunks of ids, and on PostgreSQL by worker processes, finds
exactly what one pass over the events finds, in the same order; the fast row hash is the
event's hash; `keep` bounds the findings kept, never their count. Each kind of tampering is
in tests/audit/test_seal.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from samplan.audit import verify as verifying
from samplan.audit.chain import AT_TEXT_SQL, HASHED_FIELDS, at_text, content_hash, fields_hash
from samplan.audit.models import AuditEvent, AuditSeal
from samplan.audit.seal import seal_pending
from samplan.audit.verify import Report, row_hash, verify
from tests.audit.conftest import in_thread, joined, triggers_off
from tests.audit.test_canonical_json import payloads, text
from tests.audit.test_seal import EVENT_FIELDS, _Out, middle

pytestmark = pytest.mark.django_db

ids = st.none() | st.integers(min_value=1, max_value=2**63 - 1)


def _row(at: datetime, values: list[Any], detail: Any) -> tuple[Any, ...]:
    return (1, None, "", at_text(at), *values, detail)


@settings(max_examples=500, deadline=None)
@given(
    numbers=st.tuples(ids, ids, ids, ids),
    strings=st.tuples(text, text, text, text, text, text),
    detail=st.just({}) | st.dictionaries(text, payloads, max_size=5),
    micro=st.integers(min_value=0, max_value=999_999),
)
def test_the_row_hash_is_the_events_hash(
    numbers: tuple[Any, ...], strings: tuple[str, ...], detail: Any, micro: int
) -> None:
    at = datetime(2026, 3, 29, 1, 59, 59, micro, tzinfo=UTC)
    values = [*numbers, *strings]
    expected = fields_hash(at_text(at), [*values, detail])
    assert expected == content_hash(
        {"at": at, **dict(zip([a for _, a in HASHED_FIELDS], [*values, detail], strict=True))}
    )
    assert row_hash(_row(at, values, detail), detail_as_text=False) == expected
    # PostgreSQL hands jsonb out as text (its own form: 1e+16 comes back as 10000000000000000),
    # which Django's JSONField reads with json.loads: the row hash reads it the same way.
    as_text = json.dumps(detail, ensure_ascii=False)
    from_text = fields_hash(at_text(at), [*values, json.loads(as_text)])
    assert row_hash(_row(at, values, as_text), detail_as_text=True) == from_text


@pytest.mark.skipif("connection.vendor != 'postgresql'")  # runs in make test's PostgreSQL pass
def test_postgresql_writes_the_time_as_the_hash_covers_it() -> None:
    """AT_TEXT_SQL on PostgreSQL, at_text in Python: the same text for every stored event."""
    events = list(AuditEvent.objects.values_list("pk", "at"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {AT_TEXT_SQL} FROM audit_auditevent")
        texts = dict(cursor.fetchall())
    assert events
    assert all(texts[pk] == at_text(at) for pk, at in events)


def _same(one: Report, other: Report) -> None:
    assert other.findings == one.findings
    assert other.counts == one.counts
    assert (other.events, other.sealed, other.waiting, other.seals) == (
        one.events,
        one.sealed,
        one.waiting,
        one.seals,
    )


def _edit() -> None:
    AuditEvent.objects.filter(pk=middle().pk).update(action="person.read.hidden")


def _delete_first_and_last() -> None:
    """Seals reaching past the first and the last event read: checked across chunks."""
    AuditEvent.objects.filter(pk=AuditEvent.objects.order_by("pk")[0].pk).delete()
    AuditEvent.objects.filter(pk=AuditEvent.objects.order_by("-pk")[0].pk).delete()


def _delete_a_run() -> None:
    pks = list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))
    AuditEvent.objects.filter(pk__in=pks[40:130]).delete()


def _reorder() -> None:
    first = middle()
    second = AuditEvent.objects.filter(pk__gt=first.pk).order_by("pk")[0]
    a = {f: getattr(first, f) for f in EVENT_FIELDS}
    b = {f: getattr(second, f) for f in EVENT_FIELDS}
    AuditEvent.objects.filter(pk=second.pk).update(**a)
    AuditEvent.objects.filter(pk=first.pk).update(**b)


def _remove_seals() -> None:
    AuditSeal.objects.filter(number__in=[2, 3]).delete()


@pytest.mark.parametrize(
    "tamper", [_edit, _delete_first_and_last, _delete_a_run, _reorder, _remove_seals]
)
@pytest.mark.parametrize("chunks", [2, 7, 1000])
def test_chunks_find_what_one_pass_finds_in_the_same_order(
    sealed: int, tamper: Callable[[], None], chunks: int
) -> None:
    with triggers_off():
        tamper()
        one = verify()
        assert not one.intact
        _same(one, verify(chunks=chunks))


def test_chunks_find_unsealed_and_waiting_events_as_one_pass(sealed: int, settings: Any) -> None:
    from samplan.audit.services import record
    from samplan.authz.actor import Actor

    events = [record(actor=Actor.system(), action="test.event") for _ in range(5)]
    later = events[-1].at + timedelta(seconds=61)
    one = verify(now=later)
    assert one.counts["unsealed"] == 5
    _same(one, verify(now=later, chunks=5))
    one = verify(now=events[0].at)
    assert one.waiting == 5
    _same(one, verify(now=events[0].at, chunks=3))


def test_keep_bounds_the_findings_kept_not_counted(key: Path) -> None:
    newest = AuditEvent.objects.order_by("-at")[0]
    later = newest.at + timedelta(seconds=61)
    everything = verify(now=later)
    total = AuditEvent.objects.count()
    assert everything.counts == {"unsealed": total}
    assert len(everything.findings) == total
    kept = verify(now=later, keep=3, chunks=4)
    assert kept.findings == everything.findings[:3]
    assert kept.counts == everything.counts
    assert kept.found == total
    assert not kept.intact


def test_the_command_shows_fifty_of_each_kind_and_counts_the_rest(key: Path, settings: Any) -> None:
    settings.AUDIT_SEAL_WINDOW_SECONDS = 0  # nothing sealed: every event is past the window
    total = AuditEvent.objects.count()
    assert total > 50
    with pytest.raises(CommandError, match=rf"NOT INTACT: {total} findings \(unsealed\)"):
        call_command("audit", "verify", "--workers", "1", stdout=(out := _Out()))
    assert out.text.count("  unsealed: event") == 50
    assert f"  unsealed: {total - 50} more" in out.text


def test_the_command_refuses_no_workers(key: Path) -> None:
    with pytest.raises(CommandError, match="positive"):
        call_command("audit", "verify", "--workers", "0")


@pytest.mark.skipif("connection.vendor != 'postgresql'")
# verify runs in a thread here (a connection outside the test's transaction), so the workers
# are forked from a process with threads; `samplan audit verify` has none.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_postgresql_worker_processes_find_what_one_pass_finds(
    committed: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The workers read committed events on connections of their own, in the snapshot the
    seals were read in: the seals (and one event left for the next seal) are committed here
    from other connections, as the sealer and the writers commit them."""
    from samplan.audit.services import record
    from samplan.authz.actor import Actor

    monkeypatch.setattr(verifying, "PARALLEL_MIN", 0)
    joined(in_thread(lambda: seal_pending(batch=50)))
    joined(in_thread(lambda: record(actor=Actor.system(), action="test.waiting")))
    reports: dict[str, Report] = {}

    def run(name: str, **options: Any) -> Callable[[], None]:
        return lambda: reports.__setitem__(name, verify(**options))

    joined(in_thread(run("one")))
    joined(in_thread(run("workers", workers=2, chunks=5)))
    assert reports["one"].intact, reports["one"].findings
    assert reports["one"].sealed == AuditEvent.objects.count() - 1
    assert reports["one"].waiting == 1
    _same(reports["one"], reports["workers"])
