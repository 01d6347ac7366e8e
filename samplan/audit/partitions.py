"""The audit table partitioned by month on PostgreSQL (migration 0005).

`audit_auditevent` is a table partitioned by RANGE on `at`, one partition per month in
Stockholm time (`audit_auditevent_p2026_12` holds December 2026 from 00:00 on the 1st,
Swedish time), and a DEFAULT partition (`audit_auditevent_default`) so that an insert never
fails. The primary key is `(id, at)` (PostgreSQL's rule for unique keys on a partitioned
table); ids still come from one sequence, `audit_auditevent_id_seq`.

- A log review of one month reads that month's partition only (partition pruning).
- Retention (samplan/audit/retention.py) detaches and drops whole months.
- Months are made ahead by `ensure_ahead`, called by the sealer's loop (`samplan audit seal
  --loop`, which `samplan serve` starts) and by `samplan generate` before it loads events.
- Rows that landed in the DEFAULT partition (a month not made in time) are moved into their
  month's partition when that month is made (`ensure_months`): the rows keep their ids and
  hashes, so seals and `verify` are unaffected.

The append-only row trigger is defined on the partitioned table, so PostgreSQL clones it to
every partition (and `ALTER TABLE audit_auditevent DISABLE TRIGGER` reaches the clones);
TRUNCATE triggers are per table, so each partition gets its own, which refuses unless the
table's own has been disabled by the owner in the same transaction (as `samplan generate
--reset` does). On SQLite
nothing here applies (`is_partitioned` is False and every function does nothing).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

PARENT = "audit_auditevent"
DEFAULT = "audit_auditevent_default"
PREFIX = "audit_auditevent_p"
ZONE = ZoneInfo("Europe/Stockholm")  # months as the log review sees them
AHEAD = 3  # months made ahead of the current one
_NAME = re.compile(r"^audit_auditevent_p(\d{4})_(\d{2})$")


def _literal(moment: datetime) -> str:
    """A bound of a partition as SQL text: DDL takes no parameters (and the connection may
    bind them on the server). Only moments made here, never input."""
    return f"'{moment.isoformat()}'::timestamptz"


def month_start(month: date) -> datetime:
    """00:00 Stockholm time on the first of `month`'s month."""
    return datetime.combine(month.replace(day=1), time.min, tzinfo=ZONE)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def current_month(now: datetime | None = None) -> date:
    moment = (now or timezone.now()).astimezone(ZONE)
    return date(moment.year, moment.month, 1)


def partition_name(month: date) -> str:
    return f"{PREFIX}{month.year:04d}_{month.month:02d}"


def is_partitioned(using: Any = None) -> bool:
    """Whether the audit table is partitioned here (PostgreSQL after migration 0005)."""
    conn = using or connection
    if conn.vendor != "postgresql":
        return False
    with conn.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [PARENT])
        row = cursor.fetchone()
    return bool(row and row[0] == "p")


