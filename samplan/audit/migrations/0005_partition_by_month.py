"""PostgreSQL: the audit table becomes a table partitioned by month on `at` (samplan/audit/
partitions.py). SQLite: unchanged.

How: the table is renamed aside, a partitioned table with the same columns, defaults, indexes
(same names), foreign keys and append-only triggers takes its name, with a partition for
every month from the oldest event to three months ahead and a DEFAULT partition; the rows are
copied with one INSERT … SELECT before the indexes are built (one index build per partition
instead of row-by-row index updates), then the old table is dropped. The primary key becomes
`(id, at)`. PostgreSQL 15 has no identity columns on partitioned tables, so `id` takes its
values from a plain sequence of the same name, owned by the column and set past the highest
id (or the old sequence's last value, if higher): ids continue where they were.

The table is locked (ACCESS EXCLUSIVE) for the whole migration: nothing is audited meanwhile.
Measured on a town world (200,000 events): see docs/operations.md.

Not reversed: going back leaves the table partitioned, which the earlier schema reads as is.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import migrations

PARENT = "audit_auditevent"
OLD = "audit_auditevent_unpartitioned"
DEFAULT = "audit_auditevent_default"
ZONE = ZoneInfo("Europe/Stockholm")
AHEAD = 3
# TRUNCATE triggers are not cloned to partitions, and ALTER TABLE … DISABLE TRIGGER on the
# partitioned table does not reach a partition's own: each partition's refuses TRUNCATE unless
# the owner has lifted the table's (as `samplan generate --reset` does, in its transaction).
PARTITION_TRUNCATE_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_partition_append_only() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass
               AND tgname = 'audit_event_no_truncate' AND tgenabled = 'D') THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only';
END; $$ LANGUAGE plpgsql;
"""


def _literal(moment):
    """A bound of a partition as SQL text: DDL takes no parameters (and the connection may
    bind them on the server). Only moments made here, never input."""
    return f"'{moment.isoformat()}'::timestamptz"


def _month_start(month):
    return datetime.combine(month, time.min, tzinfo=ZONE)


def _next(month):
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _local_month(moment):
    local = moment.astimezone(ZONE)
    return date(local.year, local.month, 1)


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [PARENT])
        if cursor.fetchone()[0] == "p":
            return  # already partitioned
        cursor.execute(f'LOCK TABLE "{PARENT}" IN ACCESS EXCLUSIVE MODE')
        cursor.execute(f'ALTER TABLE "{PARENT}" RENAME TO "{OLD}"')
        # What the new table must have again, under the same names.
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "JOIN pg_class c ON c.relname = i.indexname "
            "JOIN pg_index x ON x.indexrelid = c.oid "
            "WHERE i.tablename = %s AND NOT x.indisprimary ORDER BY i.indexname",
            [OLD],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [OLD],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
            [OLD],
        )
        primary = cursor.fetchone()[0]
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for name, _definition in foreign_keys:
            cursor.execute(f'ALTER TABLE "{OLD}" DROP CONSTRAINT "{name}"')
        cursor.execute(f'ALTER TABLE "{OLD}" RENAME CONSTRAINT "{primary}" TO "{OLD}_pkey"')
        # The id sequence: where it stood, then a plain sequence of the same name.
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [OLD])
        sequence = cursor.fetchone()[0]
        last = 0
        if sequence:
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
            value, called = cursor.fetchone()
            last = value if called else value - 1
            cursor.execute(
                "SELECT attidentity FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attname = 'id'",
                [OLD],
            )
            if cursor.fetchone()[0]:
                cursor.execute(f'ALTER TABLE "{OLD}" ALTER COLUMN id DROP IDENTITY')
            else:
                cursor.execute(f'ALTER TABLE "{OLD}" ALTER COLUMN id DROP DEFAULT')
                cursor.execute(f"DROP SEQUENCE {sequence}")
        cursor.execute(f'SELECT max(id), min(at), max(at) FROM "{OLD}"')  # noqa: S608
        highest, oldest, newest = cursor.fetchone()
        last = max(last, highest or 0)

        cursor.execute(
            f'CREATE TABLE "{PARENT}" (LIKE "{OLD}" INCLUDING DEFAULTS) PARTITION BY RANGE (at)'
        )
        cursor.execute(f'CREATE SEQUENCE "{PARENT}_id_seq" OWNED BY "{PARENT}".id')
        cursor.execute(
            f"ALTER TABLE \"{PARENT}\" ALTER COLUMN id SET DEFAULT nextval('\"{PARENT}_id_seq\"')"
        )
        if last:
            cursor.execute("SELECT setval(%s, %s, true)", [f'"{PARENT}_id_seq"', last])

        # Months: from the oldest event to three months past now (or the newest event).
        from django.utils import timezone

        first = _local_month(oldest) if oldest else _local_month(timezone.now())
        end = _local_month(max(newest, timezone.now()) if newest else timezone.now())
        for _ in range(AHEAD):
            end = _next(end)
        month = first
        months = []
        while month <= end:
            months.append(month)
            month = _next(month)
        for month in months:
            name = f"{PARENT}_p{month.year:04d}_{month.month:02d}"
            low, high = _literal(_month_start(month)), _literal(_month_start(_next(month)))
            cursor.execute(
                f'CREATE TABLE "{name}" PARTITION OF "{PARENT}" FOR VALUES FROM ({low}) TO ({high})'
            )
        cursor.execute(f'CREATE TABLE "{DEFAULT}" PARTITION OF "{PARENT}" DEFAULT')

        # The rows, then the keys and indexes (built once per partition).
        cursor.execute(f'INSERT INTO "{PARENT}" SELECT * FROM "{OLD}"')  # noqa: S608
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute(f'ALTER TABLE "{PARENT}" ADD CONSTRAINT "{primary}" PRIMARY KEY (id, at)')
        for _name, definition in indexes:
            cursor.execute(definition.replace(f"public.{OLD} ", f"public.{PARENT} "))
        for name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE "{PARENT}" ADD CONSTRAINT "{name}" {definition}')

        # Append-only: the row trigger is cloned to every partition; TRUNCATE's per table.
        cursor.execute(
            f'CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON "{PARENT}" '
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
        cursor.execute(
            f'CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON "{PARENT}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
        cursor.execute(PARTITION_TRUNCATE_FUNCTION)
        names = [DEFAULT] + [f"{PARENT}_p{m.year:04d}_{m.month:02d}" for m in months]
        for name in names:
            cursor.execute(
                f'CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON "{name}" '
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_partition_append_only()"
            )
        cursor.execute(f'DROP TABLE "{OLD}"')
        cursor.execute(f'ANALYZE "{PARENT}"')


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_seal")]
    operations = [migrations.RunPython(partition, migrations.RunPython.noop)]
