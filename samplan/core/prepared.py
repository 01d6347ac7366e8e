"""A queryset compiled once and run again with other values (issue 12: a hot read spent more
time building and compiling its ORM query than the database spent answering it).

`Prepared.compile(build, slots)` builds the queryset with stand-in values for its varying
parts (`slots`: name -> two distinct stand-ins), compiles it, and notes which of the compiled
statement's parameters each slot fills: the positions that change when only that slot's
stand-in changes. The statement must come out the same for every stand-in (the query's shape
does not depend on the values), else it is refused (`NotPreparable`) and the caller keeps the
ORM. `run(**values)` executes the SQL with the values in their places and makes the rows the
model instances the ORM would have made (`select_related` rows cached on theirs, annotations
set): what `list(queryset)` gives, without building or compiling the query again.

The rules stay where they are: the queryset is the one the rule's own function builds (the
policy's `visible_plans`, the token check of accounts.services); only its compiled SQL is
kept. A compiled statement is kept per thread (a compiler is bound to its thread's
connection) and per key the caller chooses (the query's shape, the database).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import DEFAULT_FETCH_MODE, get_related_populators
from django.db.models.sql.compiler import SQLCompiler

from samplan.core.orm import instance_maker


class NotPreparable(Exception):
    """The queryset's SQL changes with the values: it cannot be kept."""


@dataclass
class Prepared:
    sql: str
    params: tuple[Any, ...]
    # For each parameter, the slot that fills it (None: a constant of the query).
    slots: tuple[str | None, ...]
    # Slots whose values the ORM adapts (a time on SQLite is written as text).
    adapted: frozenset[str]
    compiler: SQLCompiler
    db: str
    rows: _RowPlan

    @classmethod
    def compile(
        cls,
        build: Callable[..., QuerySet[Any]],
        slots: Mapping[str, tuple[Any, Any]],
        *,
        using: str,
    ) -> Prepared:
        first = {name: pair[0] for name, pair in slots.items()}
        queryset = build(**first)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        owner: list[str | None] = [None] * len(params)
        adapted: set[str] = set()
        for name, (stand_in, other) in slots.items():
            again = build(**{**first, name: other}).query.get_compiler(using=using)
            sql2, params2 = again.as_sql()
            if sql2 != sql or len(params2) != len(params):
                raise NotPreparable(name)
            for i, (a, b) in enumerate(zip(params, params2, strict=True)):
                if a != b:
                    if owner[i] is not None:
                        raise NotPreparable(name)
                    owner[i] = name
                    if a != stand_in:
                        if not isinstance(stand_in, datetime):
                            raise NotPreparable(name)
                        adapted.add(name)
        rows = _RowPlan.of(compiler, using)
        return cls(sql, tuple(params), tuple(owner), frozenset(adapted), compiler, using, rows)

    def run(self, **values: Any) -> list[Any]:
        connection = connections[self.db]
        ops = connection.ops
        params = [
            p
            if name is None
            else (
                ops.adapt_datetimefield_value(values[name])
                if name in self.adapted
                else values[name]
            )
            for p, name in zip(self.params, self.slots, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        return self._instances(rows)

    def _instances(self, rows: list[Any]) -> list[Any]:
        """The rows as ModelIterable makes them (django.db.models.query), with what does not
        change from run to run (the converters, the columns of each model, the populators of
        the related rows) worked out when the statement was compiled."""
        plan = self.rows
        compiler = self.compiler
        if compiler.has_extra_select:  # ordering columns beyond the selected ones
            rows = [row[: compiler.col_count] for row in rows]
        if plan.converters:
            rows = list(compiler.apply_converters(rows, plan.converters))
        db, make, start, end = self.db, plan.make, plan.start, plan.end
        objects = []
        for row in rows:
            obj = make(db, row[start:end])
            for populator in plan.populators:
                populator.populate(row, obj)
            for attr_name, col_pos in plan.annotations:
                setattr(obj, attr_name, row[col_pos])
            objects.append(obj)
        return objects


@dataclass
class _RowPlan:
    """How a compiled statement's rows become instances: the same for every run."""

    make: Callable[[str | None, Sequence[Any]], Any]  # the model's instance of its columns
    start: int
    end: int
    converters: dict[int, Any]
    populators: list[Any]
    annotations: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, compiler: SQLCompiler, db: str) -> _RowPlan:
        select, klass_info = compiler.select, compiler.klass_info
        assert klass_info is not None
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        fields = [s[0] for s in select[0 : compiler.col_count]]
        if compiler.has_composite_fields(fields):
            raise NotPreparable("composite fields")
        populators = get_related_populators(klass_info, select, db, DEFAULT_FETCH_MODE)
        _instances_made_plainly(populators)
        return cls(
            make=instance_maker(
                klass_info["model"],
                [f[0].target.attname for f in select[start:end]],
                DEFAULT_FETCH_MODE,
            ),
            start=start,
            end=end,
            converters=compiler.get_converters(fields),
            populators=populators,
            annotations=tuple((compiler.annotation_col_map or {}).items()),
        )


def _instances_made_plainly(populators: list[Any]) -> None:
    """The select_related rows' instances made by `core.orm.instance_maker` (a populator
    calls its `from_db(db, init_list, values)`), at every depth."""
    for populator in populators:
        if populator.reorder_for_init is None:
            make = instance_maker(populator.model_cls, populator.init_list, DEFAULT_FETCH_MODE)
            populator.from_db = lambda db, _names, values, make=make: make(db, values)
        _instances_made_plainly(populator.related_populators)


_local = threading.local()


def prepared(
    key: tuple[Any, ...],
    build: Callable[..., QuerySet[Any]],
    slots: Mapping[str, tuple[Any, Any]],
    *,
    using: str,
) -> Prepared | None:
    """The statement kept under `key` in this thread (compiled on first use); None when the
    query cannot be kept (`NotPreparable`), remembered too."""
    cache: dict[tuple[Any, ...], Prepared | None] | None = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    full = (using, *key)
    if full not in cache:
        try:
            cache[full] = Prepared.compile(build, slots, using=using)
        except NotPreparable:
            cache[full] = None
    return cache[full]
