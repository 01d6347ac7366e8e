"""Reads and searches of every supported type, the mapping and the access rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from samplan.audit.models import AuditEvent, Outcome
from samplan.directory.models import Organisation, Person
from samplan.fhir import vocabulary
from samplan.plans.models import PLAN_TYPE_SYSTEM, Plan, PlanState
from tests.factories import relate
from tests.fhir.conftest import FhirApi, entries

pytestmark = pytest.mark.django_db


def test_metadata_needs_no_token_and_describes_the_server(client: Any) -> None:
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    from tests.fhir.conftest import validate

    validate(body)
    assert body["resourceType"] == "CapabilityStatement"
    assert body["fhirVersion"] == "4.0.1"
    assert "json" in body["format"]
    rest = body["rest"][0]
    assert rest["mode"] == "server"
    assert {"code": "transaction", "documentation": rest["interaction"][0]["documentation"]} in (
        rest["interaction"]
    )
    types = {r["type"]: r for r in rest["resource"]}
    assert set(types) == {
        "Patient",
        "Organization",
        "PractitionerRole",
        "CareTeam",
        "CarePlan",
        "Goal",
        "Consent",
        "Appointment",
        "Subscription",
    }
    subscription = types["Subscription"]
    assert {i["code"] for i in subscription["interaction"]} == {
        "create",
        "read",
        "delete",
        "search-type",
    }
    assert subscription["operation"][0]["name"] == "status"
    careplan = types["CarePlan"]
    assert {i["code"] for i in careplan["interaction"]} == {"read", "search-type"}
    assert {"patient", "status", "date", "_lastUpdated", "_count"} <= {
        p["name"] for p in careplan["searchParam"]
    }
    assert careplan["operation"][0]["name"] == "everything"


def test_everything_but_metadata_needs_a_valid_token(client: Any, ove_plan: Plan) -> None:
    for headers in ({}, {"Authorization": "Bearer spl_nonsense"}, {"Authorization": "Basic x"}):
        response = client.get(f"/fhir/CarePlan/{ove_plan.pk}", headers=headers)
        assert response.status_code == 401
        assert response.json()["resourceType"] == "OperationOutcome"
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert client.post("/fhir/", "{}", content_type="application/fhir+json").status_code == 401


def test_read_careplan_of_an_established_plan(fhir: Callable[..., FhirApi], ove_plan: Plan) -> None:
    status, body = fhir("karin.holm").get(f"CarePlan/{ove_plan.pk}")
    assert status == 200
    assert body["status"] == "active"
    assert body["intent"] == "plan"
    # Inera's type of care plan first, Samplan's own plan type as a second coding.
    assert body["category"][0]["coding"] == [
        {
            "system": "https://fhir.inera.se/CodeSystem/typeofcareplan-cs",
            "code": "SIP",
            "display": "Samordnad individuell plan",
        },
        {
            "system": PLAN_TYPE_SYSTEM,
            "code": "SIP",
            "display": "Samordnad individuell plan (SIP)",
        },
    ]
    assert body["subject"]["reference"] == f"Patient/{ove_plan.person_id}"
    assert body["author"]["reference"] == f"Organization/org-{ove_plan.lead_organisation_id}"
    assert body["careTeam"] == [{"reference": f"CareTeam/{ove_plan.pk}"}]
    assert body["replaces"] == [{"reference": f"CarePlan/{ove_plan.pk}-v1"}]
    assert [g["reference"] for g in body["goal"]] == [f"Goal/{g.pk}" for g in ove_plan.goals.all()]
    assert len(body["activity"]) == 2
    performers = {p["reference"] for a in body["activity"] for p in a["detail"]["performer"]}
    assert {
        f"Organization/org-{o}"
        for o in ove_plan.interventions.values_list("responsible_organisation_id", flat=True)
    } <= performers
    assert body["period"]["start"] == ove_plan.initiated_on.isoformat()
    assert datetime.fromisoformat(body["meta"]["lastUpdated"]) == ove_plan.updated_at
    assert AuditEvent.objects.filter(
        action="careplan.fhir_read", person=ove_plan.person, actor__username="karin.holm"
    ).exists()


def test_smoke_each_type(fhir: Callable[..., FhirApi], ove_plan: Plan) -> None:
    api = fhir("karin.holm")
    goal = ove_plan.goals.first()
    consent = ove_plan.consents.first()
    meeting = ove_plan.meetings.first()
    assert goal is not None
    assert consent is not None
    assert meeting is not None
    for path in (
        f"Patient/{ove_plan.person_id}",
        f"Goal/{goal.pk}",
        f"Consent/{consent.pk}",
        f"Appointment/{meeting.pk}",
        f"CareTeam/{ove_plan.pk}",
        f"CarePlan/{ove_plan.pk}-v1",
        f"Organization/org-{ove_plan.lead_organisation_id}",
        f"Organization/unit-{ove_plan.initiating_unit_id}",
    ):
        status, body = api.get(path)
        assert status == 200, (path, body)
    status, body = api.get(f"CarePlan/{ove_plan.pk}/$everything")
    assert status == 200, body


def test_patient_identifiers_use_the_swedish_systems(
    fhir: Callable[..., FhirApi], person: Callable[[str], Person]
) -> None:
    api = fhir("karin.holm")
    expected = {
        "Ove": "http://electronichealth.se/identifier/personnummer",
        "Dmytro": "http://electronichealth.se/identifier/samordningsnummer",
        "Okänd": vocabulary.RESERVE_SYSTEM,
    }
    for given, system in expected.items():
        p = person(given)
        if given != "Ove":
            relate("karin.holm", p)
        status, body = api.get(f"Patient/{p.pk}")
        assert status == 200
        assert body["identifier"][0] == {"use": "official", "system": system, "value": p.identifier}
        assert body["name"][0]["family"] == p.family_name
        status, found = api.get("Patient", {"identifier": f"{system}|{p.identifier}"})
        assert [e["id"] for e in entries(found)] == [str(p.pk)]
    assert AuditEvent.objects.filter(action="patient.fhir_read", person=person("Ove")).exists()


def test_protected_identity_hides_address_and_telecom(
    fhir: Callable[..., FhirApi], person: Callable[[str], Person]
) -> None:
    api = fhir("karin.holm")
    _status, ove = api.get(f"Patient/{person('Ove').pk}")
    assert ove["address"][0]["line"]
    assert ove["telecom"]
    sanna = person("Sanna")
    relate("karin.holm", sanna)
    Person.objects.filter(pk=sanna.pk).update(address="Hemliga vägen 1", phone="070-000 00 00")
    status, body = api.get(f"Patient/{sanna.pk}")
    assert status == 200
    assert "address" not in body
    assert "telecom" not in body
    assert body["meta"]["security"][0]["code"] == "R"
    assert "Hemliga" not in json.dumps(body)


def test_patient_search_needs_a_filter(fhir: Callable[..., FhirApi]) -> None:
    status, body = fhir("karin.holm").get("Patient")
    assert status == 400
    assert body["issue"][0]["expression"] == ["identifier"]


def test_organization_identifiers_and_units(fhir: Callable[..., FhirApi]) -> None:
    region = Organisation.objects.get(name="Region Sjöland")
    Organisation.objects.filter(pk=region.pk).update(hsa_id="SE2321000081-1000")
    api = fhir("karin.holm")
    status, body = api.get(f"Organization/org-{region.pk}")
    assert status == 200
    assert {"use": "official", "system": "urn:oid:2.5.4.97", "value": "232100-0081"} in body[
        "identifier"
    ]
    assert {"system": "urn:oid:1.2.752.29.4.19", "value": "SE2321000081-1000"} in body["identifier"]
    unit = region.units.order_by("pk").first()
    assert unit is not None
    status, body = api.get(f"Organization/unit-{unit.pk}")
    assert body["partOf"]["reference"] == f"Organization/org-{region.pk}"
    _status, found = api.get("Organization", {"identifier": "urn:oid:2.5.4.97|2321000081"})
    assert [e["id"] for e in entries(found)] == [f"org-{region.pk}"]
    _status, parts = api.get("Organization", {"partof": f"Organization/org-{region.pk}"})
    assert {e["id"] for e in entries(parts)} == {f"unit-{u.pk}" for u in region.units.all()}
    # All organisations and units, page by page across both kinds.
    seen: list[str] = []
    status, page = api.get("Organization", {"_count": "4"})
    while True:
        seen += [e["id"] for e in entries(page)]
        url = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
        if url is None:
            break
        status, page = api.get_url(url)
    assert (
        len(seen)
        == len(set(seen))
        == Organisation.objects.count() + sum(o.units.count() for o in Organisation.objects.all())
    )
    assert api.get("Organization/org-999999")[0] == 404


def test_practitioner_role(fhir: Callable[..., FhirApi]) -> None:
    from samplan.directory.models import Membership

    sara = Membership.objects.filter(user__username="sara.lind").order_by("pk").first()
    assert sara is not None
    status, body = fhir("karin.holm").get(f"PractitionerRole/{sara.pk}")
    assert status == 200
    assert body["practitioner"]["display"] == "Sara Lind"
    assert body["practitioner"]["identifier"]["system"] == "urn:oid:1.2.752.29.4.19"
    assert body["code"][0]["coding"][0]["code"] == "nurse"
    assert body["organization"]["reference"] == f"Organization/unit-{sara.unit_id}"
    _status, found = fhir("karin.holm").get(
        "PractitionerRole", {"organization": f"Organization/unit-{sara.unit_id}"}
    )
    assert str(sara.pk) in {e["id"] for e in entries(found)}


def test_goal_consent_appointment_careteam(fhir: Callable[..., FhirApi], ove_plan: Plan) -> None:
    api = fhir("karin.holm")
    goal = ove_plan.goals.get()
    _s, body = api.get(f"Goal/{goal.pk}")
    assert body["description"]["text"] == goal.shared_goal
    assert body["lifecycleStatus"] == "active"
    # The person's own goal: expressed by the person.
    assert body["expressedBy"] == {"reference": f"Patient/{ove_plan.person_id}"}
    assert body["note"][0] == {
        "authorReference": {"reference": f"Patient/{ove_plan.person_id}"},
        "text": "Jag vill slippa bli skickad runt.",
    }
    consent = ove_plan.consents.get()
    _s, body = api.get(f"Consent/{consent.pk}")
    assert body["status"] == "active"
    assert body["scope"]["coding"][0]["code"] == "patient-privacy"
    assert body["patient"]["reference"] == f"Patient/{ove_plan.person_id}"
    assert body["provision"]["type"] == "permit"
    assert {a["reference"]["reference"] for a in body["provision"]["actor"]} == {
        f"Organization/org-{o.pk}" for o in consent.organisations.all()
    }
    meeting = ove_plan.meetings.get()
    _s, body = api.get(f"Appointment/{meeting.pk}")
    assert body["status"] == "fulfilled"
    assert sorted(p["status"] for p in body["participant"]) == ["accepted", "declined"]
    _s, body = api.get(f"CareTeam/{ove_plan.pk}")
    roles = [p["role"][0]["coding"][0]["code"] for p in body["participant"]]
    assert roles[0] == "coordinator"
    assert body["participant"][0]["member"]["display"] == "Karin Holm"
    assert roles.count("participant") == ove_plan.participants.filter(left_at=None).count()
    for rtype in ("Goal", "Consent", "Appointment", "CareTeam", "CarePlan"):
        _s, found = api.get(rtype, {"patient": f"Patient/{ove_plan.person_id}"})
        assert entries(found), rtype
        assert all(e["resourceType"] == rtype for e in entries(found))


def test_careplan_status_follows_the_plan_state(fhir: Callable[..., FhirApi]) -> None:
    def status_of(username: str, plan: Plan) -> str:
        return str(fhir(username).get(f"CarePlan/{plan.pk}")[1]["status"])

    refused = Plan.objects.get(state=PlanState.CLOSED, closure_reason="consent_refused")
    closed = Plan.objects.get(state=PlanState.CLOSED, closure_reason="goals_reached")
    assert status_of("karin.holm", refused) == "revoked"
    assert status_of("johan.dahl", closed) == "completed"
    assert status_of("karin.holm", Plan.objects.get(state=PlanState.PAUSED)) == "on-hold"
    initiated = Plan.objects.filter(
        state=PlanState.INITIATED, initiating_unit__name__contains=("Ekbacka")
    ).first()
    assert initiated is not None
    assert status_of("karin.holm", initiated) == "draft"
    greta = Plan.objects.get(state=PlanState.REVISING)
    assert status_of("nora.wik", greta) == "active"


def test_versions_chain_through_replaces(fhir: Callable[..., FhirApi]) -> None:
    from samplan.authz.actor import Actor
    from samplan.plans import services

    greta = Plan.objects.get(state=PlanState.REVISING)
    nora = Actor.for_user(greta.coordinator)  # type: ignore[arg-type]
    services.follow_up_schedule(
        actor=nora, plan=greta, due_date=timezone.localdate() + timedelta(days=30), what="Läkemedel"
    )
    services.plan_establish(actor=nora, plan=greta)
    api = fhir("nora.wik")
    _s, live = api.get(f"CarePlan/{greta.pk}")
    assert live["replaces"] == [{"reference": f"CarePlan/{greta.pk}-v2"}]
    _s, v2 = api.get(f"CarePlan/{greta.pk}-v2")
    assert v2["status"] == "active"
    assert v2["replaces"] == [{"reference": f"CarePlan/{greta.pk}-v1"}]
    _s, v1 = api.get(f"CarePlan/{greta.pk}-v1")
    assert v1["status"] == "completed"
    assert "replaces" not in v1
    assert v1["contained"][0]["resourceType"] == "Goal"
    assert api.get(f"CarePlan/{greta.pk}-v3")[0] == 404
    # Search returns plans, not their versions.
    _s, found = api.get("CarePlan", {"patient": str(greta.person_id)})
    assert [e["id"] for e in entries(found)] == [str(greta.pk)]


def test_everything_holds_the_plan_and_what_it_points_to(
    fhir: Callable[..., FhirApi], ove_plan: Plan
) -> None:
    status, bundle = fhir("karin.holm").get(f"CarePlan/{ove_plan.pk}/$everything")
    assert status == 200
    assert bundle["type"] == "searchset"
    types = [e["resourceType"] for e in entries(bundle)]
    for rtype in (
        "CarePlan",
        "Patient",
        "Goal",
        "CareTeam",
        "Organization",
        "Consent",
        "Appointment",
    ):
        assert rtype in types, rtype
    ids = {f"{e['resourceType']}/{e['id']}" for e in entries(bundle)}
    # Every reference to an Organization, Goal or CareTeam resolves inside the Bundle.
    text = json.dumps(bundle)
    import re

    for reference in re.findall(r'"reference": ?"((?:Organization|Goal|CareTeam)/[^"]+)"', text):
        assert reference in ids, reference
    assert f"CarePlan/{ove_plan.pk}-v1" in ids
    assert AuditEvent.objects.filter(
        action="plan.fhir_everything", person=ove_plan.person, actor__username="karin.holm"
    ).exists()


# Access ------------------------------------------------------------------------------------


def test_other_municipality_gets_404_and_empty_searches(
    fhir: Callable[..., FhirApi], ove_plan: Plan
) -> None:
    api = fhir("johan.dahl")
    goal = ove_plan.goals.get()
    consent = ove_plan.consents.get()
    meeting = ove_plan.meetings.get()
    for path in (
        f"CarePlan/{ove_plan.pk}",
        f"CarePlan/{ove_plan.pk}-v1",
        f"CarePlan/{ove_plan.pk}/$everything",
        f"CareTeam/{ove_plan.pk}",
        f"Goal/{goal.pk}",
        f"Consent/{consent.pk}",
        f"Appointment/{meeting.pk}",
    ):
        status, body = api.get(path)
        assert status == 404, path
        assert body["resourceType"] == "OperationOutcome"
        assert body == api.get("Goal/987654321")[1]  # the same as for a missing resource
    assert AuditEvent.objects.filter(
        actor__username="johan.dahl", outcome=Outcome.DENIED, action="careplan.fhir_read"
    ).exists()
    before = AuditEvent.objects.count()
    for rtype in ("CarePlan", "Goal", "Consent", "Appointment", "CareTeam"):
        status, bundle = api.get(rtype, {"patient": f"Patient/{ove_plan.person_id}"})
        assert status == 200
        assert bundle["type"] == "searchset"
        assert entries(bundle) == []
    searched = AuditEvent.objects.filter(
        pk__gt=0, actor__username="johan.dahl", person=ove_plan.person
    ).order_by("-pk")[:5]
    assert AuditEvent.objects.count() >= before + 5
    assert {e.action for e in searched} >= {"careplan.fhir_search", "goal.fhir_search"}
    _s, all_plans = api.get("CarePlan", {"_count": "100"})
    assert str(ove_plan.pk) not in {e["id"] for e in entries(all_plans)}


# Search parameters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"foo": "bar"}, "foo"),
        ({"subject": "Patient/1"}, "subject"),
        ({"patient:missing": "true"}, "patient:missing"),
        ({"_count": "0"}, "_count"),
        ({"_count": "101"}, "_count"),
        ({"_count": "ten"}, "_count"),
        ({"_sort": "-date"}, "_sort"),
        ({"_sort": "_lastUpdated"}, "_sort"),
        ({"status": "finished"}, "status"),
        ({"date": "sa2026-01-01"}, "date"),
        ({"date": "2026-13-45"}, "date"),
        ({"_lastUpdated": "ge2026-01-01T10:00:00"}, "_lastUpdated"),
        ({"_cursor": "abc"}, "_cursor"),
        ({"patient": "Group/3"}, "patient"),
        ({"_include": "CarePlan:subject"}, "_include"),
    ],
)
def test_unsupported_or_bad_parameters_are_refused_by_name(
    fhir: Callable[..., FhirApi], params: dict[str, str], name: str
) -> None:
    status, body = fhir("karin.holm").get("CarePlan", params)
    assert status == 400
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["expression"] == [name]
    assert name in body["issue"][0]["diagnostics"]


def test_unknown_types_and_methods(fhir: Callable[..., FhirApi], client: Any) -> None:
    api = fhir("karin.holm")
    assert api.get("Observation")[0] == 404
    assert api.get("Observation/1")[0] == 404
    response = client.delete("/fhir/CarePlan/1", headers=api.headers())
    assert response.status_code == 405
    response = client.get("/fhir/CarePlan", headers={**api.headers(), "Accept": "application/xml"})
    assert response.status_code == 406


def _ids(bundle: dict[str, Any]) -> list[str]:
    return [e["id"] for e in entries(bundle)]


def test_careplan_search_by_status_date_and_last_updated(
    fhir: Callable[..., FhirApi], ove_plan: Plan
) -> None:
    from samplan.accounts.models import User
    from samplan.authz import policy as authz
    from samplan.authz.actor import Actor

    api = fhir("karin.holm")
    visible = authz.visible_plans(Actor.for_user(User.objects.get(username="karin.holm")))
    _s, everything = api.get("CarePlan", {"_count": "100"})
    assert sorted(_ids(everything), key=int) == [
        str(p) for p in visible.order_by("pk").values_list("pk", flat=True)
    ]
    _s, active = api.get("CarePlan", {"status": "active"})
    assert _ids(active) == [str(ove_plan.pk)]
    _s, mixed = api.get("CarePlan", {"status": "active,on-hold", "_count": "100"})
    assert set(_ids(mixed)) == {str(ove_plan.pk), str(visible.get(state=PlanState.PAUSED).pk)}
    # date: the plan period. Ove's plan started 40 days ago and is open.
    started = ove_plan.initiated_on
    _s, found = api.get("CarePlan", {"date": f"le{started.isoformat()}", "_count": "100"})
    assert str(ove_plan.pk) in _ids(found)
    _s, found = api.get("CarePlan", {"date": f"le{(started - timedelta(days=1)).isoformat()}"})
    assert str(ove_plan.pk) not in _ids(found)
    _s, found = api.get("CarePlan", {"date": "ge2099-01-01", "_count": "100"})
    assert str(ove_plan.pk) in _ids(found)  # still open
    closed = visible.get(closure_reason="consent_refused")
    assert str(closed.pk) not in _ids(found)
    # _lastUpdated
    Plan.objects.filter(pk=ove_plan.pk).update(updated_at=timezone.now() + timedelta(days=2))
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    _s, found = api.get("CarePlan", {"_lastUpdated": f"ge{tomorrow}"})
    assert _ids(found) == [str(ove_plan.pk)]
    _s, found = api.get("CarePlan", {"_lastUpdated": f"le{tomorrow}", "_count": "100"})
    assert str(ove_plan.pk) not in _ids(found)
    moment = (timezone.now() + timedelta(days=1)).isoformat()
    _s, found = api.get("CarePlan", {"_lastUpdated": f"gt{moment}"})
    assert _ids(found) == [str(ove_plan.pk)]
