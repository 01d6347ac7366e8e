"""The statistics access helper on the demo world: who may see the figures, bad input, the
listing of plans sent back and forth, the constant number of queries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from samplan.accounts.models import User
from samplan.audit.actions import AuditAction
from samplan.audit.models import AuditEvent
from samplan.authz.access.statistics import (
    access_attendance,
    access_statistics,
    previous_period,
)
from samplan.authz.actor import Actor
from samplan.authz.policy import Denied
from samplan.directory.models import Organisation
from samplan.statistics.compute import TABLE_KEYS

pytestmark = pytest.mark.django_db


def actor(username: str) -> Actor:
    return Actor.for_user(User.objects.get(username=username))


def year() -> tuple[date, date]:
    today = timezone.localdate()
    return today - timedelta(days=365), today


def test_a_manager_gets_every_table_in_order_and_the_period_before() -> None:
    start, end = year()
    view = access_statistics(actor=actor("chef.ekbacka"), period_from=start, period_to=end)
    assert tuple(t.key for t in view.tables) == TABLE_KEYS
    assert tuple(t.key for t in view.previous) == TABLE_KEYS
    assert view.previous_to == start - timedelta(days=1)
    assert view.previous_to - view.previous_from == end - start
    assert view.threshold == 5
    assert view.organisation is None
    assert any(o.name == "Ekbacka kommun" for o in view.organisations)
    by_state = next(t for t in view.tables if t.key == "plans_by_state")
    assert by_state.rows, "the demo's Ekbacka has initiatives in the last year"


@pytest.mark.parametrize("username", ["karin.holm", "admin.ekbacka", "granskare.region"])
def test_anyone_but_a_manager_is_refused_and_the_refusal_audited(username: str) -> None:
    start, end = year()
    who = actor(username)
    with pytest.raises(Denied):
        access_statistics(actor=who, period_from=start, period_to=end)
    with pytest.raises(Denied):
        access_attendance(actor=who, period_from=start, period_to=end)
    assert AuditEvent.objects.filter(
        actor__username=username, action=AuditAction.STATISTICS_VIEW
    ).exists()


def test_a_period_in_the_wrong_order_is_refused_next_to_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        access_statistics(
            actor=actor("chef.ekbacka"), period_from=date(2026, 6, 1), period_to=date(2026, 1, 1)
        )
    assert set(caught.value.message_dict) == {"period_to"}


def test_an_unknown_and_a_hidden_organisation_get_the_same_message() -> None:
    start, end = year()
    fk = Organisation.objects.get(name="Försäkringskassan")  # not a principal, not the own
    messages = []
    for organisation_id in (fk.pk, 10**9):
        with pytest.raises(ValidationError) as caught:
            access_statistics(
                actor=actor("chef.ekbacka"),
                period_from=start,
                period_to=end,
                organisation_id=organisation_id,
            )
        messages.append(caught.value.message_dict)
    assert messages[0] == messages[1]
    assert set(messages[0]) == {"organisation"}


def test_a_period_without_data_gives_labelled_empty_tables() -> None:
    view = access_statistics(
        actor=actor("chef.region"), period_from=date(1990, 1, 1), period_to=date(1990, 3, 31)
    )
    for table in view.tables:
        assert table.title
        assert table.columns
        assert table.rows == ()
    assert view.back_and_forth == ()
    assert view.back_and_forth_hidden == 0


def test_plans_sent_back_and_forth_are_listed_where_the_manager_may_see_them_audited() -> None:
    """A manager who works in a unit that takes part in the plan sees it in the list (a read
    of the person, audited); the region's manager, who works in no unit, only counts it."""
    from samplan.agreements.models import ResponsibilityDispute
    from samplan.directory.models import OrganisationRole, Unit
    from samplan.plans.models import Plan

    plan = Plan.objects.get(person__given_name="Ove")
    karin = User.objects.get(username="karin.holm")
    ResponsibilityDispute.objects.create(
        plan=plan,
        subject="Vem har huvudansvaret?",
        recorded_by=karin,
        recorded_unit=Unit.objects.get(name="Socialpsykiatri Ekbacka"),
    )
    ekbacka = Organisation.objects.get(name="Ekbacka kommun")
    OrganisationRole.objects.create(user=karin, organisation=ekbacka, kind="manager")
    start, end = year()
    view = access_statistics(actor=actor("karin.holm"), period_from=start, period_to=end)
    assert plan in view.back_and_forth
    read = AuditEvent.objects.get(
        actor__username="karin.holm", action=AuditAction.STATISTICS_BACK_AND_FORTH
    )
    assert read.person_id == plan.person_id
    assert read.detail["plans"] == [plan.pk]

    region_view = access_statistics(actor=actor("chef.region"), period_from=start, period_to=end)
    assert region_view.back_and_forth == ()
    assert region_view.back_and_forth_hidden != 0
    assert not AuditEvent.objects.filter(
        actor__username="chef.region", action=AuditAction.STATISTICS_BACK_AND_FORTH
    ).exists()