def existing(cursor: Any) -> dict[date, str]:
    """The month partitions there are: month -> table name."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass",
        [PARENT],
    )
    found = {}
    for (name,) in cursor.fetchall():
        match = _NAME.match(name)
        if match:
            found[date(int(match[1]), int(match[2]), 1)] = name
    return found


def _truncate_trigger(cursor: Any, table: str) -> None:
    cursor.execute(
        f'CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON "{table}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_partition_append_only()"
    )


def _check_deferred(cursor: Any) -> None:
    """Deferred foreign-key checks of rows written so far in the transaction run now: a table
    with pending checks cannot be altered."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def create_month(cursor: Any, month: date) -> None:
    """Make `month`'s partition. Rows of that month in the DEFAULT partition are moved into it
    (PostgreSQL refuses a new partition while the DEFAULT holds rows of its range)."""
    name = partition_name(month)
    low, high = month_start(month), month_start(add_months(month, 1))
    bounds = f"FOR VALUES FROM ({_literal(low)}) TO ({_literal(high)})"
    cursor.execute(
        f'SELECT EXISTS (SELECT 1 FROM "{DEFAULT}" WHERE at >= %s AND at < %s)',  # noqa: S608
        [low, high],
    )
    if not cursor.fetchone()[0]:
        _check_deferred(cursor)
        cursor.execute(f'CREATE TABLE "{name}" PARTITION OF "{PARENT}" {bounds}')
    else:
        # The owner lifts the append-only rule on the DEFAULT partition for this move only:
        # the rows go, unchanged (ids and hashes), into their month.
        cursor.execute(f'CREATE TABLE "{name}" (LIKE "{PARENT}" INCLUDING DEFAULTS)')
        _check_deferred(cursor)
        cursor.execute(f'ALTER TABLE "{DEFAULT}" DISABLE TRIGGER USER')
        cursor.execute(
            f'WITH moved AS (DELETE FROM "{DEFAULT}" WHERE at >= %s AND at < %s '  # noqa: S608
            f'RETURNING *) INSERT INTO "{name}" SELECT * FROM moved',
            [low, high],
        )
        cursor.execute(f'ALTER TABLE "{DEFAULT}" ENABLE TRIGGER USER')
        cursor.execute(f'ALTER TABLE "{PARENT}" ATTACH PARTITION "{name}" {bounds}')
    _truncate_trigger(cursor, name)


def ensure_months(first: date, last: date, *, lock_timeout: str = "5s") -> list[str]:
    """Make the month partitions from `first` to `last` (both included) that are missing, in
    one transaction. Returns the names made. Idempotent; nothing on SQLite."""
    if not is_partitioned():
        return []
    made: list[str] = []
    with transaction.atomic(), connection.cursor() as cursor:
        have = existing(cursor)
        wanted = []
        month = date(first.year, first.month, 1)
        while month <= last:
            if month not in have:
                wanted.append(month)
            month = add_months(month, 1)
        if not wanted:
            return made
        # Making a partition locks the table briefly; inserts wait that long, not forever.
        cursor.execute("SELECT current_setting('lock_timeout')")
        before = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
        for month in wanted:
            create_month(cursor, month)
            made.append(partition_name(month))
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [before])
    return made


def ensure_span(first: date, last: date) -> list[str]:
    """Partitions for the months from `first` to the month after `last` (a UTC month's last
    hour is the next month in Stockholm), and those ahead of now: for `samplan generate`,
    before it loads a history. Returns the names made."""
    if not is_partitioned():
        return []
    return ensure_months(first, add_months(last, 1)) + ensure_ahead()


def ensure_ahead(months: int = AHEAD, now: datetime | None = None) -> list[str]:
    """The current month's partition and `months` after it; rows waiting in the DEFAULT
    partition are moved into their months. Cheap when there is nothing to do (one catalog
    query). Returns the names made."""
    if not is_partitioned():
        return []
    this = current_month(now)
    return ensure_months(this, add_months(this, months)) + move_default_rows()


def move_default_rows() -> list[str]:
    """Make the months of the rows waiting in the DEFAULT partition, which moves them there.
    Returns the names made."""
    if not is_partitioned():
        return []
    made: list[str] = []
    for _ in range(1200):  # months behind (or far ahead) that were never made: oldest first
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT min(at) FROM "{DEFAULT}"')  # noqa: S608 - a constant name
            waiting = cursor.fetchone()[0]
        if waiting is None:
            break
        month = current_month(waiting)
        moved = ensure_months(month, month)
        if not moved:  # its month exists: nothing more to move (never expected)
            break
        made += moved
    return made


def default_rows() -> int:
    """How many events wait in the DEFAULT partition (0 on SQLite)."""
    if not is_partitioned():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{DEFAULT}"')  # noqa: S608 - a constant name
        return int(cursor.fetchone()[0])


__all__ = [
    "DEFAULT",
    "PARENT",
    "add_months",
    "current_month",
    "default_rows",
    "ensure_ahead",
    "ensure_months",
    "ensure_span",
    "existing",
    "is_partitioned",
    "month_start",
    "move_default_rows",
    "partition_name",
]
