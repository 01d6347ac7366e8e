"""FHIR findings of the penetration test (issue 9): values out of range are a 400 (or a 404
for a read) with an OperationOutcome, never a 500, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.fhir.conftest import FhirApi

pytestmark = pytest.mark.django_db

TYPES = [
    "Patient",
    "Organization",
    "PractitionerRole",
    "CareTeam",
    "CarePlan",
    "Goal",
    "Consent",
    "Appointment",
]
PATIENT_SCOPED = ["CareTeam", "CarePlan", "Goal", "Consent", "Appointment"]
HUGE = "99999999999999999999999"
JUST_OVER_64_BITS = str(2**63)
DATES = [
    "9999-12-31",
    "0001-01-01",
    "ge9999-12-31",
    "gt9999-12-31",
    "le9999-12-31",
    "lt0001-01-01",
    "le0001-01-01",
    "eq0001-01-01",
    "9999-12",
    "9999",
    "0001",
    "ge0001-01-01T00:00:00+00:00",
    "le9999-12-31T23:59:59.999999+00:00",
    "gt9999-12-31T23:59:59.999999+00:00",
    "1899-12-31",
    "2201-01-01",
]


def assert_outcome(status: int, body: dict[str, Any], expected: int) -> None:
    assert status == expected, body
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["severity"] == "error"


@pytest.fixture
def karin(fhir: Callable[..., FhirApi]) -> FhirApi:
    return fhir("karin.holm")


# Search parameters and reads out of range -------------------------------------------------


@pytest.mark.parametrize("rtype", TYPES)
@pytest.mark.parametrize("value", [HUGE, JUST_OVER_64_BITS, f"1,{HUGE}"])
def test_search_by_an_id_out_of_range_is_a_400(karin: FhirApi, rtype: str, value: str) -> None:
    if rtype == "Organization":
        value = f"org-{value.split(',')[-1]}"
    assert_outcome(*karin.get(rtype, {"_id": value}), 400)


@pytest.mark.parametrize("rtype", TYPES)
@pytest.mark.parametrize("value", [HUGE, JUST_OVER_64_BITS])
def test_a_cursor_out_of_range_is_a_400(karin: FhirApi, rtype: str, value: str) -> None:
    params = {"_cursor": value if rtype != "Organization" else f"org-{value}"}
    if rtype == "Patient":
        params["_id"] = "1"
    assert_outcome(*karin.get(rtype, params), 400)


@pytest.mark.parametrize("rtype", PATIENT_SCOPED)
@pytest.mark.parametrize("value", [f"Patient/{HUGE}", f"Patient/{JUST_OVER_64_BITS}", HUGE])
def test_search_by_a_patient_out_of_range_is_a_400(karin: FhirApi, rtype: str, value: str) -> None:
    assert_outcome(*karin.get(rtype, {"patient": value}), 400)


@pytest.mark.parametrize("param", ["organization", "_id"])
def test_organization_references_out_of_range_are_a_400(karin: FhirApi, param: str) -> None:
    rtype = "PractitionerRole" if param == "organization" else "Organization"
    for value in (f"Organization/unit-{HUGE}", f"unit-{JUST_OVER_64_BITS}"):
        assert_outcome(*karin.get(rtype, {param: value}), 400)
    assert_outcome(*karin.get("Organization", {"partof": f"org-{JUST_OVER_64_BITS}"}), 400)


@pytest.mark.parametrize("rtype", ["CarePlan", "Patient"])
def test_digits_other_than_ascii_are_no_numbers(karin: FhirApi, rtype: str) -> None:
    for params in ({"_count": "²"}, {"_id": "²"}, {"_id": "1", "_cursor": "١٢"}):
        assert_outcome(*karin.get(rtype, params), 400)
    assert_outcome(*karin.get("CarePlan", {"date": "２０２６"}), 400)


@pytest.mark.parametrize("param", ["date", "_lastUpdated"])
@pytest.mark.parametrize("value", DATES)
def test_careplan_dates_out_of_range_are_a_400(karin: FhirApi, param: str, value: str) -> None:
    status, body = karin.get("CarePlan", {param: value})
    assert_outcome(status, body, 400)
    assert body["issue"][0]["expression"] == [param]


@pytest.mark.parametrize("param", ["date", "_lastUpdated"])
def test_careplan_dates_in_range_still_work(karin: FhirApi, param: str) -> None:
    for value in ("ge1900-01-01", "le2200-12-31", "2026", "lt2200-12-31T23:59:59+01:00"):
        status, body = karin.get("CarePlan", {param: value})
        assert status == 200, body


@pytest.mark.parametrize("rtype", TYPES)
@pytest.mark.parametrize("rid", [HUGE, JUST_OVER_64_BITS])
def test_read_of_an_id_out_of_range_is_a_404(karin: FhirApi, rtype: str, rid: str) -> None:
    if rtype == "Organization":
        rid = f"unit-{rid}"
    assert_outcome(*karin.get(f"{rtype}/{rid}"), 404)


def test_careplan_version_and_everything_out_of_range_are_a_404(karin: FhirApi) -> None:
    assert_outcome(*karin.get(f"CarePlan/{JUST_OVER_64_BITS}-v1"), 404)
    assert_outcome(*karin.get(f"CarePlan/{HUGE}-v1"), 404)
    assert_outcome(*karin.get(f"CarePlan/{HUGE}/$everything"), 404)
    assert_outcome(*karin.get(f"CarePlan/{JUST_OVER_64_BITS}/$everything"), 404)