@pytest.mark.parametrize(
    ("period", "before"),
    [
        # A quarter is compared with the quarter before, not with the 92 days before it.
        ((date(2026, 7, 1), date(2026, 9, 30)), (date(2026, 4, 1), date(2026, 6, 30))),
        ((date(2026, 1, 1), date(2026, 3, 31)), (date(2025, 10, 1), date(2025, 12, 31))),
        ((date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 2, 1), date(2026, 2, 28))),
        ((date(2026, 1, 1), date(2026, 12, 31)), (date(2025, 1, 1), date(2025, 12, 31))),
        # Not whole months: as many days before.
        ((date(2026, 3, 10), date(2026, 3, 19)), (date(2026, 2, 28), date(2026, 3, 9))),
        ((date(2026, 3, 1), date(2026, 3, 30)), (date(2026, 1, 30), date(2026, 2, 28))),
    ],
)
def test_the_period_before(period: tuple[date, date], before: tuple[date, date]) -> None:
    assert previous_period(*period) == before


def test_exports_and_the_report_count_the_plans_sent_back_and_forth_without_reading_them(
    client: Any,
) -> None:
    """The page lists (and audits) the plans the manager may see; a table's export and the
    printed report name no plan, so they count them and nobody's log says they were read."""
    from samplan.agreements.models import ResponsibilityDispute
    from samplan.directory.models import OrganisationRole, Unit
    from samplan.plans.models import Plan

    plan = Plan.objects.get(person__given_name="Ove")
    karin = User.objects.get(username="karin.holm")
    ResponsibilityDispute.objects.create(
        plan=plan,
        subject="Vem har huvudansvaret?",
        recorded_by=karin,
        recorded_unit=Unit.objects.get(name="Socialpsykiatri Ekbacka"),
    )
    OrganisationRole.objects.create(
        user=karin, organisation=Organisation.objects.get(name="Ekbacka kommun"), kind="manager"
    )
    start, end = year()
    counted = access_statistics(
        actor=actor("karin.holm"), period_from=start, period_to=end, list_plans=False
    )
    assert counted.back_and_forth == ()
    listed = access_statistics(actor=actor("karin.holm"), period_from=start, period_to=end)
    assert plan in listed.back_and_forth
    assert counted.back_and_forth_visible == listed.back_and_forth_visible >= 1
    assert counted.back_and_forth_hidden == listed.back_and_forth_hidden
    reads = AuditEvent.objects.filter(
        actor__username="karin.holm", action=AuditAction.STATISTICS_BACK_AND_FORTH
    )
    assert reads.count() == 1  # the listing only

    client.force_login(karin)
    query = {"period_from": start.isoformat(), "period_to": end.isoformat()}
    assert client.get("/statistics/export/plans_by_state.csv", query).status_code == 200
    assert client.get("/statistics/report.pdf", query).status_code == 200
    assert reads.count() == 1
    assert client.get("/statistics/", query).status_code == 200
    assert reads.count() == 2
