"""Fixtures of the audit tests: a signing key of the test's own, the demo world sealed,
tampering as an attacker with database rights, and commits from other connections."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from samplan.audit.models import AuditEvent
from samplan.audit.seal import seal_pending


@pytest.fixture
def key(settings: Any, tmp_path: Path) -> Path:
    """A signing key of the test's own, made on first use as in the demo."""
    settings.AUDIT_SEAL_KEY_FILE = tmp_path / "audit_seal_key.pem"
    settings.AUDIT_SEAL_KEY_MAKE_ON_FIRST_USE = True
    settings.AUDIT_SEAL_TRUSTED_KEYS = []
    settings.AUDIT_SEAL_WINDOW_SECONDS = 60
    return tmp_path / "audit_seal_key.pem"


@pytest.fixture
def sealed(key: Path) -> int:
    """The demo world's events sealed in several seals of 50 events. Returns the seals."""
    run = seal_pending(batch=50)
    assert run.events == AuditEvent.objects.count() > 100
    return run.seals


@contextmanager
def triggers_off() -> Iterator[None]:
    """What an attacker with database rights could do; the test transaction undoes it."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in ["event_no_update", "event_no_delete", "seal_no_update", "seal_no_delete"]:
                cursor.execute(f"DROP TRIGGER audit_{name}")
        else:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            cursor.execute("ALTER TABLE audit_auditseal DISABLE TRIGGER USER")
    yield


def in_thread(work: Callable[[], Any]) -> threading.Thread:
    """Run `work` on a connection of its own (Django gives each thread one); commits are real."""
    from django.db import connections

    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # handed to the test
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def joined(thread: threading.Thread) -> None:
    thread.join(timeout=60)
    assert not thread.is_alive()
    errors = thread.errors  # type: ignore[attr-defined]
    if errors:
        raise errors[0]


@pytest.fixture
def committed(key: Path) -> Iterator[None]:
    """Remove what the test committed from other connections (events after the demo world's,
    every seal), as the database owner, when it ends."""
    baseline = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    yield

    if connection.vendor != "postgresql":
        return  # SQLite's tests commit nothing: the test's transaction undoes them

    def clean() -> None:
        # Triggers off for this session only (no table lock, so the test's own transaction,
        # still open, does not block it); the committed events and seals go.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("DELETE FROM audit_auditevent WHERE id > %s", [baseline])
            cursor.execute("DELETE FROM audit_auditseal")

    joined(in_thread(clean))
