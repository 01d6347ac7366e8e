"""Small ORM helpers that are about the database, not the domain."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import BooleanField, Model, Q
from django.db.models.expressions import RawSQL


def pk_among(model: type[Model], ids: Iterable[int]) -> Q | RawSQL:
    """The model's primary key among these ids, always one query. On PostgreSQL the ids go
    as one array parameter: thousands of placeholders (`pk__in`) cost more to build, bind
    and send than the lookup itself. An empty set matches nothing without skipping the
    query, so query counts stay constant."""
    found = sorted(set(ids)) or [0]
    if connection.vendor == "postgresql":
        meta = model._meta
        column = f'"{meta.db_table}"."{meta.pk.column}"'
        # The column comes from the model, the ids go as a parameter.
        return RawSQL(f"{column} = ANY(%s)", (found,), output_field=BooleanField())  # noqa: S611
    return Q(pk__in=found)
