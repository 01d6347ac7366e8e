"""A row's lists folded into the row's own query (issue 12): the plan read fetches a plan's
needs, goals, meetings ... as one JSON array per list in the plan's row, instead of a query
per list.

Each list (`Rows`) is its rows with the rows they refer to (as `select_related`) and their own
lists (as `prefetch_related`, e.g. a meeting's invitations), aggregated as JSON (JSONB_AGG on
PostgreSQL, JSON_GROUP_ARRAY on SQLite). `Rows.instances` makes the array the model's
instances as the ORM makes them (`Model.from_db`), each related row cached on its row and each
list kept as its row's prefetched list (`meeting.invitations.all()` asks no more). They are
sorted here, by the list's ordering, because SQLite before 3.44 cannot order inside an
aggregate. How a list's columns are laid out and converted is worked out once per list and
database kind (`Rows.layout`), not for every row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Aggregate, F, Field, JSONField, Model, OuterRef, Q, Subquery
from django.db.models.fields.related import ForeignKey
from django.db.models.functions import JSONArray

from samplan.core.orm import instance_maker


class JSONRows(Aggregate):
    """The rows of a subquery as one JSON array; NULL when there are none."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="JSONB_AGG", **extra)


# How a column's value comes out of the JSON array, by the field's kind: as the ORM would give
# it (`Field.to_python`), without asking the field for each cell.
_AS_IS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "PositiveBigIntegerField",
        "CharField",
        "TextField",
        "SlugField",
        "EmailField",
        "URLField",
    }
)

Converter = Callable[[Any], Any]


def _aware_datetime(value: Any) -> Any:
    # SQLite keeps a time in UTC without its offset; PostgreSQL writes the offset.
    moment = datetime.fromisoformat(value)
    if settings.USE_TZ and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def json_converter(field: Field[Any, Any], *, sqlite: bool) -> Converter | None:
    """The function that makes a column's JSON value what the ORM gives (None: as it is)."""
    if isinstance(field, ForeignKey):
        field = field.target_field
    kind = field.get_internal_type()
    if isinstance(field, JSONField):
        # SQLite puts a JSON column's text into the array as a string.
        return json.loads if sqlite else None
    if kind in _AS_IS:
        return None
    if kind == "BooleanField":
        return bool if sqlite else None  # SQLite: 0 and 1
    if kind == "DateTimeField":
        return _aware_datetime
    if kind == "DateField":
        return date.fromisoformat
    return field.to_python


def related_model(model: type[Model], path: str) -> type[Model]:
    for name in path.split("__"):
        related = model._meta.get_field(name).related_model
        assert isinstance(related, type)
        model = related
    return model


def prefetched(obj: Model, name: str, objects: list[Any]) -> None:
    """`objects` as `obj`'s prefetched list `name`, as `prefetch_related` leaves it
    (django.db.models.query.prefetch_one_level): `getattr(obj, name).all()` answers from it."""
    queryset = getattr(obj, name).get_queryset()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    if not hasattr(obj, "_prefetched_objects_cache"):
        obj._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    obj._prefetched_objects_cache[name] = queryset  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Part:
    """One model's columns in a list's row: the row's own, or a related row's (`path`)."""

    path: str
    make: Callable[[str | None, Sequence[Any]], Any]  # the model's instance of its columns
    width: int
    # (position in the part, converter) of each column that needs converting.
    converters: tuple[tuple[int, Converter], ...]
    pk_index: int
    # The field on the owner's row (`owner`: its part's index) that caches this related row.
    cache: tuple[int, Field[Any, Any]] | None


@dataclass(frozen=True)
class _Layout:
    parts: tuple[_Part, ...]
    link: ForeignKey[Any, Any]


_LAYOUTS: dict[tuple[int, bool], _Layout] = {}


