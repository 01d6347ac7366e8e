"""A fixed-shape query asked on every page, compiled to SQL once and run again with the
request's values: the ORM builds and compiles the queryset (a few milliseconds of Python for a
union with a subquery) the first time only.

The compiling is core.prepared's (`prepared`: built with two stand-ins for each value, refused
when the statement's shape depends on them); what this adds is the rows as the driver gives
them, for a `values_list` or a union of them, which `Prepared.run` (model instances) does not
make. Use it only for columns that need no conversion (integers, text). The statement runs on
Django's cursor, so it is counted and wrapped like any other query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet

from samplan.core.prepared import prepared

# Far outside any primary key or count: two distinct stand-ins for each named value.
_STAND_INS = (-(2**53) + 7919, -(2**53) + 7927)


class CompiledQuery:
    def __init__(self, key: str, build: Callable[..., QuerySet[Any]], *names: str) -> None:
        self._key = key
        self._build = build
        self._names = names

    def rows(self, using: str = "default", **values: Any) -> list[tuple[Any, ...]]:
        """The statement's rows for these values (every named value given)."""
        statement = prepared(
            ("web.compiled", self._key),
            self._build,
            dict.fromkeys(self._names, _STAND_INS),
            using=using,
        )
        if statement is None or set(statement.slots) - {None} != set(self._names):
            raise ValueError("each named value must be a parameter of the compiled statement")
        bound = [
            p if slot is None else values[slot]
            for p, slot in zip(statement.params, statement.slots, strict=True)
        ]
        with connections[using].cursor() as cursor:
            cursor.execute(statement.sql, bound)
            return list(cursor.fetchall())
