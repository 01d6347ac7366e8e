"""The bulk loader under `samplan generate`: rows as tuples straight into the tables, in the
caller's one transaction. PostgreSQL: COPY (psycopg's `cursor.copy`), with the large tables'
secondary indexes and foreign keys dropped for the load and rebuilt at the end (one index build
and one validating join are much faster than millions of incremental checks). SQLite: batched
`executemany`.

A table's columns are the model's concrete fields: the generator names the ones it fills; the
others get their model default (or their database default), so that a field added to a model
later does not break the generator as long as it has a default.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models.fields import NOT_PROVIDED

_SQLITE_BATCH = 5000
# Tables expected to hold at least this many rows are loaded without their secondary indexes
# and foreign keys on PostgreSQL, which are rebuilt once at the end.
_REBUILD_ABOVE = 200_000


class GenerateError(Exception):
    """The generator cannot go on; the message says why (in Swedish and English)."""


def _iso(value: Any) -> Any:
    """SQLite's form of a value, as Django's backend writes it (UTC without offset)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


class Table:
    """One model's table: which columns the generator fills, the defaults of the rest."""

    def __init__(self, model: type[models.Model], columns: Sequence[str], now: datetime) -> None:
        self.model = model
        self.name = model._meta.db_table
        with connection.cursor() as cursor:
            in_db = {
                c.name for c in connection.introspection.get_table_description(cursor, self.name)
            }
        # A field the database does not have yet (its migration not run) is left out.
        fields = {f.attname: f for f in model._meta.concrete_fields if f.column in in_db}
        missing = [c for c in columns if c not in fields]
        if missing:
            raise GenerateError(f"{self.name}: no column {missing}")
        extra: list[str] = []
        defaults: list[Any] = []
        for attname, field in fields.items():
            if attname in columns:
                continue
            if field.db_default is not NOT_PROVIDED:
                continue  # the database fills it
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value: Any = now
            elif field.has_default():
                value = field.get_default()
            elif field.null:
                value = None
            elif field.blank and isinstance(field, models.CharField | models.TextField):
                value = ""
            else:
                raise GenerateError(
                    f"{self.name}.{field.column} har inget standardvärde / has no default: "
                    "the generator must learn to fill it"
                )
            extra.append(str(field.column))
            defaults.append(field.get_db_prep_save(value, connection))
        self.columns: list[str] = [str(fields[c].column) for c in columns] + extra
        self.defaults = tuple(defaults)
        self.rows = 0


