"""Small-cell protection: written-out numbers, and the subtraction case (a protected cell can
never be recovered from the totals and the other cells shown beside it)."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.utils import timezone

from samplan.authz.access.statistics import access_attendance
from samplan.authz.actor import Actor
from samplan.directory.models import Organisation
from samplan.plans.models import Invitation, Meeting, Plan
from samplan.statistics.protection import Protection
from samplan.statistics.tables import Protected

P = Protection(5)


def test_own_counts_are_exact() -> None:
    assert [P.count(n, own=True) for n in (0, 1, 4, 7, 13)] == [0, 1, 4, 7, 13]


def test_outside_counts_below_the_threshold_are_protected_and_the_rest_rounded() -> None:
    shown = [P.count(n, own=False) for n in (0, 1, 4, 5, 7, 8, 12, 13, 100)]
    assert shown == [Protected(5)] * 3 + [5, 5, 10, 10, 15, 100]
    assert str(Protected(5)) == "<5"


def test_the_threshold_is_a_setting() -> None:
    three = Protection(3)
    assert [three.count(n, own=False) for n in (2, 3, 4, 5)] == [Protected(3), 3, 3, 6]


def test_shares_and_medians_outside_need_enough_behind_them() -> None:
    assert P.share(2, 20, own=False) == Protected(5)  # two people
    assert P.share(18, 20, own=False) == Protected(5)  # "all but two"
    assert P.share(6, 20, own=False) == 30
    assert P.share(2, 20, own=True) == 10
    assert P.statistic(12.0, 4, own=False) == Protected(5)
    assert P.statistic(12.0, 5, own=False) == 12.0


def _shown(row: tuple[int, ...]) -> tuple[object, ...]:
    """An outside row of seed 004's table as shown: invited, answered, accepted, declined,
    represented, attended, no answer; plus an outside total of invitations over two rows."""
    return tuple(P.count(n, own=False) for n in row)


def _attendance_row(
    accepted: int, declined: int, represented: int, pending: int
) -> tuple[int, ...]:
    answered = accepted + declined + represented
    return (answered + pending, answered, accepted, declined, represented, accepted, pending)


@pytest.mark.parametrize(
    ("accepted", "declined", "represented", "pending"),
    [(9, 3, 0, 0), (12, 0, 1, 2), (7, 1, 0, 4), (20, 4, 4, 0), (5, 0, 0, 3)],
)
def test_subtraction_never_reveals_a_protected_cell(
    accepted: int, declined: int, represented: int, pending: int
) -> None:
    """The subtraction case: invited = answered + no answer and answered = accepted +
    declined + represented, and an outside total beside the row. Whatever the reader
    subtracts, another value of each protected cell gives exactly the same table."""
    true = _attendance_row(accepted, declined, represented, pending)
    other_row = _attendance_row(11, 1, 0, 1)
    shown = (_shown(true), P.count(true[0] + other_row[0], own=False))
    hidden = [i for i, cell in enumerate(shown[0]) if isinstance(cell, Protected)]
    assert hidden, "the case has a protected cell"
    # Every table consistent with what is shown: all counts that give the same view.
    consistent = [
        row
        for a, d, r, p in product(range(30), range(6), range(6), range(6))
        for row in [_attendance_row(a, d, r, p)]
        if (_shown(row), P.count(row[0] + other_row[0], own=False)) == shown
    ]
    assert true in consistent
    for i in hidden:
        assert len({row[i] for row in consistent}) >= 2, f"cell {i} is recoverable"


def test_an_exact_own_row_beside_a_protected_one_gives_no_total_to_subtract_from(
    db: None,
) -> None:
    """Seed 004's table for the region's manager, with Ekbacka's call to the region (own:
    exact) beside a municipality's call to Försäkringskassan (outside): no row or column
    adds the two, so the outside one's small counts stay hidden."""
    region = Organisation.objects.get(name="Region Sjöland")
    user = get_user_model().objects.get(username="chef.region")
    today = timezone.localdate()
    table = access_attendance(
        actor=Actor.for_user(user), period_from=today - timedelta(days=365), period_to=today
    )
    names = [c.key for c in table.columns]
    assert "total" not in names
    for row in table.as_dicts():
        own = region.name in (row["calling_organisation"], row["invited_organisation"])
        counts = [row[k] for k in names[3:]]
        if own:
            assert all(isinstance(c, int) for c in counts), row
        else:
            assert all(isinstance(c, Protected) or c % 5 == 0 for c in counts), row  # type: ignore[operator]


@override_settings(STATISTICS_SMALL_CELL=3)
def test_the_setting_reaches_the_figures(db: None) -> None:
    """A call outside the region's own organisation with one invitation, by the threshold
    in force."""
    fk_unit = Organisation.objects.get(name="Försäkringskassan").units.get()
    plan = Plan.objects.get(person__given_name="Ove")  # Ekbacka's plan with the region in it
    meeting = Meeting.objects.filter(plan=plan).first()
    assert meeting is not None
    Invitation.objects.create(meeting=meeting, unit=fk_unit, email="fk@example.org")
    user = get_user_model().objects.get(username="chef.region")
    start = timezone.localdate(meeting.starts_at)
    table = access_attendance(actor=Actor.for_user(user), period_from=start, period_to=start)
    fk_rows = [r for r in table.as_dicts() if r["invited_organisation"] == "Försäkringskassan"]
    assert fk_rows
    assert all(r["invited"] == Protected(3) for r in fk_rows)
