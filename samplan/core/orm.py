"""Small ORM helpers that are about the database, not the domain."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import BooleanField, Model, Q
from django.db.models.expressions import RawSQL


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
