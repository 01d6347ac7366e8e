"""CarePlan and Patient per Inera's national profiles (Inera EHDS Tjänstekontrakt 0.3.1, issue
14): every CarePlan and Patient the server emits for the demo world passes the R4B models and the
profile check (tests/fhir/conformance.py); the checker itself refuses broken resources; and each
element the guide maps (meta.source, identifier, category, approvedForPatient, note, the PDF)
carries what Samplan holds."""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

import samplan
from samplan.core import env
from samplan.directory.models import Membership, Person
from samplan.fhir import mapping, search, vocabulary
from samplan.plans.models import PLAN_TYPE_SYSTEM, Goal, Plan, PlanState, PlanType, PlanVersion
from tests.fhir.conformance import PROFILES, check
from tests.fhir.conftest import FhirApi, entries

pytestmark = pytest.mark.django_db

HSA_ID = "SE0000000000-S0001"


@pytest.fixture(autouse=True)
def _source_hsa_id(settings: Any) -> None:
    settings.FHIR_SOURCE_HSA_ID = HSA_ID


def _extension(resource: dict[str, Any], url: str) -> list[dict[str, Any]]:
    return [e for e in resource.get("extension", []) if e["url"] == url]


def _reader(fhir: Callable[..., FhirApi], plan: Plan) -> FhirApi:
    """The staff member who started the plan, acting through the unit that started it."""
    membership = Membership.objects.get(user=plan.initiating_user, unit=plan.initiating_unit)
    return fhir(membership.user.username, unit=membership.unit_id)


# The checker is not vacuous ---------------------------------------------------------------


def _drop_title(r: dict[str, Any]) -> None:
    del r["title"]


def _foreign_category(r: dict[str, Any]) -> None:
    for coding in r["category"][0]["coding"]:
        coding["system"] = "urn:oid:1.2.752.129.2.2.2.11"


def _category_as_text(r: dict[str, Any]) -> None:
    r["category"] = [{"text": "SIP"}]


def _unknown_status(r: dict[str, Any]) -> None:
    r["status"] = "established"


def _two_authors(r: dict[str, Any]) -> None:
    r["author"] = [r["author"], r["author"]]


def _approval_as_text(r: dict[str, Any]) -> None:
    for e in _extension(r, vocabulary.EXT_APPROVED_FOR_PATIENT):
        e["valueString"] = "ja"
        del e["valueBoolean"]


def _two_approvals(r: dict[str, Any]) -> None:
    r["extension"] += _extension(r, vocabulary.EXT_APPROVED_FOR_PATIENT)


def _subject_not_a_patient(r: dict[str, Any]) -> None:
    r["subject"] = {"reference": "Group/1"}


def _no_profile(r: dict[str, Any]) -> None:
    del r["meta"]["profile"]


def _activity_reference_and_detail(r: dict[str, Any]) -> None:
    r["activity"][0]["reference"] = {"reference": "Appointment/1"}


def _created_not_a_date(r: dict[str, Any]) -> None:
    r["created"] = "igår"


@pytest.mark.parametrize(
    ("breaks", "path"),
    [
        (_drop_title, "CarePlan.title"),
        (_foreign_category, "CarePlan.category"),
        (_category_as_text, "CarePlan.category"),
        (_unknown_status, "CarePlan.status"),
        (_two_authors, "CarePlan.author"),
        (_approval_as_text, "approvedForPatient"),
        (_two_approvals, "approvedForPatient"),
        (_subject_not_a_patient, "CarePlan.subject"),
        (_no_profile, "meta.profile"),
        (_activity_reference_and_detail, "cpl-3"),
        (_created_not_a_date, "CarePlan.created"),
    ],
)
def test_the_checker_refuses_a_broken_careplan(
    fhir: Callable[..., FhirApi],
    ove_plan: Plan,
    breaks: Callable[[dict[str, Any]], None],
    path: str,
) -> None:
    _s, body = fhir("karin.holm").get(f"CarePlan/{ove_plan.pk}")
    assert check(body).ok
    broken = copy.deepcopy(body)
    breaks(broken)
    report = check(broken)
    assert not report.ok
    assert any(path in v for v in report.violations), report.violations


def _patient_without_name_and_birth(r: dict[str, Any]) -> None:
    del r["name"]
    del r["birthDate"]


def _two_personnummer(r: dict[str, Any]) -> None:
    r["identifier"].append(dict(r["identifier"][0], value="191212121212"))


