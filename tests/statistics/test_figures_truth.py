"""Every figure, computed by the statistics' queries on a generated world, against the truth
computed in plain Python from what the generator planted (its manifest: truth.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from samplan.authz.access.statistics import access_attendance, access_statistics
from samplan.authz.actor import Actor
from samplan.demo import generate as gen
from samplan.demo.generate_figures import Manifest
from samplan.directory.models import Organisation, OrganisationKind, OrganisationRole
from samplan.statistics.compute import TABLE_KEYS, compute
from samplan.statistics.protection import Protection
from samplan.statistics.scope import Scope
from tests.statistics.truth import Truth

pytestmark = pytest.mark.django_db

# Three municipalities and the region, a few hundred plans over ten years.
COUNTS = gen.Counts(
    municipalities=3,
    units=30,
    staff=80,
    persons=400,
    plans=700,
    versions=1200,
    audit_events=1000,
)


@pytest.fixture
def world() -> Manifest:
    manifest = Manifest()
    gen.generate(
        factor=1.0,
        seed=13,
        mode="reset",
        until=timezone.localdate(),
        counts=COUNTS,
        manifest=manifest,
    )
    return manifest


def manager_of(organisation: Organisation) -> Actor:
    user = get_user_model().objects.create_user(username=f"chef{organisation.pk}", password=None)
    OrganisationRole.objects.create(user=user, organisation=organisation, kind="manager")
    return Actor.for_user(user)


@pytest.mark.parametrize("kind", [OrganisationKind.MUNICIPALITY, OrganisationKind.REGION])
def test_every_figure_is_the_generated_truth(world: Manifest, kind: str) -> None:
    organisation = Organisation.objects.filter(kind=kind).order_by("pk").first()
    assert organisation is not None
    today = timezone.localdate()
    start, end = today - timedelta(days=3 * 365), today
    view = access_statistics(actor=manager_of(organisation), period_from=start, period_to=end)
    assert tuple(t.key for t in view.tables) == TABLE_KEYS
    for tables, (a, b) in (
        (view.tables, (start, end)),
        (view.previous, (view.previous_from, view.previous_to)),
    ):
        truth = Truth(world, organisation.pk, a, b, today, Protection(5))
        for table in tables:
            expected = truth.table(table.key)
            assert list(table.rows) == expected, table.key
    # The world holds what the figures look for, so the comparison compares something.
    found = {t.key: len(t.rows) for t in view.tables}
    assert all(found[k] for k in TABLE_KEYS), found
    declined, lead, disputed = Truth(
        world, organisation.pk, start, end, today, Protection(5)
    ).back_and_forth_ids()
    assert declined
    assert lead
    assert disputed
    # A manager without a unit sees none of these plans: all of them are counted as hidden.
    assert view.back_and_forth == ()
    assert view.back_and_forth_hidden == len(declined | lead | disputed)


def test_the_attendance_resource_is_the_table_of_the_page(world: Manifest) -> None:
    region = Organisation.objects.get(kind=OrganisationKind.REGION)
    actor = manager_of(region)
    today = timezone.localdate()
    start = today - timedelta(days=400)
    table = access_attendance(actor=actor, period_from=start, period_to=today)
    page = access_statistics(actor=actor, period_from=start, period_to=today)
    assert table == next(t for t in page.tables if t.key == "attendance")
    assert table.rows == tuple(
        Truth(world, region.pk, start, today, today, Protection(5)).attendance()
    )


def test_the_number_of_queries_does_not_grow_with_the_data(world: Manifest) -> None:
    """The figures cost the same number of queries for a day, a quarter and ten years; the
    page adds the manager's role and the organisations to filter on (and for a manager who
    works in a unit that sees some of the plans sent back and forth, their list and its
    audit)."""
    municipality = Organisation.objects.filter(kind=OrganisationKind.MUNICIPALITY).first()
    assert municipality is not None
    user = manager_of(municipality).user
    assert user is not None
    today = timezone.localdate()
    figures, pages = [], []
    for days in (1, 90, 3650):
        scope = Scope(
            organisation_id=municipality.pk,
            period_from=today - timedelta(days=days),
            period_to=today,
            protection=Protection(5),
            today=today,
        )
        with CaptureQueriesContext(connection) as queries:
            compute(scope)
        figures.append(len(queries))
        with CaptureQueriesContext(connection) as queries:
            access_statistics(
                actor=Actor.for_user(user), period_from=scope.period_from, period_to=today
            )
        pages.append(len(queries))
    # Before any rebuild every month is read live: the refresh cursor, one query for each of
    # the nine kinds of facts, the disputes and the disputed plans, the names of the
    # organisations and units; the page: both periods, the actor's units, roles and
    # organisation, the filter's list.
    assert figures == [1 + 9 + 2 + 2] * 3
    assert pages == [2 * figures[0] + 4] * 3


def test_a_short_period_at_the_start_of_history_is_still_true(world: Manifest) -> None:
    region = Organisation.objects.get(kind=OrganisationKind.REGION)
    today = timezone.localdate()
    start = today - timedelta(days=3650)
    end = start + timedelta(days=120)
    view = access_statistics(actor=manager_of(region), period_from=start, period_to=end)
    truth = Truth(world, region.pk, start, end, today, Protection(5))
    for table in view.tables:
        assert list(table.rows) == truth.table(table.key), table.key
    assert view.previous_to == start - timedelta(days=1)
    # The period before lies before the world's first plan: labelled, empty tables.
    assert [t.rows for t in view.previous] == [()] * len(TABLE_KEYS)
