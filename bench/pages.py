"""Server-side timings of Samplan's pages, in process, on the database in DATABASE_URL (a
generated world): p50 and p95 of N runs and the queries each run makes. Writes JSON to the
file named by the first argument, with what the load test needs (a token, plan ids, the
actor the floor writes in its audit rows).

python -m bench.pages out.json   (DJANGO_SETTINGS_MODULE, DATABASE_URL, SAMPLAN_DATA_DIR set)
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

RUNS = int(os.environ.get("BENCH_RUNS", "20"))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, round(q * (len(ordered) - 1)))
    return ordered[k]


def measure(fn: Callable[[], int], *, runs: int = RUNS, rollback: bool = False) -> dict[str, Any]:
    """Run `fn` (which returns an HTTP status) once to warm up, then `runs` times; then run
    the SQL statements of its last run directly (`sql_direct`)."""
    from django.db import connection, transaction

    times: list[float] = []
    statements: list[tuple[str, Any]] = []
    status = 0

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, params))
        return execute(sql, params, many, context)

    for i in range(runs + 1):
        statements.clear()
        with connection.execute_wrapper(capture):
            started = time.perf_counter()
            if rollback:
                with transaction.atomic():
                    status = fn()
                    transaction.set_rollback(True)
            else:
                status = fn()
            elapsed = (time.perf_counter() - started) * 1000
        if i:
            times.append(elapsed)
    own = [(sql, params) for sql, params in statements if not _transaction_control(sql)]
    p50 = statistics.median(times)
    direct = sql_direct(own, runs=min(runs, SQL_RUNS))
    return {
        "p50_ms": round(p50, 2),
        "p95_ms": round(_percentile(times, 0.95), 2),
        "queries": len(statements) - (2 if rollback else 0),
        "status": status,
        "sql_ms": direct,
        "page_per_sql": round(p50 / direct, 2) if direct else None,
    }


SQL_RUNS = int(os.environ.get("BENCH_SQL_RUNS", "5"))


def _transaction_control(sql: str) -> bool:
    """Transactions and savepoints: the frame of the page's statements, which `sql_direct`
    runs inside one transaction of its own."""
    return sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"))


def sql_direct(statements: list[tuple[str, Any]], *, runs: int) -> float | None:
    """p50 (ms) of running a page's statements directly: on the database driver's own cursor
    (psycopg, sqlite3; no ORM, no Django request), every row fetched, in one transaction that
    is rolled back (the page's writes, such as its audit insert, are run too)."""
    from django.db import connection, transaction

    if not statements:
        return None
    times: list[float] = []
    for _ in range(runs):
        with transaction.atomic():
            with connection.cursor() as wrapper:
                raw = wrapper.cursor  # the driver's cursor, below Django's wrappers
                started = time.perf_counter()
                for sql, params in statements:
                    raw.execute(sql, params)
                    if raw.description is not None:
                        raw.fetchall()
                times.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
    return round(statistics.median(times), 2)


def _pick() -> dict[str, Any]:
    """The coordinator with the most open plans, a plan of his or hers, a plan under revision
    (with its coordinator), a person the unit knows, an organisation's log reviewer."""
    from django.db.models import Count

    from samplan.directory.models import OrganisationRole, OrganisationRoleKind
    from samplan.plans.models import Plan, PlanState

    top = (
        Plan.objects.exclude(state=PlanState.CLOSED)
        .filter(coordinator__isnull=False)
        .values("coordinator", "coordinator_unit")
        .annotate(n=Count("pk"))
        .order_by("-n", "coordinator")
        .first()
    )
    assert top is not None, "no coordinated plan: generate a world first"
    plans = Plan.objects.filter(
        coordinator=top["coordinator"], coordinator_unit=top["coordinator_unit"]
    ).order_by("pk")
    plan = plans.filter(state=PlanState.ESTABLISHED).first() or plans.first()
    assert plan is not None
    revising = (
        Plan.objects.filter(state=PlanState.REVISING, coordinator__isnull=False)
        .order_by("pk")
        .first()
    )
    role = (
        OrganisationRole.objects.filter(kind=OrganisationRoleKind.LOG_REVIEWER)
        .order_by("organisation__kind", "pk")
        .first()
    )
    return {"coordinator": top["coordinator"], "unit": top["coordinator_unit"], "plan": plan,
            "plans": list(plans.values_list("pk", flat=True)[:500]), "revising": revising,
            "reviewer": role}  # fmt: skip


def main(out: str) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from samplan.accounts.models import User
    from samplan.accounts.services import api_token_create
    from samplan.directory.models import Unit

    picked = _pick()
    plan = picked["plan"]
    coordinator = User.objects.get(pk=picked["coordinator"])
    unit = Unit.objects.select_related("organisation").get(pk=picked["unit"])
    _token, clear = api_token_create(user=coordinator)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {clear}", HTTP_HOST="localhost")
    web = Client(HTTP_HOST="localhost")
    web.force_login(coordinator)
    person = plan.person

    def get(client: Client, url: str, **kw: Any) -> Callable[[], int]:
        return lambda: client.get(url, kw).status_code if kw else client.get(url).status_code

    def post(client: Client, url: str, data: dict[str, str]) -> Callable[[], int]:
        return lambda: client.post(url, data).status_code

    rows: dict[str, dict[str, Any]] = {}
    rows["start page"] = measure(get(web, "/"))
    rows["worklist"] = measure(get(web, "/plans/"))
    rows["plan page"] = measure(get(web, f"/plans/{plan.pk}/"))
    rows["person search, number"] = measure(post(web, "/persons/", {"q": person.identifier}))
    rows["person search, name"] = measure(post(web, "/persons/", {"q": person.family_name}))
    rows["FHIR CarePlan search"] = measure(get(api, "/fhir/CarePlan?_count=10"))
    rows["FHIR CarePlan/{id}"] = measure(get(api, f"/fhir/CarePlan/{plan.pk}"))
    rows["REST plan"] = measure(get(api, f"/api/v1/plans/{plan.pk}"))
    revising = picked["revising"]
    if revising is not None:
        _t, reviser = api_token_create(user=revising.coordinator)
        rapi = Client(HTTP_AUTHORIZATION=f"Bearer {reviser}", HTTP_HOST="localhost")
        url = f"/api/v1/plans/{revising.pk}/establish"
        rows["establish a revision"] = measure(
            lambda: rapi.post(url, content_type="application/json").status_code, rollback=True
        )
    role = picked["reviewer"]
    if role is not None:
        reviewer = Client(HTTP_HOST="localhost")
        reviewer.force_login(role.user)
        first = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        rows["log review, one organisation and month"] = measure(
            get(
                reviewer,
                "/audit/review/",
                organisation=str(role.organisation_id),
                period_from=first.isoformat(),
                period_to=last.isoformat(),
            )
        )
    from bench.statistics import statistics_rows  # the managers' figures (issue 13)

    rows.update(statistics_rows(measure))
    session_cookie = settings.SESSION_COOKIE_NAME
    result = {
        "pages": rows,
        "load": {
            "token": clear,
            "plans": picked["plans"],
            "floor_actor": f"{coordinator.pk},{unit.pk},{unit.organisation_id}",
            # The coordinator signed in (a session in the database): the plan page over HTTP.
            "cookie": f"{session_cookie}={web.cookies[session_cookie].value}",
        },
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
