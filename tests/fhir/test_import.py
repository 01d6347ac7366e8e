"""Import of a transaction Bundle: a draft plan through the services, or nothing at all."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from samplan.audit.models import AuditEvent, Outcome
from samplan.consent.models import Consent
from samplan.demo.world import person_number
from samplan.directory.models import Organisation, Person
from samplan.fhir import mapping, vocabulary
from samplan.plans.models import PLAN_TYPE_SYSTEM, Goal, Intervention, Need, Plan, PlanState
from tests.fhir.conftest import FhirApi, entries

pytestmark = pytest.mark.django_db

NUMBER = person_number(date(1984, 5, 6), 321)


def bundle(number: str = NUMBER) -> dict[str, Any]:
    ekbacka = Organisation.objects.get(name="Ekbacka kommun")
    region = Organisation.objects.get(name="Region Sjöland")
    patient = "urn:uuid:7b1c0c1e-0000-4000-8000-000000000001"
    goal = "urn:uuid:7b1c0c1e-0000-4000-8000-000000000002"
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": patient,
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": vocabulary.PERSONNUMMER_SYSTEM, "value": number}],
                    "name": [{"use": "official", "family": "Importsson", "given": ["Ina"]}],
                    "telecom": [{"system": "phone", "value": "070-123 45 67"}],
                },
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": "urn:uuid:7b1c0c1e-0000-4000-8000-000000000003",
                "resource": {
                    "resourceType": "Consent",
                    "extension": [
                        {"url": vocabulary.EXT_CONSENT_METHOD, "valueCoding": {"code": "written"}}
                    ],
                    "status": "active",
                    "scope": {"coding": [{"code": "patient-privacy"}]},
                    "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
                    "patient": {"reference": patient},
                    "policyRule": {"coding": [{"code": "OPTIN"}]},
                    "provision": {
                        "type": "permit",
                        "actor": [
                            {
                                "role": {"coding": [{"code": "IRCP"}]},
                                "reference": {"reference": f"Organization/org-{ekbacka.pk}"},
                            },
                            {
                                "role": {"coding": [{"code": "IRCP"}]},
                                "reference": {
                                    "identifier": {
                                        "system": vocabulary.ORG_NUMBER_SYSTEM,
                                        "value": region.org_number,
                                    }
                                },
                            },
                        ],
                        "code": [
                            {"coding": [{"system": vocabulary.INFORMATION_KIND_SYSTEM, "code": k}]}
                            for k in ("plan", "health", "social")
                        ],
                    },
                },
                "request": {"method": "POST", "url": "Consent"},
            },
            {
                "fullUrl": "urn:uuid:7b1c0c1e-0000-4000-8000-000000000004",
                "resource": {
                    "resourceType": "CarePlan",
                    "extension": [
                        {
                            "url": vocabulary.EXT_INITIATIVE_REASON,
                            "valueCoding": {"code": "several_services"},
                        },
                        mapping.need_extension("need", "Stöd i vardagen", "d230"),
                    ],
                    "status": "draft",
                    "intent": "plan",
                    "category": [{"coding": [{"system": PLAN_TYPE_SYSTEM, "code": "SIP"}]}],
                    "subject": {"reference": patient},
                    "description": "Behöver samordning mellan hemtjänst och vårdcentral.",
                    "goal": [{"reference": goal}],
                    "activity": [
                        {
                            "detail": {
                                "status": "not-started",
                                "description": "Hemtjänst två gånger om dagen",
                                "performer": [{"reference": f"Organization/org-{ekbacka.pk}"}],
                                "goal": [{"reference": goal}],
                            }
                        }
                    ],
                },
                "request": {"method": "POST", "url": "CarePlan"},
            },
            {
                "fullUrl": goal,
                "resource": {
                    "resourceType": "Goal",
                    "lifecycleStatus": "proposed",
                    "description": {"text": "Ina klarar vardagen hemma."},
                    "subject": {"reference": patient},
                    "target": [{"dueDate": "2027-06-30"}],
                    "note": [
                        {"authorReference": {"reference": patient}, "text": "Jag vill bo kvar."}
                    ],
                },
                "request": {"method": "POST", "url": "Goal"},
            },
        ],
    }


def counts() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Plan.objects.count(),
        Consent.objects.count(),
        Goal.objects.count(),
        Need.objects.count(),
        Intervention.objects.count(),
    )


def test_the_fixture_is_a_valid_r4_bundle() -> None:
    Bundle.model_validate(bundle())


def test_import_creates_a_draft_plan_through_the_services(fhir: Callable[..., FhirApi]) -> None:
    api = fhir("karin.holm")
    status, response = api.post(json.dumps(bundle()))
    assert status == 200, response
    assert response["type"] == "transaction-response"
    locations = [e["response"]["location"] for e in response["entry"]]
    assert [loc.split("/")[0] for loc in locations] == ["Patient", "Consent", "CarePlan", "Goal"]
    plan = Plan.objects.get(pk=int(locations[2].split("/")[1]))
    assert plan.state == PlanState.CONSENTED
    assert plan.person.identifier == NUMBER
    assert plan.initiating_unit.name == "Socialpsykiatri Ekbacka"
    goal = plan.goals.get()
    assert (goal.shared_goal, goal.person_words) == (
        "Ina klarar vardagen hemma.",
        "Jag vill bo kvar.",
    )
    assert plan.needs.get().icf_code == "d230"
    intervention = plan.interventions.get()
    assert intervention.status == "planned"
    assert intervention.goal == goal
    consent = plan.consents.get()
    assert consent.method == "written"
    assert {o.name for o in consent.organisations.all()} == {"Ekbacka kommun", "Region Sjöland"}
    _s, read = api.get(locations[2])
    assert read["status"] == "draft"
    assert AuditEvent.objects.filter(action="plan.fhir_import", outcome=Outcome.OK).exists()
    # Importing again finds the person by identifier instead of creating a second one.
    status, again = api.post(json.dumps(bundle()))
    assert status == 200
    assert again["entry"][0]["response"] == {"status": "200 OK", "location": locations[0]}
    assert Person.objects.filter(identifier=NUMBER).count() == 1


def _without_consent() -> dict[str, Any]:
    data = bundle()
    data["entry"] = [e for e in data["entry"] if e["resource"]["resourceType"] != "Consent"]
    return data


def _dangling() -> dict[str, Any]:
    data = bundle()
    data["entry"][2]["resource"]["subject"] = {"reference": "urn:uuid:not-in-the-bundle"}
    return data


def _bad_personnummer() -> dict[str, Any]:
    data = bundle(NUMBER[:-1] + str((int(NUMBER[-1]) + 1) % 10))
    return data


def _invalid_fhir() -> dict[str, Any]:
    data = bundle()
    data["entry"][0]["resource"]["birthDate"] = "1984-13-45"
    return data


def _unknown_element() -> dict[str, Any]:
    data = bundle()
    data["entry"][2]["resource"]["planOwner"] = "x"
    return data


def _wrong_type() -> dict[str, Any]:
    data = bundle()
    data["resourceType"] = "Parameters"
    return data


def _batch() -> dict[str, Any]:
    data = bundle()
    data["type"] = "batch"
    return data


def _observation() -> dict[str, Any]:
    data = bundle()
    data["entry"].append(
        {
            "fullUrl": "urn:uuid:7b1c0c1e-0000-4000-8000-000000000009",
            "resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"}},
            "request": {"method": "POST", "url": "Observation"},
        }
    )
    return data


def _no_reason() -> dict[str, Any]:
    data = bundle()
    data["entry"][2]["resource"]["extension"] = []
    del data["entry"][2]["resource"]["extension"]
    return data


def _unknown_org() -> dict[str, Any]:
    data = bundle()
    data["entry"][1]["resource"]["provision"]["actor"][0]["reference"] = {
        "reference": "Organization/org-999999"
    }
    return data


def _refused_in_goal() -> dict[str, Any]:
    data = copy.deepcopy(bundle())
    data["entry"][3]["resource"]["description"]["text"] = " "
    return data


@pytest.mark.parametrize(
    ("make", "expression", "message"),
    [
        (_bad_personnummer, "Patient.identifier", "kontrollsiffra"),
        (_dangling, "CarePlan.subject", "not in the Bundle"),
        (_invalid_fhir, "entry.0.resource.birthDate", "Not a valid FHIR R4 Bundle"),
        (_unknown_element, "entry.2.resource.planOwner", "Extra inputs"),
        (_wrong_type, "Bundle.resourceType", "Bundle"),
        (_batch, "Bundle.type", "transaction"),
        (_observation, "Bundle.entry[4].resource", "Observation"),
        (_no_reason, "CarePlan.extension", "skäl"),
        (_unknown_org, "Consent.provision.actor[0]", "not a known organisation"),
        (_refused_in_goal, "Goal.description", ""),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    fhir: Callable[..., FhirApi],
    make: Callable[[], dict[str, Any]],
    expression: str,
    message: str,
) -> None:
    before = counts()
    status, outcome = fhir("karin.holm").post(json.dumps(make()))
    assert status == 400, outcome
    assert outcome["resourceType"] == "OperationOutcome"
    issue = outcome["issue"][0]
    assert issue["expression"] == [expression]
    assert message.lower() in issue["diagnostics"].lower()
    assert counts() == before
    event = AuditEvent.objects.filter(action="plan.fhir_import").order_by("-pk").first()
    assert event is not None
    assert event.outcome == Outcome.INVALID
    assert NUMBER not in json.dumps(event.detail)


def test_import_without_consent_is_an_initiative(fhir: Callable[..., FhirApi]) -> None:
    status, response = fhir("karin.holm").post(json.dumps(_without_consent()))
    assert status == 200
    plan = Plan.objects.get(pk=int(response["entry"][1]["response"]["location"].split("/")[1]))
    assert plan.state == PlanState.INITIATED


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe", b"null"])
def test_malformed_json_is_refused(fhir: Callable[..., FhirApi], body: bytes) -> None:
    before = counts()
    status, outcome = fhir("karin.holm").post(body)
    assert status == 400
    assert outcome["resourceType"] == "OperationOutcome"
    assert counts() == before


def test_oversized_body_and_wrong_content_type(fhir: Callable[..., FhirApi]) -> None:
    api = fhir("karin.holm")
    before = counts()
    data = bundle()
    data["entry"][2]["resource"]["description"] = "x" * (1024 * 1024 + 10)
    status, outcome = api.post(json.dumps(data))
    assert status == 413
    assert outcome["issue"][0]["code"] == "too-costly"
    status, outcome = api.post(json.dumps(bundle()), content_type="text/plain")
    assert status == 415
    assert counts() == before


def test_a_user_without_a_unit_cannot_import(fhir: Callable[..., FhirApi]) -> None:
    before = counts()
    status, _outcome = fhir("admin.ekbacka").post(json.dumps(bundle()))
    assert status == 403
    assert counts() == before
    assert AuditEvent.objects.filter(
        action="plan.fhir_import", outcome=Outcome.DENIED, actor__username="admin.ekbacka"
    ).exists()


def test_imported_plan_is_visible_only_to_its_unit(fhir: Callable[..., FhirApi]) -> None:
    status, response = fhir("karin.holm").post(json.dumps(bundle()))
    assert status == 200
    location = response["entry"][2]["response"]["location"]
    assert fhir("johan.dahl").get(location)[0] == 404
    _s, found = fhir("karin.holm").get(
        "CarePlan", {"patient": response["entry"][0]["response"]["location"]}
    )
    assert [f"CarePlan/{e['id']}" for e in entries(found)] == [location]


def _careplan(data: dict[str, Any]) -> dict[str, Any]:
    return next(e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "CarePlan")


@pytest.mark.parametrize(
    ("category", "extension", "expected"),
    [
        # A CarePlan Samplan wrote: an LSS individual plan has no Inera category, only the
        # plan-type extension, and must come back as an LSS plan, not as a SIP.
        ([], [{"system": PLAN_TYPE_SYSTEM, "code": "IP"}], "IP"),
        # Another system's CarePlan coded with Inera's code system only.
        ([{"system": vocabulary.INERA_CAREPLAN_TYPE_SYSTEM, "code": "HP"}], [], "HP"),
        # The extension wins over a category.
        (
            [{"system": vocabulary.INERA_CAREPLAN_TYPE_SYSTEM, "code": "SIP"}],
            [{"system": PLAN_TYPE_SYSTEM, "code": "RP"}],
            "RP",
        ),
    ],
)
def test_import_reads_the_plan_type_as_samplan_and_inera_write_it(
    fhir: Callable[..., FhirApi],
    category: list[dict[str, str]],
    extension: list[dict[str, str]],
    expected: str,
) -> None:
    data = _without_consent()
    care_plan = _careplan(data)
    care_plan["category"] = [{"coding": category}] if category else []
    care_plan["extension"] = [
        *care_plan.get("extension", []),
        *({"url": vocabulary.EXT_PLAN_TYPE, "valueCoding": c} for c in extension),
        # What each type asks for besides: an LSS decision, or the plan it completes.
        {"url": vocabulary.EXT_LSS_DECISION_DATE, "valueDate": "2026-01-15"}
        if expected == "IP"
        else {"url": vocabulary.EXT_EXISTING_PLAN, "valueString": "Habiliteringsplan 2025"},
    ]
    status, response = fhir("karin.holm").post(json.dumps(data))
    assert status == 200, response
    plan = Plan.objects.get(pk=int(response["entry"][1]["response"]["location"].split("/")[1]))
    assert plan.plan_type == expected
