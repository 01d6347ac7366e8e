from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from samplan.demo.world import person_number
from samplan.directory.identity import (
    PERSONNUMMER,
    SAMORDNINGSNUMMER,
    luhn_check_digit,
    normalise_org_number,
    parse_person_number,
    validate_hsa_id,
)

TODAY = date(2026, 11, 23)


def codes(raw: str) -> list[str]:
    with pytest.raises(ValidationError) as err:
        parse_person_number(raw, today=TODAY)
    return [e.code for e in err.value.error_list]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("19121212-1212", "191212121212"),
        ("191212121212", "191212121212"),
        ("121212-1212", "201212121212"),  # ten digits: the latest century not in the future
        ("121212+1212", "191212121212"),  # "+": a hundred years or older
        ("  19811218-9876 ", "198112189876"),
        ("20000229-0005", "200002290005"),  # leap day in a leap year
    ],
)
def test_valid_personnummer_is_normalised(raw: str, number: str) -> None:
    parsed = parse_person_number(raw, today=TODAY)
    assert parsed.kind == PERSONNUMMER
    assert parsed.number == number


def test_wrong_check_digit_is_refused() -> None:
    assert codes("19121212-1213") == ["check_digit"]


@pytest.mark.parametrize(
    "raw", ["19990230-1234", "19991301-1238", "19010229-1234", "19990100-1236"]
)
def test_impossible_date_is_refused(raw: str) -> None:
    assert codes(raw) == ["date"]


def test_future_birth_date_and_plus_on_twelve_digits_are_refused() -> None:
    assert codes("20301212-1212") == ["century"]
    assert codes("19121212+1212") == ["format"]


def test_ten_digits_without_separator_are_accepted() -> None:
    # A separator is optional in the ten-digit form.
    assert parse_person_number("1212121212", today=TODAY).number == "201212121212"


def test_samordningsnummer_is_day_plus_sixty() -> None:
    parsed = parse_person_number("701063-2391", today=TODAY)
    assert parsed.kind == SAMORDNINGSNUMMER
    assert parsed.birth_date == date(1970, 10, 3)
    assert parsed.number == "197010632391"
    # Day 92 would be the 32nd: an impossible date for a samordningsnummer too.
    assert codes("19701092-2394") == ["date"]


def test_messages_say_what_is_wrong_in_swedish() -> None:
    with pytest.raises(ValidationError) as err:
        parse_person_number("19121212-1213", today=TODAY)
    assert "Kontrollsiffran" in err.value.messages[0]


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 11, 1)),
    serial=st.integers(min_value=0, max_value=999),
    coordination=st.booleans(),
)
def test_generated_numbers_round_trip_and_any_other_check_digit_fails(
    born: date, serial: int, coordination: bool
) -> None:
    number = person_number(born, serial, coordination=coordination)
    parsed = parse_person_number(number, today=TODAY)
    assert parsed.number == number
    assert parsed.birth_date == born
    assert parsed.kind == (SAMORDNINGSNUMMER if coordination else PERSONNUMMER)
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(ValidationError):
        parse_person_number(wrong, today=TODAY)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("212000-0142", "212000-0142"),
        ("2120000142", "212000-0142"),
        ("16202100-5521", "202100-5521"),
    ],
)
def test_valid_org_numbers(raw: str, expected: str) -> None:
    assert normalise_org_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [("212000-0143", "check_digit"), ("191212-1212", "format"), ("21200-0142", "format")],
)
def test_invalid_org_numbers(raw: str, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        normalise_org_number(raw)
    assert err.value.error_list[0].code == code


def test_luhn_known_value() -> None:
    assert luhn_check_digit("811218987") == 6


def test_hsa_id_form() -> None:
    validate_hsa_id("SE2321000016-1234")
    with pytest.raises(ValidationError):
        validate_hsa_id("2321000016-1234")
