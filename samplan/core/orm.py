"""Small ORM helpers that are about the database, not the domain."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Model, Q
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init


def pk_among(model: type[Model], ids: Iterable[int]) -> Q | RawSQL:
    """The model's primary key among these ids, always one query. On PostgreSQL the ids are
    one array literal: thousands of placeholders (`pk__in`) cost more to build, bind and
    send than the lookup itself, and as a bound parameter the array is unknown to a
    prepared statement's generic plan (settings: prepare_threshold), which then reads the
    whole table. An empty set matches nothing without skipping the query, so query counts
    stay constant."""
    found = sorted({int(i) for i in ids}) or [0]
    if connection.vendor == "postgresql":
        meta = model._meta
        column = f'"{meta.db_table}"."{meta.pk.column}"'
        array = ",".join(map(str, found))  # integers only: int() above
        return RawSQL(f"{column} = ANY('{{{array}}}'::bigint[])", (), output_field=BooleanField())  # noqa: S611
    return Q(pk__in=found)


# Instances from rows, without Model.__init__ -------------------------------------------------

_PLAIN: dict[type[Model], tuple[str, ...] | None] = {}


def _plain_attnames(model: type[Model]) -> tuple[str, ...] | None:
    """The attnames of the model's concrete fields when an instance of it can be made from a
    row by setting them directly, as `Model.__init__` does: no `__init__` of its own, no
    receivers of `pre_init` or `post_init`, and nothing on any field but the plain descriptors
    (which, on a new instance, only store the value). None when it cannot."""
    if model in _PLAIN:
        return _PLAIN[model]
    attnames = tuple(f.attname for f in model._meta.concrete_fields)

    def descriptor(attname: str) -> object:
        return next((k.__dict__[attname] for k in model.__mro__ if attname in k.__dict__), None)

    plain = (
        model.__init__ is Model.__init__
        and model.from_db.__func__ is Model.from_db.__func__  # type: ignore[attr-defined]
        and not pre_init.has_listeners(model)
        and not post_init.has_listeners(model)
        and all(type(descriptor(a)) in _PLAIN_DESCRIPTORS for a in attnames)
    )
    _PLAIN[model] = attnames if plain else None
    return _PLAIN[model]


_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute, type(None))


def instance_maker(
    model: type[Model], attnames: Sequence[str], fetch_mode: Any = None
) -> Callable[[str | None, Sequence[Any]], Any]:
    """A function of (db, values) giving `model.from_db(db, attnames, values)`: the instance
    the ORM makes of a row read from the database. For a model whose instances are plain
    (`_plain_attnames`) and rows of all its columns in their order, the instance is made
    without `Model.__init__`'s call per field and its signals: the same attributes and state
    (issue 12: a plan read makes some twenty-five instances, and `__init__` was a tenth of its
    time). Whether a model's instances are plain is worked out at its first use: receivers of
    the init signals connect at start-up."""
    plain = _plain_attnames(model)
    if plain is None or tuple(attnames) != plain:
        names = list(attnames)

        def orm(db: str | None, values: Sequence[Any]) -> Any:
            return model.from_db(db, names, values, fetch_mode=fetch_mode)

        return orm
    new, width = model.__new__, len(plain)

    def make(db: str | None, values: Sequence[Any]) -> Any:
        if len(values) != width:
            return model.from_db(db, plain, values, fetch_mode=fetch_mode)
        obj = new(model)
        state = ModelState()
        state.adding = False
        state.db = db
        if fetch_mode is not None:
            state.fetch_mode = fetch_mode
        attributes = obj.__dict__
        attributes["_state"] = state
        attributes.update(zip(plain, values, strict=True))
        return obj

    return make
