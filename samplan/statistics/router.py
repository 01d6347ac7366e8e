"""The managers' figures may be read from a replica: while one is configured
(SAMPLAN_STATISTICS_DATABASE_URL, the "statistics" database alias), every query made while the
figures are computed (`statistics_reads`) goes there. Everything else, the audit of the plans
listed beside the figures included, stays on the primary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

ALIAS = "statistics"
_reading: ContextVar[bool] = ContextVar("statistics_reading", default=False)


def _postgresql_driver(alias: str) -> Any:
    """The psycopg connection behind the alias, or None (SQLite, or an alias the
    connection handler was not started with, as in tests that add a replica)."""
    if alias not in connections.settings:
        return None
    wrapper = connections[alias]
    if wrapper.vendor != "postgresql":
        return None
    # None when not connected yet; a request has read its session and user before.
    return wrapper.connection


@contextmanager
def statistics_reads() -> Iterator[None]:
    """Queries go to the replica where one is configured, and are not prepared: on
    PostgreSQL the app prepares a statement after its second run (settings:
    prepare_threshold) and PostgreSQL may then plan it once for any value, which suits the
    hot reads but not these, whose best plan depends on the period and the organisation
    (a generic plan read the plans of every dispute three times slower)."""
    token = _reading.set(True)
    driver = _postgresql_driver(ALIAS if ALIAS in settings.DATABASES else DEFAULT_DB_ALIAS)
    kept = getattr(driver, "prepare_threshold", None)
    if driver is not None:
        driver.prepare_threshold = None
    try:
        yield
    finally:
        if driver is not None:
            driver.prepare_threshold = kept
        _reading.reset(token)


class StatisticsRouter:
    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        if _reading.get() and ALIAS in settings.DATABASES:
            return ALIAS
        return None

    def db_for_write(self, model: type[Any], **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == ALIAS else None  # a replica follows the primary's schema