def _personnummer_without_value(r: dict[str, Any]) -> None:
    del r["identifier"][0]["value"]


def _nameless_name(r: dict[str, Any]) -> None:
    r["name"] = [{"use": "official"}]


def _unknown_name_use(r: dict[str, Any]) -> None:
    r["name"][0]["use"] = "formal"


@pytest.mark.parametrize(
    ("breaks", "path"),
    [
        (_patient_without_name_and_birth, "Patient.name"),
        (_patient_without_name_and_birth, "Patient.birthDate"),
        (_two_personnummer, "personnummer"),
        (_personnummer_without_value, "personnummer.value"),
        (_nameless_name, "ips-pat-1"),
        (_unknown_name_use, "Patient.name.use"),
    ],
)
def test_the_checker_refuses_a_broken_patient(
    fhir: Callable[..., FhirApi],
    ove_plan: Plan,
    breaks: Callable[[dict[str, Any]], None],
    path: str,
) -> None:
    _s, body = fhir("karin.holm").get(f"Patient/{ove_plan.person_id}")
    assert check(body).ok
    broken = copy.deepcopy(body)
    breaks(broken)
    report = check(broken)
    assert any(path in v for v in report.violations), report.violations


def test_the_fixture_holds_the_guides_constraints() -> None:
    careplan = {e["path"]: e for e in PROFILES["CarePlan"]["elements"]}
    assert careplan["CarePlan.title"]["min"] == 1
    assert careplan["CarePlan.author"]["max"] == "1"
    assert careplan["CarePlan.category"]["binding"].endswith("typeofcareplan-vs")
    assert PROFILES["CarePlan"]["url"] == vocabulary.INERA_CAREPLAN_PROFILE
    assert PROFILES["Patient"]["url"] == vocabulary.INERA_PATIENT_PROFILE
    (approved,) = PROFILES["CarePlan"]["slices"]
    assert approved["discriminator"] == {"url": vocabulary.EXT_APPROVED_FOR_PATIENT}


# Everything emitted for the demo world conforms ----------------------------------------------

MUST_HAVE = {
    "CarePlan.meta.source",
    "CarePlan.identifier",
    "CarePlan.status",
    "CarePlan.intent",
    "CarePlan.title",
    "CarePlan.subject",
    "CarePlan.created",
    "CarePlan.author",
    "CarePlan.extension:approvedForPatient",
}


def _assert_careplan(resource: dict[str, Any], plan: Plan) -> None:
    report = check(resource)
    assert report.ok, (resource["id"], report.violations)
    assert not MUST_HAVE & set(report.missing_must_support), (resource["id"], report)
    assert resource["meta"]["source"] == f"urn:oid:1.2.752.129.2.1.4.1#{HSA_ID}"
    assert resource["identifier"] == [
        {
            "use": "official",
            "system": vocabulary.CAREPLAN_IDENTIFIER_SYSTEM,
            "value": resource["id"],
        }
    ]
    assert resource["subject"]["identifier"] == {
        "system": vocabulary.PERSONNUMMER_SYSTEM,
        "value": plan.person.identifier,
    }
    (plan_type,) = _extension(resource, vocabulary.EXT_PLAN_TYPE)
    assert plan_type["valueCoding"]["code"] == plan.plan_type


def test_every_careplan_and_patient_of_the_demo_world_conforms(
    fhir: Callable[..., FhirApi],
) -> None:
    states = set()
    versions_seen = 0
    for plan in Plan.objects.select_related("person").order_by("pk"):
        api = _reader(fhir, plan)
        status, live = api.get(f"CarePlan/{plan.pk}")  # R4B and profile: conftest.validate
        assert status == 200, (plan.pk, live)
        _assert_careplan(live, plan)
        states.add(plan.state)
        _s, found = api.get("CarePlan", {"patient": f"Patient/{plan.person_id}"})
        assert plan.pk in {int(r["id"]) for r in entries(found, "CarePlan")}
        for resource in entries(found, "CarePlan"):
            assert check(resource).ok
        for version in plan.versions.all():
            _s, frozen = api.get(f"CarePlan/{plan.pk}-v{version.number}")
            _assert_careplan(frozen, plan)
            versions_seen += 1
        status, bundle = api.get(f"CarePlan/{plan.pk}/$everything")
        assert status == 200
        careplans = entries(bundle, "CarePlan")
        assert len(careplans) == 1 + plan.versions.count()
        for resource in careplans:
            _assert_careplan(resource, plan)
        (patient,) = entries(bundle, "Patient")
        assert check(patient).ok
        _s, patient = api.get(f"Patient/{plan.person_id}")
        assert check(patient).ok
        assert patient["meta"]["profile"] == [vocabulary.INERA_PATIENT_PROFILE]
        assert patient["meta"]["source"] == f"urn:oid:1.2.752.129.2.1.4.1#{HSA_ID}"
    assert states == set(PlanState), "the demo world has a plan in every state"
    assert versions_seen >= 2


