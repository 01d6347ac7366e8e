"""Server-side timings of the managers' figures (issue 13: under a second at region scale on
PostgreSQL), on the generated world in DATABASE_URL: the region's manager and a
municipality's, a quarter and a year, through the access helper (every table, the period
before) and through the REST resources. bench/pages.py adds these rows to `make bench`.

python -m bench.statistics   (DJANGO_SETTINGS_MODULE, DATABASE_URL set): prints the rows.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

Measure = Callable[..., dict[str, Any]]


def _manager(kind: str) -> Any:
    """A manager of the first organisation of the kind (made once, kept for later runs)."""
    from django.contrib.auth import get_user_model

    from samplan.directory.models import Organisation, OrganisationRole, OrganisationRoleKind

    organisation = Organisation.objects.filter(kind=kind).order_by("pk").first()
    assert organisation is not None, "generate a world first"
    user, _created = get_user_model().objects.get_or_create(username=f"bench.chef.{kind}")
    OrganisationRole.objects.get_or_create(
        user=user, organisation=organisation, kind=OrganisationRoleKind.MANAGER
    )
    return user


def statistics_rows(measure: Measure) -> dict[str, dict[str, Any]]:
    from django.test import Client

    from samplan.accounts.services import api_token_create
    from samplan.authz.access.statistics import access_statistics
    from samplan.authz.actor import Actor

    # What the page offers: whole calendar periods (the last whole quarter and year), read
    # from the stored yearly and quarterly facts after `samplan statistics rebuild`; and the
    # last 365 days (across a new year, not on month boundaries), read from stored quarters,
    # months and the days at its edges (samplan/statistics/aggregates.py: pieces).
    today = date.today()
    this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last_quarter_end = this_quarter - timedelta(days=1)
    quarter = (date(last_quarter_end.year, last_quarter_end.month - 2, 1), last_quarter_end)
    year = (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
    days = (today - timedelta(days=365), today)
    rows: dict[str, dict[str, Any]] = {}
    for kind, label in (("region", "region"), ("municipality", "municipality")):
        user = _manager(kind)

        def page(period: tuple[date, date], user: Any = user) -> int:
            access_statistics(
                actor=Actor.for_user(user), period_from=period[0], period_to=period[1]
            )
            return 200

        rows[f"statistics, {label}'s manager, a year (every table, and the year before)"] = measure(
            lambda page=page: page(year), runs=3
        )
        rows[f"statistics, {label}'s manager, a quarter"] = measure(
            lambda page=page: page(quarter), runs=3
        )
        rows[f"statistics, {label}'s manager, the last 365 days (edge days stored)"] = measure(
            lambda page=page: page(days), runs=3
        )
    _token, clear = api_token_create(user=_manager("region"))
    api = Client(HTTP_AUTHORIZATION=f"Bearer {clear}", HTTP_HOST="localhost")
    query = f"from={year[0]}&to={year[1]}"
    rows["REST statistics/attendance, region, a year"] = measure(
        lambda: api.get(f"/api/v1/statistics/attendance?{query}").status_code, runs=3
    )
    return rows


def main() -> int:
    import django

    django.setup()
    from bench.pages import measure

    print(json.dumps(statistics_rows(measure), indent=1))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