@dataclass(frozen=True)
class Rows:
    """One list hanging from a row (a plan's needs, a meeting's invitations), fetched as a
    JSON array in that row. `related`: the forward relations fetched with each row, as
    `select_related` paths; `children`: lists of each row (related name, list); `where`: only
    the rows it lets through; `newest`: only the first `n` rows by an ordering."""

    model: type[Model]
    link: str  # the foreign key to the row the list hangs from
    sort_key: Callable[[Any], Any]  # the list's ordering
    related: tuple[str, ...] = ()
    children: tuple[tuple[str, Rows], ...] = ()
    where: Q | None = None
    newest: tuple[tuple[str, ...], int] | None = None

    def columns(self) -> list[tuple[str, Field[Any, Any]]]:
        """(path, field) of every column of a row: the row's own, then each related row's."""
        columns = [("", f) for f in self.model._meta.concrete_fields]
        for path in self.related:
            model = related_model(self.model, path)
            columns += [(path, f) for f in model._meta.concrete_fields]
        return columns

    def subquery(self, outer: Any = None) -> Subquery:
        """The list of the outer query's row (`outer`: its primary key) as one JSON array."""
        outer = OuterRef("pk") if outer is None else outer
        rows = self.model._default_manager.filter(**{self.link: outer})
        if self.where is not None:
            rows = rows.filter(self.where)
        if self.newest is not None:
            order, n = self.newest
            first = self.model._default_manager.filter(**{self.link: OuterRef(outer)})
            rows = rows.filter(pk__in=first.order_by(*order).values("pk")[:n])
        values: list[Any] = [F(f"{p}__{f.attname}" if p else f.attname) for p, f in self.columns()]
        values += [rows_.subquery() for _name, rows_ in self.children]
        aggregated = rows.order_by().values(self.link).annotate(rows=JSONRows(JSONArray(*values)))
        return Subquery(aggregated.values("rows"), output_field=JSONField())

    def layout(self, *, sqlite: bool) -> _Layout:
        """How a row of the array is cut into models and converted, worked out once."""
        key = (id(self), sqlite)
        found = _LAYOUTS.get(key)
        if found is not None:
            return found
        columns = self.columns()
        paths = ("", *self.related)
        parts: list[_Part] = []
        for path in paths:
            fields = [f for p, f in columns if p == path]
            model = self.model if not path else related_model(self.model, path)
            cache = None
            if path:  # cached on the row it hangs from, as select_related leaves it
                *head, name = path.split("__")
                owner = paths.index("__".join(head))
                owner_model = self.model if not head else related_model(self.model, "__".join(head))
                cache = (owner, owner_model._meta.get_field(name))
            converters = tuple(
                (i, convert)
                for i, f in enumerate(fields)
                if (convert := json_converter(f, sqlite=sqlite)) is not None
            )
            parts.append(
                _Part(
                    path=path,
                    make=instance_maker(model, [f.attname for f in fields]),
                    width=len(fields),
                    converters=converters,
                    pk_index=fields.index(model._meta.pk),
                    cache=cache,  # type: ignore[arg-type]
                )
            )
        link = self.model._meta.get_field(self.link)
        assert isinstance(link, ForeignKey)
        found = _LAYOUTS[key] = _Layout(parts=tuple(parts), link=link)
        return found

    def instances(self, raw: Any, parent: Model, *, db: str) -> list[Any]:
        """The list's instances from its JSON array, each linked to `parent`."""
        sqlite = connections[db].vendor == "sqlite"
        rows = json.loads(raw) if isinstance(raw, str) else (raw or [])
        layout = self.layout(sqlite=sqlite)
        parts, link, children = layout.parts, layout.link, self.children
        objects = []
        for row in rows:
            position = 0
            made: list[Model | None] = []
            for part in parts:
                cells = row[position : position + part.width]
                position += part.width
                for i, convert in part.converters:
                    if cells[i] is not None:
                        cells[i] = convert(cells[i])
                obj = None if cells[part.pk_index] is None else part.make(db, cells)
                if part.cache is not None:
                    owner = made[part.cache[0]]
                    if owner is not None:
                        part.cache[1].set_cached_value(owner, obj)  # type: ignore[attr-defined]
                made.append(obj)
            first = made[0]
            assert first is not None
            link.set_cached_value(first, parent)
            for name, rows_ in children:
                prefetched(first, name, rows_.instances(row[position], first, db=db))
                position += 1
            objects.append(first)
        objects.sort(key=self.sort_key)
        return objects