def test_metadata_declares_the_profiles(client: Any) -> None:
    body = client.get("/fhir/metadata").json()
    types = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert types["CarePlan"]["supportedProfile"] == [vocabulary.INERA_CAREPLAN_PROFILE]
    assert types["Patient"]["supportedProfile"] == [vocabulary.INERA_PATIENT_PROFILE]
    assert "supportedProfile" not in types["Goal"]
    assert body["implementationGuide"] == [
        "https://fhir.inera.se/ig/ehds-tk/ImplementationGuide/inera.ehds.tk|0.3.1"
    ]


# What each mapped element carries --------------------------------------------------------------


def test_category_is_ineras_plan_type_with_samplans_as_second_coding(
    fhir: Callable[..., FhirApi],
) -> None:
    habilitation = Plan.objects.get(plan_type=PlanType.HABILITATION)
    _s, body = _reader(fhir, habilitation).get(f"CarePlan/{habilitation.pk}")
    (category,) = body["category"]
    assert [(c["system"], c["code"]) for c in category["coding"]] == [
        (vocabulary.INERA_CAREPLAN_TYPE_SYSTEM, "HP"),
        (PLAN_TYPE_SYSTEM, "HP"),
    ]


def test_an_lss_individual_plan_has_no_category_and_says_its_type(
    fhir: Callable[..., FhirApi],
) -> None:
    lss = Plan.objects.get(plan_type=PlanType.LSS_IP)
    _s, body = _reader(fhir, lss).get(f"CarePlan/{lss.pk}")
    assert "category" not in body
    (plan_type,) = _extension(body, vocabulary.EXT_PLAN_TYPE)
    assert plan_type["valueCoding"] == {
        "system": PLAN_TYPE_SYSTEM,
        "code": "IP",
        "display": "Individuell plan enligt LSS 10 §",
    }
    assert body["title"]


def test_meta_source_is_left_out_when_no_hsa_id_is_set(
    fhir: Callable[..., FhirApi], ove_plan: Plan, settings: Any
) -> None:
    settings.FHIR_SOURCE_HSA_ID = ""
    _s, body = fhir("karin.holm").get(f"CarePlan/{ove_plan.pk}")
    assert "source" not in body["meta"]
    assert body["meta"]["profile"] == [vocabulary.INERA_CAREPLAN_PROFILE]


def test_the_source_hsa_id_setting_is_checked() -> None:
    name = "SAMPLAN_FHIR_SOURCE_HSA_ID"
    assert env.read(name, {}) == ""
    assert env.read(name, {name: HSA_ID}) == HSA_ID
    with pytest.raises(env.SettingError, match=name):
        env.read(name, {name: "Samplan"})


def _approved(resource: dict[str, Any]) -> bool:
    (approved,) = _extension(resource, vocabulary.EXT_APPROVED_FOR_PATIENT)
    value: bool = approved["valueBoolean"]
    no_patient = {"system": vocabulary.ACT_CODE_SYSTEM, "code": "NOPATIENT"}
    labels = [
        {"system": s["system"], "code": s["code"]} for s in resource["meta"].get("security", [])
    ]
    assert (no_patient in labels) == (not value)
    return value


def test_a_version_is_approved_for_the_patient_once_the_person_approved_it(
    fhir: Callable[..., FhirApi], ove_plan: Plan
) -> None:
    api = fhir("karin.holm")
    _s, body = api.get(f"CarePlan/{ove_plan.pk}-v1")
    assert _approved(body) is False
    PlanVersion.objects.filter(plan=ove_plan, number=1).update(approved_at=timezone.now())
    _s, body = api.get(f"CarePlan/{ove_plan.pk}-v1")
    assert _approved(body) is True


