"""Inera's care-plan profile through HTTP (issue 14): the live CarePlan says approvedForPatient
as the person's approval of its newest version has it, on a read by id, in a search and in
$everything; and the category search parameter takes Inera's TypeOfCarePlanCS as well as
Samplan's plan types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from samplan.directory.models import Membership
from samplan.fhir import vocabulary
from samplan.plans.models import PLAN_TYPE_SYSTEM, Plan, PlanState, PlanType, PlanVersion
from tests.fhir.conftest import FhirApi, entries

pytestmark = pytest.mark.django_db

NO_PATIENT = {"system": vocabulary.ACT_CODE_SYSTEM, "code": "NOPATIENT"}


def _approved_for_patient(resource: dict[str, Any]) -> bool:
    (extension,) = [
        e for e in resource["extension"] if e["url"] == vocabulary.EXT_APPROVED_FOR_PATIENT
    ]
    value: bool = extension["valueBoolean"]
    return value


def _security(resource: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"system": s["system"], "code": s["code"]} for s in resource["meta"].get("security", [])
    ]


def _live_plans(api: FhirApi, plan: Plan) -> list[dict[str, Any]]:
    """The live plan as a read by id, a search and $everything give it."""
    _s, read = api.get(f"CarePlan/{plan.pk}")
    _s, bundle = api.get("CarePlan", {"_id": str(plan.pk)})
    (found,) = entries(bundle, "CarePlan")
    _s, everything = api.get(f"CarePlan/{plan.pk}/$everything")
    (live,) = [r for r in entries(everything, "CarePlan") if r["id"] == str(plan.pk)]
    return [read, found, live]


def test_the_live_plan_is_approved_for_the_patient_when_the_newest_version_is(
    fhir: Callable[..., FhirApi], ove_plan: Plan
) -> None:
    assert ove_plan.state == PlanState.ESTABLISHED
    api = fhir("karin.holm")
    newest = PlanVersion.objects.filter(plan=ove_plan).order_by("-number").first()
    assert newest is not None
    assert newest.approved_at is None

    for resource in _live_plans(api, ove_plan):
        assert _approved_for_patient(resource) is False
        assert NO_PATIENT in _security(resource)

    newest.approved_at = timezone.now()
    newest.save(update_fields=["approved_at"])
    for resource in _live_plans(api, ove_plan):
        assert _approved_for_patient(resource) is True
        assert NO_PATIENT not in _security(resource)

    # A newer version the person has not approved: the older approval no longer speaks for
    # the live plan.
    PlanVersion.objects.create(
        plan=ove_plan,
        number=newest.number + 1,
        content=newest.content,
        established_at=timezone.now(),
        established_by=newest.established_by,
    )
    for resource in _live_plans(api, ove_plan):
        assert _approved_for_patient(resource) is False
        assert NO_PATIENT in _security(resource)


def test_a_plan_under_revision_is_not_approved_though_its_newest_version_is(
    fhir: Callable[..., FhirApi], ove_plan: Plan
) -> None:
    PlanVersion.objects.filter(plan=ove_plan).update(approved_at=timezone.now())
    Plan.objects.filter(pk=ove_plan.pk).update(state=PlanState.REVISING)
    for resource in _live_plans(fhir("karin.holm"), ove_plan):
        assert _approved_for_patient(resource) is False
        assert NO_PATIENT in _security(resource)


# category ---------------------------------------------------------------------------------


def _reader(fhir: Callable[..., FhirApi], plan: Plan) -> FhirApi:
    """The staff member who started the plan, acting through the unit that started it."""
    membership = Membership.objects.get(user=plan.initiating_user, unit=plan.initiating_unit)
    return fhir(membership.user.username, unit=membership.unit_id)


def _found(api: FhirApi, plan: Plan, category: str) -> bool:
    status, bundle = api.get("CarePlan", {"_id": str(plan.pk), "category": category})
    assert status == 200
    return [r["id"] for r in entries(bundle, "CarePlan")] == [str(plan.pk)]


@pytest.mark.parametrize(
    ("plan_type", "inera_code"),
    [(PlanType.SIP, "SIP"), (PlanType.HABILITATION, "HP"), (PlanType.REHABILITATION, "RP")],
)
def test_category_in_ineras_code_system_finds_the_plans_of_that_type(
    fhir: Callable[..., FhirApi], plan_type: str, inera_code: str
) -> None:
    plan = Plan.objects.filter(plan_type=plan_type).first()
    if plan is None:  # the demo world has no plan of this type: make one of a SIP
        plan = Plan.objects.filter(plan_type=PlanType.SIP).first()
        assert plan is not None
        Plan.objects.filter(pk=plan.pk).update(plan_type=plan_type)
    api = _reader(fhir, plan)
    inera = vocabulary.INERA_CAREPLAN_TYPE_SYSTEM
    assert _found(api, plan, f"{inera}|{inera_code}")
    assert _found(api, plan, f"{PLAN_TYPE_SYSTEM}|{plan_type}")
    assert _found(api, plan, str(plan_type))
    # What the plan says of itself is what finds it.
    _s, body = api.get(f"CarePlan/{plan.pk}")
    assert {"system": inera, "code": inera_code} in [
        {"system": c["system"], "code": c["code"]} for c in body["category"][0]["coding"]
    ]
    # Another type's code, in either system, does not.
    other = "RP" if inera_code != "RP" else "HP"
    assert not _found(api, plan, f"{inera}|{other}")
    assert not _found(api, plan, f"{PLAN_TYPE_SYSTEM}|{other}")


def test_ineras_code_system_has_no_lss_individual_plan(fhir: Callable[..., FhirApi]) -> None:
    lss = Plan.objects.filter(plan_type=PlanType.LSS_IP).first()
    assert lss is not None
    api = _reader(fhir, lss)
    inera = vocabulary.INERA_CAREPLAN_TYPE_SYSTEM
    assert _found(api, lss, "IP")
    assert _found(api, lss, f"{PLAN_TYPE_SYSTEM}|IP")
    # Inera's system has no IP: nothing is found, as for any code no plan carries.
    assert not _found(api, lss, f"{inera}|IP")
    _s, bundle = api.get("CarePlan", {"category": f"{inera}|IP"})
    assert entries(bundle, "CarePlan") == []


def test_a_search_by_ineras_category_finds_all_of_that_type_and_nothing_else(
    fhir: Callable[..., FhirApi], ove_plan: Plan
) -> None:
    api = fhir("karin.holm")
    inera = vocabulary.INERA_CAREPLAN_TYPE_SYSTEM
    _s, by_inera = api.get("CarePlan", {"category": f"{inera}|SIP", "_count": "100"})
    _s, by_samplan = api.get("CarePlan", {"category": f"{PLAN_TYPE_SYSTEM}|SIP", "_count": "100"})
    ids = [r["id"] for r in entries(by_inera, "CarePlan")]
    assert str(ove_plan.pk) in ids
    assert ids == [r["id"] for r in entries(by_samplan, "CarePlan")]
    assert set(
        Plan.objects.filter(pk__in=[int(i) for i in ids]).values_list("plan_type", flat=True)
    ) == {PlanType.SIP}
    # Codes Inera has that no Samplan plan type is, unknown codes and other systems: nothing.
    for category in (f"{inera}|SPU", f"{inera}|sip", "XYZ", "http://example.org/cs|SIP"):
        status, bundle = api.get("CarePlan", {"category": category})
        assert status == 200
        assert entries(bundle, "CarePlan") == []


def test_the_capability_statement_names_ineras_system_for_category(
    fhir: Callable[..., FhirApi],
) -> None:
    _s, body = fhir("karin.holm").get("metadata")
    (careplan,) = [r for r in body["rest"][0]["resource"] if r["type"] == "CarePlan"]
    (category,) = [p for p in careplan["searchParam"] if p["name"] == "category"]
    assert "Inera's TypeOfCarePlanCS" in category["documentation"]
