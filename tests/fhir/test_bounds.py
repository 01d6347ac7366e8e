"""FHIR findings of the penetration test (issue 9): values out of range are a 400 (or a 404
for a read) with an OperationOutcome, never a 500, on SQLite and PostgreSQL alike; and an
import answers the same whether or not the identity number is in the registry."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from samplan.audit.models import AuditEvent
from samplan.demo.world import person_number
from samplan.directory.models import Person
from samplan.fhir import vocabulary
from samplan.plans.models import PLAN_TYPE_SYSTEM, Plan
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


def assert_outcome(answer: tuple[int, dict[str, Any]], expected: int) -> None:
    status, body = answer
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
    assert_outcome(karin.get(rtype, {"_id": value}), 400)


@pytest.mark.parametrize("rtype", TYPES)
@pytest.mark.parametrize("value", [HUGE, JUST_OVER_64_BITS])
def test_a_cursor_out_of_range_is_a_400(karin: FhirApi, rtype: str, value: str) -> None:
    params = {"_cursor": value if rtype != "Organization" else f"org-{value}"}
    if rtype == "Patient":
        params["_id"] = "1"
    assert_outcome(karin.get(rtype, params), 400)


@pytest.mark.parametrize("rtype", PATIENT_SCOPED)
@pytest.mark.parametrize("value", [f"Patient/{HUGE}", f"Patient/{JUST_OVER_64_BITS}", HUGE])
def test_search_by_a_patient_out_of_range_is_a_400(karin: FhirApi, rtype: str, value: str) -> None:
    assert_outcome(karin.get(rtype, {"patient": value}), 400)


@pytest.mark.parametrize("param", ["organization", "_id"])
def test_organization_references_out_of_range_are_a_400(karin: FhirApi, param: str) -> None:
    rtype = "PractitionerRole" if param == "organization" else "Organization"
    for value in (f"Organization/unit-{HUGE}", f"unit-{JUST_OVER_64_BITS}"):
        assert_outcome(karin.get(rtype, {param: value}), 400)
    assert_outcome(karin.get("Organization", {"partof": f"org-{JUST_OVER_64_BITS}"}), 400)


@pytest.mark.parametrize("rtype", ["CarePlan", "Patient"])
def test_digits_other_than_ascii_are_no_numbers(karin: FhirApi, rtype: str) -> None:
    for params in ({"_count": "²"}, {"_id": "²"}, {"_id": "1", "_cursor": "١٢"}):
        assert_outcome(karin.get(rtype, params), 400)
    assert_outcome(karin.get("CarePlan", {"date": "２０２６"}), 400)


@pytest.mark.parametrize("param", ["date", "_lastUpdated"])
@pytest.mark.parametrize("value", DATES)
def test_careplan_dates_out_of_range_are_a_400(karin: FhirApi, param: str, value: str) -> None:
    status, body = karin.get("CarePlan", {param: value})
    assert_outcome((status, body), 400)
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
    assert_outcome(karin.get(f"{rtype}/{rid}"), 404)


def test_careplan_version_and_everything_out_of_range_are_a_404(karin: FhirApi) -> None:
    assert_outcome(karin.get(f"CarePlan/{JUST_OVER_64_BITS}-v1"), 404)
    assert_outcome(karin.get(f"CarePlan/{HUGE}-v1"), 404)
    assert_outcome(karin.get(f"CarePlan/{HUGE}/$everything"), 404)
    assert_outcome(karin.get(f"CarePlan/{JUST_OVER_64_BITS}/$everything"), 404)


# Import: the same answer for a known and an unknown identity number -------------------------


NEW_NUMBER = person_number(date(1979, 3, 14), 517)


def bundle(number: str, **patient: Any) -> dict[str, Any]:
    """A Patient and a CarePlan: the least an import holds."""
    ref = "urn:uuid:5c0e0b5e-0000-4000-8000-000000000001"
    resource = {
        "resourceType": "Patient",
        "identifier": [{"system": vocabulary.PERSONNUMMER_SYSTEM, "value": number}],
        "name": [{"use": "official", "family": "Prövsson", "given": ["Pia"]}],
        **patient,
    }
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": ref,
                "resource": resource,
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": "urn:uuid:5c0e0b5e-0000-4000-8000-000000000002",
                "resource": {
                    "resourceType": "CarePlan",
                    "extension": [
                        {
                            "url": vocabulary.EXT_INITIATIVE_REASON,
                            "valueCoding": {"code": "several_services"},
                        }
                    ],
                    "status": "draft",
                    "intent": "plan",
                    "category": [{"coding": [{"system": PLAN_TYPE_SYSTEM, "code": "SIP"}]}],
                    "subject": {"reference": ref},
                },
                "request": {"method": "POST", "url": "CarePlan"},
            },
        ],
    }


def without_ids(value: Any) -> Any:
    """The response with every id, timestamp and location number taken out."""
    data = copy.deepcopy(value)
    data.pop("id", None)
    data.pop("timestamp", None)
    for entry in data.get("entry", []):
        response = entry.get("response", {})
        if "location" in response:
            response["location"] = response["location"].split("/")[0]
    return data


@pytest.fixture
def known() -> Person:
    """A demo person Hanna (Försäkringskassan) has no relation with."""
    return Person.objects.get(given_name="Ove", family_name="Demosson")


def test_hanna_has_no_relation_with_the_known_person(
    fhir: Callable[..., FhirApi], known: Person
) -> None:
    status, body = fhir("hanna.fors").get("Patient", {"_id": str(known.pk)})
    assert status == 200
    assert not body.get("entry")


def test_import_answers_alike_for_a_known_and_an_unknown_number(
    fhir: Callable[..., FhirApi], known: Person
) -> None:
    assert not Person.objects.filter(identifier=NEW_NUMBER).exists()
    before = Person.objects.values().get(pk=known.pk)
    hanna = fhir("hanna.fors")
    status_known, body_known = hanna.post(json.dumps(bundle(known.identifier)))
    status_new, body_new = hanna.post(json.dumps(bundle(NEW_NUMBER)))
    assert status_known == status_new == 200, (body_known, body_new)
    assert without_ids(body_known) == without_ids(body_new)
    # Nothing of the registry in the answer: the Patient entry says the same in both.
    assert body_known["entry"][0]["response"]["status"] == "200 OK"
    assert set(body_known["entry"][0]["response"]) == {"status", "location"}
    # The known person is neither duplicated nor changed by what the client sent.
    assert Person.objects.filter(identifier=known.identifier).count() == 1
    assert Person.objects.values().get(pk=known.pk) == before
    plan_id = int(body_known["entry"][1]["response"]["location"].split("/")[1])
    assert Plan.objects.get(pk=plan_id).person == known
    # The import reached the known person as an explicit look-up would: audited, with reason.
    assert AuditEvent.objects.filter(
        action="person.lookup", person=known, actor__username="hanna.fors"
    ).exists()


@pytest.mark.parametrize(
    "patient",
    [
        {"name": [{"use": "official", "family": "Prövsson", "given": ["Pia\u0000"]}]},
        {"name": [{"use": "official", "family": "P" * 101, "given": ["Pia"]}]},
        {"telecom": [{"system": "email", "value": "not-an-address"}]},
        {"meta": {"security": [{"system": vocabulary.CONFIDENTIALITY_SYSTEM, "code": "R"}]}},
    ],
)
def test_an_import_refused_for_its_patient_data_is_refused_alike(
    fhir: Callable[..., FhirApi], known: Person, patient: dict[str, Any]
) -> None:
    hanna = fhir("hanna.fors")
    plans = Plan.objects.count()
    status_known, body_known = hanna.post(json.dumps(bundle(known.identifier, **patient)))
    status_new, body_new = hanna.post(json.dumps(bundle(NEW_NUMBER, **patient)))
    assert status_known == status_new == 400, (body_known, body_new)
    assert body_known == body_new
    assert Plan.objects.count() == plans
    assert not Person.objects.filter(identifier=NEW_NUMBER).exists()
