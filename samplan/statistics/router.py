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

ALIAS = "statistics"
_reading: ContextVar[bool] = ContextVar("statistics_reading", default=False)


@contextmanager
def statistics_reads() -> Iterator[None]:
    token = _reading.set(True)
    try:
        yield
    finally:
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
