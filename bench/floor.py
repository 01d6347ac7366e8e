"""The floor: a bare WSGI app (psycopg 3, no Django) doing what an audited read of a plan must
do (bench/floor_sql.py): select the plan, insert an audit row, commit, answer with JSON.

GET /plan/<id> -> 200 {"id": .., "state": ..} or 404. Configured by the environment:
FLOOR_DATABASE_URL (postgres://...), FLOOR_ACTOR ("user,unit,organisation" ids written in the
audit row). One connection per worker thread.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import psycopg

from bench import floor_sql

_local = threading.local()


def _connection() -> psycopg.Connection[Any]:
    conn: psycopg.Connection[Any] | None = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = psycopg.connect(os.environ["FLOOR_DATABASE_URL"])
        _local.conn = conn
    return conn


def _actor() -> tuple[int, int, int]:
    user, unit, organisation = (int(x) for x in os.environ["FLOOR_ACTOR"].split(","))
    return user, unit, organisation


def application(
    environ: dict[str, Any], start_response: Callable[[str, list[tuple[str, str]]], Any]
) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    head, _, tail = path.rpartition("/")
    if head != "/plan" or not tail.isdigit():
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    plan_id = int(tail)
    user, unit, organisation = _actor()
    conn = _connection()
    try:
        with conn.cursor() as cur:
            cur.execute(floor_sql.SELECT_PLAN, (plan_id,))
            row = cur.fetchone()
            if row is None:
                conn.rollback()
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"not found"]
            cur.execute(
                floor_sql.INSERT_AUDIT,
                floor_sql.audit_row(
                    user=user,
                    unit=unit,
                    organisation=organisation,
                    person=row[1],
                    plan=plan_id,
                    request_id=uuid.uuid4().hex,
                ),
            )
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    body = json.dumps(
        {"resourceType": "CarePlan", "id": str(row[0]), "status": row[2], "subject": row[1]}
    ).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