class Loader:
    """Writes rows of several tables inside the caller's transaction."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.postgres = connection.vendor == "postgresql"
        self.tables: dict[type[models.Model], Table] = {}
        self._rebuild: list[str] = []  # DDL to run at the end (PostgreSQL)

    def table(self, model: type[models.Model], columns: Sequence[str]) -> Table:
        table = Table(model, columns, self.now)
        self.tables[model] = table
        return table

    def next_id(self, model: type[models.Model]) -> int:
        """The first free id: a generated world is appended after what is there."""
        found = model._default_manager.aggregate(m=models.Max("pk"))["m"]
        return int(found or 0) + 1

    def write(self, table: Table, rows: Iterable[tuple[Any, ...]]) -> int:
        """Write rows (tuples in the table's named column order); returns how many."""
        before = table.rows
        if self.postgres:
            self._copy(table, rows)
        else:
            self._insert(table, rows)
        return table.rows - before

    def _copy(self, table: Table, rows: Iterable[tuple[Any, ...]]) -> None:
        cols = ", ".join(f'"{c}"' for c in table.columns)
        extra = table.defaults
        count = 0
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor, under Django's wrapper
            with raw.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:  # nosec
                write = copy.write_row
                for row in rows:
                    write(row + extra)
                    count += 1
        table.rows += count

    def _insert(self, table: Table, rows: Iterable[tuple[Any, ...]]) -> None:
        cols = ", ".join(f'"{c}"' for c in table.columns)
        marks = ", ".join("?" for _ in table.columns)
        sql = f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})'  # noqa: S608
        extra = tuple(_iso(v) for v in table.defaults)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # sqlite3's cursor: '?' placeholders, no Django formatting
            for batch in _batches(rows, _SQLITE_BATCH):
                raw.executemany(sql, [tuple(_iso(v) for v in row) + extra for row in batch])
                table.rows += len(batch)

    def prepare_large(self, model: type[models.Model], expected_rows: int) -> None:
        """PostgreSQL: drop a large table's secondary indexes and foreign keys for the load;
        `finish` rebuilds them (inside the same transaction)."""
        if not self.postgres or expected_rows < _REBUILD_ABOVE:
            return
        name = model._meta.db_table
        with connection.cursor() as cursor:
            # Deferred foreign-key checks of rows written so far run now: a table with pending
            # checks cannot be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('f', 'u')",
                [name],
            )
            for conname, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE "{name}" DROP CONSTRAINT "{conname}"')
                self._rebuild.append(
                    f'ALTER TABLE "{name}" ADD CONSTRAINT "{conname}" {definition}'
                )
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "JOIN pg_class c ON c.relname = i.indexname "
                "JOIN pg_index x ON x.indexrelid = c.oid "
                "WHERE i.tablename = %s AND NOT x.indisprimary",
                [name],
            )
            for indexname, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{indexname}"')
                # A partitioned table's index reads "ON ONLY" the table: made so, it would be
                # the parent's alone, invalid, and no partition would have it (the audit
                # table's months, read by the sealer and the log review by id, actor, person).
                self._rebuild.append(definition.replace(" ON ONLY ", " ON ", 1))

    def finish(self) -> None:
        """Rebuild what `prepare_large` dropped, move every id sequence past the rows, and
        (PostgreSQL) gather the planner's statistics of the loaded tables."""
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            # Indexes first (the constraints' checks use them), then the constraints.
            for ddl in sorted(self._rebuild, key=lambda s: s.startswith("ALTER")):
                cursor.execute(ddl)
            for sql in connection.ops.sequence_reset_sql(no_style(), list(self.tables)):
                cursor.execute(sql)
            if self.postgres:
                # Statistics for the planner now, not when autovacuum gets round to it: a
                # freshly loaded region is otherwise read with plans made for empty tables.
                for table in self.tables.values():
                    cursor.execute(f'ANALYZE "{table.name}"')


def _batches(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# Tables a reset keeps: what migrations made and nothing generates.
_KEEP = {"django_migrations", "django_content_type", "auth_permission"}


def database_holds_data() -> list[str]:
    """The tables (of a few telling models) that already hold rows."""
    from samplan.accounts.models import User
    from samplan.audit.models import AuditEvent
    from samplan.directory.models import Organisation, Person
    from samplan.plans.models import Plan

    telling: list[type[models.Model]] = [Organisation, Person, User, Plan, AuditEvent]
    return [m._meta.db_table for m in telling if m._default_manager.exists()]


def reset_database() -> None:
    """Empty every table the application writes, audit log included, in the caller's
    transaction: the append-only triggers are set aside for the emptying and restored."""
    from django.apps import apps

    tables = sorted({m._meta.db_table for m in apps.get_models(include_auto_created=True)} - _KEEP)
    existing = set(connection.introspection.table_names())
    tables = [t for t in tables if t in existing]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks: may alter
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for t in tables:
                cursor.execute(f'ALTER TABLE "{t}" DISABLE TRIGGER USER')
            names = ", ".join(f'"{t}"' for t in tables)
            cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            for t in tables:
                cursor.execute(f'ALTER TABLE "{t}" ENABLE TRIGGER USER')
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
            for t in tables:
                cursor.execute(f'DELETE FROM "{t}"')  # noqa: S608
            cursor.execute("DELETE FROM sqlite_sequence")
            for _name, sql in triggers:
                cursor.execute(sql)
