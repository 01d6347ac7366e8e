"""`make bench`: figures that tests must not assert as timings.

Builds a throwaway database (SQLite in a temp folder, or the database in BENCH_DATABASE_URL),
seeds the demo world plus BENCH_PLANS extra plans visible to one coordinator, and measures:

- one audited read of a person and of a plan through REST and FHIR (the hot path);
- the first and a late page of the plan list through the REST API and FHIR (keyset paging:
  the late page should cost the same queries and about the same time as the first);
- `samplan audit verify` over the audit log.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any


def _setup() -> None:
    data = tempfile.mkdtemp(prefix="samplan-bench-")
    os.environ["SAMPLAN_DATA_DIR"] = data
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samplan.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from samplan.demo import world

    world.build()


def _seed_plans(count: int) -> None:
    from django.utils import timezone

    from samplan.accounts.models import User
    from samplan.directory.models import Person, Unit
    from samplan.notify.workdays import add_working_days
    from samplan.plans.models import Participant, Plan

    unit = Unit.objects.get(name="Socialpsykiatri Ekbacka")
    user = User.objects.get(username="karin.holm")
    persons = list(Person.objects.all())
    today = timezone.localdate()
    deadline = add_working_days(today, 10)
    batch = 2000
    for start in range(0, count, batch):
        plans = Plan.objects.bulk_create(
            [
                Plan(
                    person=persons[i % len(persons)],
                    initiated_on=today,
                    initiating_unit=unit,
                    initiating_user=user,
                    reasons=["several_services"],
                    meeting_deadline=deadline,
                )
                for i in range(start, min(start + batch, count))
            ]
        )
        Participant.objects.bulk_create([Participant(plan=p, unit=unit) for p in plans])


def _measure(fn: Callable[[], Any], repeat: int = 7) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        queries = len(ctx.captured_queries)
    return statistics.median(times), queries


def main() -> int:
    plans = int(os.environ.get("BENCH_PLANS", "100000"))
    _setup()
    _seed_plans(plans)
    from django.test import Client

    from samplan.accounts.models import User
    from samplan.accounts.services import api_token_create
    from samplan.audit.seal import seal_pending, verify
    from samplan.plans.models import Plan

    _token, clear = api_token_create(user=User.objects.get(username="karin.holm"))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {clear}", HTTP_HOST="localhost")
    page = 10
    ids = list(
        Plan.objects.filter(initiating_unit__name="Socialpsykiatri Ekbacka")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    late_cursor = ids[-page * 2]  # the second-to-last page: about page len(ids)/page
    late_page_number = len(ids) // page - 1

    def api_first() -> None:
        assert client.get(f"/api/v1/plans?limit={page}").status_code == 200

    def fhir_first() -> None:
        assert client.get(f"/fhir/CarePlan?_count={page}").status_code == 200

    def fhir_late() -> None:
        response = client.get(f"/fhir/CarePlan?_count={page}&_cursor={late_cursor}")
        assert response.status_code == 200, response.content[:300]

    # The REST API's cursor is opaque; it is made the way the API makes it.
    from samplan.api.plans import _cursor_encode

    late_api_cursor = _cursor_encode(late_cursor)

    def api_late_direct() -> None:
        response = client.get(f"/api/v1/plans?limit={page}&cursor={late_api_cursor}")
        assert response.status_code == 200, response.content[:300]

    # One audited read of one person and one plan: the hot path of every interface.
    from samplan.directory.models import Person

    ove = Person.objects.get(given_name="Ove")
    ove_plan = Plan.objects.get(person=ove, coordinator__username="karin.holm").pk

    def get_ok(url: str) -> Callable[[], None]:
        def fetch() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return fetch

    rows = [
        ("REST person, one", *_measure(get_ok(f"/api/v1/persons/{ove.pk}"))),
        ("FHIR Patient, one", *_measure(get_ok(f"/fhir/Patient/{ove.pk}"))),
        ("REST plan, one", *_measure(get_ok(f"/api/v1/plans/{ove_plan}"))),
        ("FHIR CarePlan, one", *_measure(get_ok(f"/fhir/CarePlan/{ove_plan}"))),
        ("REST plans, page 1", *_measure(api_first)),
        (f"REST plans, page ~{late_page_number}", *_measure(api_late_direct)),
        ("FHIR CarePlan, page 1", *_measure(fhir_first)),
        (f"FHIR CarePlan, page ~{late_page_number}", *_measure(fhir_late)),
    ]
    started = time.perf_counter()
    sealed = seal_pending().events
    seal_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    report = verify()
    verify_ms = (time.perf_counter() - started) * 1000
    print(f"Samplan benchmark: {len(ids)} plans visible to one coordinator, {page} a page")
    for name, ms, queries in rows:
        print(f"  {name:<32} {ms:8.1f} ms (median of 7)  {queries:3d} queries")
    print(f"  audit seal: {sealed} events in {seal_ms:.0f} ms")
    print(f"  audit verify: {report.events} events in {verify_ms:.0f} ms, intact={report.intact}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
