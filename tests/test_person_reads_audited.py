"""Every person shown by a registry search, in the web, REST and FHIR, has an audit event for
that actor in the same request (the response's X-Request-ID), so that each read is in the
person's log extract and in the log review's flags."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.audit.models import AuditEvent
from samplan.directory.models import Person

pytestmark = pytest.mark.django_db

NURSE = "sara.lind"  # the region's psychiatry: takes part in several plans


def audited_persons(response: Any) -> set[int]:
    return set(
        AuditEvent.objects.filter(
            request_id=response["X-Request-ID"], actor__username=NURSE, outcome="ok"
        ).values_list("person_id", flat=True)
    )


def bearer() -> dict[str, str]:
    _token, clear = api_token_create(user=User.objects.get(username=NURSE))
    return {"Authorization": f"Bearer {clear}"}


def test_web_person_search() -> None:
    client = Client()
    client.force_login(User.objects.get(username=NURSE))
    response = client.post(reverse("person_search"), {"q": "de"})
    shown = {p.pk for p in response.context["results"]}
    assert shown
    assert audited_persons(response) == shown


def test_rest_person_search() -> None:
    response = Client().post(
        "/api/v1/persons/search",
        data=json.dumps({"query": "de"}),
        content_type="application/json",
        headers=bearer(),
    )
    shown = {p["id"] for p in response.json()}
    assert shown
    assert audited_persons(response) == shown


@pytest.mark.parametrize(
    "query",
    [
        "Patient?_id={ids}",
        "CarePlan?_count=50",
        "Goal?_count=50",
        "Consent?_count=50",
        "CareTeam?_count=50",
    ],
)
def test_fhir_searches(query: str) -> None:
    ids = ",".join(str(pk) for pk in Person.objects.values_list("pk", flat=True))
    response = Client().get(
        "/fhir/" + query.format(ids=ids), headers={**bearer(), "Accept": "application/fhir+json"}
    )
    assert response.status_code == 200
    shown: set[int] = set()
    for entry in response.json().get("entry", []):
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            shown.add(int(resource["id"]))
        for key in ("subject", "patient"):
            ref = resource.get(key, {}).get("reference", "")
            if ref.startswith("Patient/"):
                shown.add(int(ref.removeprefix("Patient/")))
        for participant in resource.get("participant", []):
            ref = participant.get("actor", {}).get("reference", "")
            if ref.startswith("Patient/"):
                shown.add(int(ref.removeprefix("Patient/")))
    assert shown
    assert audited_persons(response) == shown
