"""The worklists' and the plan page's date filters (web/templatetags/samplan_dates.py) write
exactly what Django's `date` filter writes with the same format, time zones included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.template import Context, Template
from django.utils import timezone

FILTERS = {
    "ymd": '"Y-m-d"',
    "ymd_hm": '"Y-m-d H:i"',
    "hm": '"H:i"',
    "iso": "'c'",
}

VALUES: list[Any] = [
    None,
    "",
    date(2026, 1, 5),
    date(999, 12, 31),
    datetime(2026, 3, 29, 0, 59, tzinfo=UTC),  # the night summer time begins in Stockholm
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # and ends
    datetime(2026, 12, 31, 23, 5, 7, 123456, tzinfo=UTC),  # a new year in Stockholm
    datetime(2026, 6, 1, 8, 4),  # naive
    datetime(2026, 8, 14, 12, 0, 59, 999999, tzinfo=UTC),
]


# A time of a plain date is left out: Django's filter raises, and the templates give
# datetimes to the filters that write a time.
CASES = [
    (name, value)
    for name in sorted(FILTERS)
    for value in VALUES
    if not (name in {"hm", "ymd_hm"} and type(value) is date)
]


@pytest.mark.parametrize(("name", "value"), CASES, ids=repr)
def test_each_filter_writes_what_date_writes(name: str, value: Any) -> None:
    ours = Template("{% load samplan_dates %}{{ v|" + name + " }}")
    django = Template("{{ v|date:" + FILTERS[name] + " }}")
    context = {"v": value}
    assert ours.render(Context(context)) == django.render(Context(context))


def test_in_another_time_zone_too() -> None:
    value = datetime(2026, 7, 1, 22, 30, tzinfo=UTC) + timedelta(seconds=1)
    with timezone.override("America/New_York"):
        for name, fmt in FILTERS.items():
            ours = Template("{% load samplan_dates %}{{ v|" + name + " }}")
            django = Template("{{ v|date:" + fmt + " }}")
            assert ours.render(Context({"v": value})) == django.render(Context({"v": value}))
