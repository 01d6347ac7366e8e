"""The audit insert without the ORM's per-call work (issue 12).

Every request that shows personal data writes audit events. Through the ORM each write built
a model instance per event, compiled the INSERT again (SQLInsertCompiler) and prepared every
field: about 0.3-0.45 ms CPU of a 2.7 ms FHIR read. Here the statement is written once per
database alias and vendor, from the model's own fields and the connection's quoting, and run
with a plain cursor; the values are adapted as the fields adapt them (`at` by the backend's
datetime adaptation, `detail` by the JSON field's `get_db_prep_save`, the other columns are
integers, strings or NULL that every backend takes as they are). The rows written are the
ORM's, column for column (tests/audit/test_writer.py compares them on SQLite and PostgreSQL).

- One row: INSERT … VALUES (…) RETURNING id, xid, as the ORM writes it.
- Several rows: on PostgreSQL one INSERT … SELECT * FROM UNNEST(…) whatever the count, as
  Django's compiler writes a bulk insert there (one statement text, which the connection
  prepares after its second run); elsewhere INSERT … VALUES (…), (…) in batches the backend
  takes (SQLite's limit on parameters), inside one transaction.
- On PostgreSQL the table is partitioned by month (samplan/audit/partitions.py): the insert
  names the parent table, the id comes from its sequence and `xid` from its default.

The events handed back are model instances made the cheap way (`Model.from_db`, the way a
query makes them), with the related objects the caller had already cached, as the ORM's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections, router, transaction

from samplan.audit.chain import HASHED_COLUMNS, at_text, fields_hash
from samplan.audit.models import AuditEvent
from samplan.core.orm import instance_maker

# The columns written, in order: `at`, then the values the content hash covers (in
# HASHED_FIELDS' order), then the hash. The id and `xid` come from the database.
CONTENT: tuple[str, ...] = HASHED_COLUMNS[1:]
COLUMNS: tuple[str, ...] = ("at", *CONTENT, "hash")
RETURNED: tuple[str, ...] = ("id", "xid")
# The related objects an event caches, as the ORM's instance does (field names).
RELATED: tuple[str, ...] = ("actor", "actor_unit", "actor_organisation", "person")

_DETAIL = CONTENT.index("detail")


# The model's fields in their order, as `Model.from_db` takes values.
FIELDS: tuple[str, ...] = ("id", *COLUMNS, "xid")


def _check_model() -> None:
    """The model's fields are the ones written and read back here: a field added to
    AuditEvent must be added here too, or the first write fails (rather than events missing
    a column)."""
    meta = AuditEvent._meta
    fields = tuple(f.attname for f in meta.concrete_fields)
    returned = tuple(f.attname for f in meta.concrete_fields if f.primary_key or f.has_db_default())
    if fields != FIELDS or returned != RETURNED:
        raise RuntimeError(
            f"samplan.audit.writer writes {COLUMNS} and reads back {RETURNED}; "
            f"AuditEvent has {fields}, of which the database gives {returned}"
        )


@dataclass(frozen=True)
class _Statements:
    one: str  # one row
    unnest: str  # PostgreSQL: any number of rows, one array per column
    values: str  # elsewhere: the head, rows appended as `row`, then `returning`
    row: str
    returning: str
    batch: int  # rows per statement, elsewhere
    postgresql: bool


_statements: dict[tuple[str, str], _Statements] = {}


def _compile(connection: Any) -> _Statements:
    _check_model()
    meta = AuditEvent._meta
    by_name = {field.attname: field for field in meta.concrete_fields}
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    fields = [by_name[name] for name in COLUMNS]
    columns = [quote(field.column) for field in fields]
    head = f"INSERT INTO {table} ({', '.join(columns)})"
    returning = " RETURNING " + ", ".join(
        f"{table}.{quote(by_name[name].column)}" for name in RETURNED
    )
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    # As Django's compiler for PostgreSQL (backends/postgresql/compiler.py): the column
    # types without their length, so that nothing is cut.
    arrays = ", ".join(
        "(%s)::" + (field.db_type(connection) or "").split("(")[0] + "[]" for field in fields
    )
    batch = connection.ops.bulk_batch_size(fields, [None] * 1000) or 1
    return _Statements(
        one=f"{head} VALUES {row}{returning}",
        # Names from the model, quoted by the connection; values are parameters.
        unnest=f"{head} SELECT * FROM UNNEST({arrays}){returning}",  # noqa: S608
        values=f"{head} VALUES ",
        row=row,
        returning=returning,
        batch=max(1, batch),
        postgresql=connection.vendor == "postgresql",
    )


def statements(connection: Any) -> _Statements:
    """The statements for this connection, written on first use."""
    key = (connection.alias, connection.vendor)
    found = _statements.get(key)
    if found is None:
        found = _statements[key] = _compile(connection)
    return found


def write(
    at: datetime,
    contents: Sequence[tuple[Any, ...]],
    related: Sequence[tuple[Any, ...]],
) -> list[AuditEvent]:
    """Insert one event per entry of `contents` at `at`, and hand them back as instances.

    Each content holds the values of CONTENT (HASHED_FIELDS' attributes, in order: the ids of
    actor, unit, organisation and person, action, outcome, object type and id, ground,
    request id, detail), exactly as the model instance would hold them; each entry of
    `related` the objects of RELATED (or None) that the instance caches. The content hash is
    `chain.event_hash`'s: the same function over the same values."""
    alias = router.db_for_write(AuditEvent)
    connection = connections[alias]
    sql = statements(connection)
    stamp = at_text(at)
    at_db = connection.ops.adapt_datetimefield_value(at)
    detail_field = AuditEvent._meta.get_field("detail")
    hashes = [fields_hash(stamp, content) for content in contents]
    rows = []
    for content, digest in zip(contents, hashes, strict=True):
        prepared = list(content)
        prepared[_DETAIL] = detail_field.get_db_prep_save(content[_DETAIL], connection)
        rows.append((at_db, *prepared, digest))
    returned = _execute(connection, sql, rows)
    # As Model.from_db makes them (core.orm.instance_maker: without Model.__init__ field by
    # field where nobody listens to instances being made), the related rows cached.
    make = instance_maker(AuditEvent, FIELDS)
    events = []
    for content, digest, objects, (pk, xid) in zip(
        contents, hashes, related, returned, strict=True
    ):
        event = make(alias, (pk, at, *content, digest, xid))
        event._state.fields_cache = dict(zip(RELATED, objects, strict=True))
        events.append(event)
    return events


def _execute(connection: Any, sql: _Statements, rows: list[tuple[Any, ...]]) -> list[Any]:
    try:
        with connection.cursor() as cursor:
            if len(rows) == 1:
                cursor.execute(sql.one, rows[0])
                return list(cursor.fetchall())
            if sql.postgresql:
                cursor.execute(sql.unnest, [list(column) for column in zip(*rows, strict=True)])
                return list(cursor.fetchall())
            returned: list[Any] = []
            with transaction.atomic(using=connection.alias, savepoint=False):
                for start in range(0, len(rows), sql.batch):
                    chunk = rows[start : start + sql.batch]
                    cursor.execute(
                        sql.values + ", ".join([sql.row] * len(chunk)) + sql.returning,
                        [value for row in chunk for value in row],
                    )
                    returned.extend(cursor.fetchall())
            return returned
    except Exception as exc:
        # As Model.save does (transaction.mark_for_rollback_on_error): a failed insert inside
        # an atomic block leaves the transaction to be rolled back.
        if connection.in_atomic_block:
            connection.needs_rollback = True
            connection.rollback_exc = exc
        raise
