"""Seed 004's table from the demo world: the calls of each municipality to the region, per
quarter, and how the region answered and came (samplan/demo/attendance.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from samplan.authz.access.statistics import access_attendance
from samplan.authz.actor import Actor
from samplan.demo.attendance import quarter_start

pytestmark = pytest.mark.django_db

# invited, answered, accepted, declined, represented, attended, no answer: four meetings a
# quarter, psychiatry and addiction care summoned to each (written out from the story).
EARLY = (8, 7, 4, 3, 0, 3, 1)
MIDDLE = (8, 7, 5, 1, 1, 6, 1)
LATER = (8, 8, 6, 1, 1, 7, 0)
BY_QUARTERS_AGO = {8: EARLY, 7: EARLY, 6: MIDDLE, 5: MIDDLE, 4: LATER, 3: LATER}


def test_seed_004s_table_comes_out_of_the_demo_world() -> None:
    today = timezone.localdate()
    start = quarter_start(today, 8)
    end = quarter_start(today, 2) - timedelta(days=1)  # the quarters without other meetings
    region_manager = Actor.for_user(get_user_model().objects.get(username="chef.region"))
    table = access_attendance(actor=region_manager, period_from=start, period_to=end)
    rows = {(r["calling_organisation"], r["quarter"]): r for r in table.as_dicts()}
    keys = ("invited", "answered", "accepted", "declined", "represented", "attended", "no_answer")
    for back, expected in BY_QUARTERS_AGO.items():
        first = quarter_start(today, back)
        quarter = f"{first.year}-Q{(first.month - 1) // 3 + 1}"
        for municipality in ("Ekbacka kommun", "Strandviks kommun"):
            row = rows[(municipality, quarter)]
            assert row["invited_organisation"] == "Region Sjöland"
            assert tuple(row[k] for k in keys) == expected, (municipality, quarter)


def test_the_region_came_to_every_meeting_in_the_last_two_quarters_before_this() -> None:
    today = timezone.localdate()
    start = quarter_start(today, 2)
    end = quarter_start(today, 0) - timedelta(days=1)
    manager = Actor.for_user(get_user_model().objects.get(username="chef.ekbacka"))
    rows = [
        r
        for r in access_attendance(actor=manager, period_from=start, period_to=end).as_dicts()
        if r["calling_organisation"] == "Ekbacka kommun"
        and r["invited_organisation"] == "Region Sjöland"
    ]
    assert len(rows) == 2
    for row in rows:
        assert row["attended"] == row["invited"], row
