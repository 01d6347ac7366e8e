"""The statistics replica: the figures' reads go to the "statistics" alias while one is
configured, nothing else does."""

from __future__ import annotations

from django.test import override_settings

from samplan.plans.models import Plan
from samplan.statistics.router import StatisticsRouter, statistics_reads

ROUTER = StatisticsRouter()
WITH_REPLICA: dict[str, dict[str, str]] = {"default": {}, "statistics": {}}


@override_settings(DATABASES=WITH_REPLICA)
def test_reads_for_the_figures_go_to_the_replica() -> None:
    with statistics_reads():
        assert ROUTER.db_for_read(Plan) == "statistics"
        assert ROUTER.db_for_write(Plan) is None
    assert ROUTER.db_for_read(Plan) is None


def test_without_a_replica_everything_stays_on_the_primary() -> None:
    with statistics_reads():
        assert ROUTER.db_for_read(Plan) is None


def test_the_replica_is_never_migrated() -> None:
    assert ROUTER.allow_migrate("statistics", "plans") is False
    assert ROUTER.allow_migrate("default", "plans") is None
