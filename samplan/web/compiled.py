"""A fixed-shape query asked on every page, compiled to SQL once per database and run again
with the request's values: the ORM builds and compiles the queryset (a few milliseconds of
Python for a union with a subquery) the first time only.

The queryset is built with a stand-in number for each named value; each parameter of the
compiled statement equal to a stand-in is replaced by the request's value when it runs. The
statement runs on Django's cursor (so it is counted and wrapped like any other query) and its
rows come back as the driver gives them: use it only for columns that need no conversion
(integers, text), and only for a queryset whose shape does not depend on the values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# Far outside any primary key or count: a parameter equal to one of these is a stand-in.
_STAND_IN = -(2**53) + 7919


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet[Any]], *names: str) -> None:
        self._build = build
        self._names = names
        self._compiled: dict[str, tuple[str, list[Any], list[int | None]]] = {}

    def _compile(self, using: str) -> tuple[str, list[Any], list[int | None]]:
        stand_ins = {name: _STAND_IN - i for i, name in enumerate(self._names)}
        queryset = self._build(**stand_ins)
        sql, params = queryset.query.get_compiler(using=using).as_sql()
        by_value = {value: i for i, value in enumerate(stand_ins.values())}
        # For each parameter: the index of the named value it stands for, or None (a constant).
        slots = [
            by_value.get(p) if isinstance(p, int) and not isinstance(p, bool) else None
            for p in params
        ]
        found = {slot for slot in slots if slot is not None}
        if found != set(range(len(self._names))) or any(
            str(value) in sql for value in stand_ins.values()
        ):
            raise ValueError("each named value must be a parameter of the compiled statement")
        return sql, list(params), slots

    def rows(self, using: str = "default", **values: Any) -> list[tuple[Any, ...]]:
        """The statement's rows for these values (every named value given)."""
        connection = connections[using]
        compiled = self._compiled.get(connection.vendor)
        if compiled is None:
            compiled = self._compiled[connection.vendor] = self._compile(using)
        sql, params, slots = compiled
        ordered = [values[name] for name in self._names]
        bound = [
            p if slot is None else ordered[slot] for p, slot in zip(params, slots, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, bound)
            return list(cursor.fetchall())
