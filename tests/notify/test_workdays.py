from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from samplan.notify.workdays import add_working_days, is_working_day, working_days_between


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 23), True),  # an ordinary Monday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2027, 3, 26), False),  # långfredagen
        (date(2027, 3, 29), False),  # annandag påsk
        (date(2027, 3, 25), True),  # skärtorsdagen is a working day
        (date(2026, 5, 14), False),  # Kristi himmelsfärdsdag
        (date(2025, 6, 6), False),  # nationaldagen on a Friday
        (date(2026, 6, 19), False),  # midsommarafton: not a public holiday, still closed
        (date(2026, 12, 24), False),  # julafton
        (date(2026, 12, 31), False),  # nyårsafton
        (date(2027, 1, 6), False),  # trettondedag jul
        (date(2027, 1, 5), True),  # trettondagsafton is a working day
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_easter_2027_is_skipped() -> None:
    # Thursday before Easter + 1 working day: Friday and Monday are holidays.
    assert add_working_days(date(2027, 3, 25), 1) == date(2027, 3, 30)
    assert working_days_between(date(2027, 3, 24), date(2027, 3, 31)) == 3


def test_midsummer_2026_is_skipped() -> None:
    assert add_working_days(date(2026, 6, 18), 1) == date(2026, 6, 22)
    # 16, 17, 18 and 22 June: midsommarafton and the weekend are not counted.
    assert working_days_between(date(2026, 6, 15), date(2026, 6, 22)) == 4


def test_christmas_and_new_year_2026() -> None:
    assert add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 28)
    # 28, 29, 30 December; 4, 5, 7 January.
    assert working_days_between(date(2026, 12, 23), date(2027, 1, 7)) == 6
    assert add_working_days(date(2026, 12, 23), 6) == date(2027, 1, 7)


def test_zero_and_negative() -> None:
    assert add_working_days(date(2026, 6, 20), 0) == date(2026, 6, 20)
    assert add_working_days(date(2026, 6, 22), -1) == date(2026, 6, 18)
    assert working_days_between(date(2026, 6, 22), date(2026, 6, 15)) == -4
    assert working_days_between(date(2026, 6, 19), date(2026, 6, 19)) == 0


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    n=st.integers(min_value=0, max_value=80),
)
def test_between_inverts_add(start: date, n: int) -> None:
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    assert n == 0 or is_working_day(end)