def test_the_live_plan_is_approved_when_its_newest_version_is_and_nothing_newer_is_drafted(
    ove_plan: Plan,
) -> None:
    plan = search.careplan_rows([Plan.objects.select_related("person").get(pk=ove_plan.pk)])[0]

    def live(state: str, approved: bool) -> bool:
        plan.state = state
        return _approved(
            mapping.care_plan(
                plan,
                goals=[],
                interventions=[],
                needs=[],
                version_numbers=[1],
                newest_version_approved=approved,
            )
        )

    assert live(PlanState.ESTABLISHED, approved=True) is True
    assert live(PlanState.PAUSED, approved=True) is True
    assert live(PlanState.ESTABLISHED, approved=False) is False
    # A revision under way is not what the person approved.
    assert live(PlanState.REVISING, approved=True) is False
    # Without the flag: from an annotation on the plan, or versions prefetched with approved_at.
    plan.state = PlanState.ESTABLISHED

    def build(p: Plan) -> dict[str, Any]:
        return mapping.care_plan(p, goals=[], interventions=[], needs=[], version_numbers=[1])

    assert _approved(build(plan)) is False  # approved_at not loaded
    PlanVersion.objects.filter(plan=ove_plan).update(approved_at=timezone.now())
    prefetched = Plan.objects.prefetch_related("versions").get(pk=plan.pk)
    assert _approved(build(prefetched)) is True
    plan.newest_version_approved = True  # type: ignore[attr-defined]
    assert _approved(build(plan)) is True


def test_the_note_carries_the_content_as_html_escaped(
    fhir: Callable[..., FhirApi], ove_plan: Plan
) -> None:
    goal = Goal.objects.get(plan=ove_plan)
    goal.shared_goal = "Ett mål <b>med</b> & tecken"
    goal.save()
    _s, body = fhir("karin.holm").get(f"CarePlan/{ove_plan.pk}")
    (html,) = [n for n in body["note"] if n.get("extension")]
    assert html["extension"] == [{"url": vocabulary.EXT_MEDIA_TYPE, "valueCode": "text/html"}]
    text = html["text"]
    assert text.startswith("<div><h1>")
    assert "Ett mål &lt;b&gt;med&lt;/b&gt; &amp; tecken" in text
    assert "<h2>Insatser</h2>" in text
    for intervention in ove_plan.interventions.all():
        assert intervention.description.split("\n")[0][:20] in text


def test_the_pdf_is_given_by_reference_to_the_document_endpoint(
    fhir: Callable[..., FhirApi], ove_plan: Plan
) -> None:
    _s, body = fhir("karin.holm").get(f"CarePlan/{ove_plan.pk}")
    (content,) = _extension(body, vocabulary.EXT_CONTENT)
    parts = {e["url"]: e for e in content["extension"]}
    assert parts["mediaType"]["valueCode"] == "application/pdf"
    url = parts["reference"]["valueUrl"]
    assert url == reverse("api:plan_document", kwargs={"plan_id": ove_plan.pk, "kind": "plan"})
    # A draft has no established content to print.
    draft = Plan.objects.filter(state=PlanState.INITIATED).first()
    assert draft is not None
    _s, body = _reader(fhir, draft).get(f"CarePlan/{draft.pk}")
    assert not _extension(body, vocabulary.EXT_CONTENT)


def test_a_patient_without_a_birth_date_says_it_is_unknown(
    fhir: Callable[..., FhirApi], ove_plan: Plan
) -> None:
    Person.objects.filter(pk=ove_plan.person_id).update(birth_date=None)
    _s, body = fhir("karin.holm").get(f"Patient/{ove_plan.person_id}")  # R4B and profile
    assert "birthDate" not in body
    assert body["_birthDate"] == {
        "extension": [{"url": vocabulary.DATA_ABSENT_REASON, "valueCode": "unknown"}]
    }


# JSON written directly (issue 12) ---------------------------------------------------------------


def test_the_fhir_read_path_builds_no_pydantic_models() -> None:
    """fhir.resources validates in the tests; the modules that build what is served do not
    import it (the importer validates incoming Bundles, errors.py builds OperationOutcomes)."""
    package = Path(samplan.__file__).parent / "fhir"
    for name in ("mapping.py", "directory_resources.py", "inera.py", "vocabulary.py", "views.py"):
        tree = ast.parse((package / name).read_text(encoding="utf-8"))
        imported = {
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        } | {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
        assert not {m for m in imported if m.startswith("fhir.resources")}, name
