"""A real FHIR client (SMART on FHIR's fhirclient, not Samplan's code) against a running
server: it reads the capability statement, searches and reads CarePlans, and gets the same
answers as the pages give the same user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from fhirclient import client as smart_client
from fhirclient.models.careplan import CarePlan
from fhirclient.models.patient import Patient
from fhirclient.server import FHIRNotFoundException, FHIRUnauthorizedException

from samplan.accounts.models import User
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.fhir.vocabulary import careplan_status
from samplan.plans.models import Plan

pytestmark = pytest.mark.django_db


def connect(base: str, token: str | None) -> Any:
    fhir = smart_client.FHIRClient(settings={"app_id": "samplan-test", "api_base": base})
    if token:
        fhir.server.session.headers["Authorization"] = f"Bearer {token}"
    fhir.prepare()  # reads /metadata with the client's own R4 models
    return fhir


def test_fhirclient_sees_what_the_pages_show(
    fhir_server: str,
    token_for: Callable[[str], str],
    client: Client,
    ove_plan: Plan,
) -> None:
    fhir = connect(fhir_server, token_for("karin.holm"))
    statement = fhir.server.capabilityStatement
    assert statement.fhirVersion == "4.0.1"
    assert "CarePlan" in {r.type for r in statement.rest[0].resource}

    # Search, following the Bundle's next links (the client does this itself).
    search = CarePlan.where(struct={"_count": "2"})
    found = {p.id: p.status for p in search.perform_resources_iter(fhir.server)}

    karin = User.objects.get(username="karin.holm")
    visible = authz.visible_plans(Actor.for_user(karin)).prefetch_related("versions")
    assert found == {str(p.pk): careplan_status(p, bool(p.versions.all())) for p in visible}
    # The pages agree: each plan opens for Karin and shows its state.
    client.force_login(karin)
    for plan in visible:
        page = client.get(plan.get_absolute_url())
        assert page.status_code == 200
        assert plan.get_state_display() in page.content.decode()

    plan = CarePlan.read(str(ove_plan.pk), fhir.server)
    assert plan.status == "active"
    assert plan.subject.reference == f"Patient/{ove_plan.person_id}"
    assert plan.replaces[0].reference == f"CarePlan/{ove_plan.pk}-v1"
    person = Patient.read(str(ove_plan.person_id), fhir.server)
    assert person.identifier[0].system == "http://electronichealth.se/identifier/personnummer"
    by_patient = CarePlan.where(struct={"patient": f"Patient/{ove_plan.person_id}"})
    assert [p.id for p in by_patient.perform_resources_iter(fhir.server)] == [str(ove_plan.pk)]


def test_fhirclient_for_another_municipality(
    fhir_server: str, token_for: Callable[[str], str], client: Client, ove_plan: Plan
) -> None:
    fhir = connect(fhir_server, token_for("johan.dahl"))
    with pytest.raises(FHIRNotFoundException):
        CarePlan.read(str(ove_plan.pk), fhir.server)
    search = CarePlan.where(struct={"patient": str(ove_plan.person_id)})
    assert list(search.perform_resources_iter(fhir.server)) == []
    client.force_login(User.objects.get(username="johan.dahl"))
    assert client.get(ove_plan.get_absolute_url()).status_code == 404

    anonymous = connect(fhir_server, None)
    with pytest.raises(FHIRUnauthorizedException):
        CarePlan.read(str(ove_plan.pk), anonymous.server)
