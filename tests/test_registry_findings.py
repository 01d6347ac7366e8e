"""Regression tests for what an outsider with a staff account found in the person registry
(issue 9), in the order it was reported. Each failed before the need-based access model."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.audit.models import AuditEvent
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.directory.models import Person, ProtectedIdentityChange
from samplan.plans.models import Plan

pytestmark = pytest.mark.django_db


def person(given: str) -> Person:
    return Person.objects.get(given_name=given)


def bearer(username: str) -> dict[str, str]:
    _token, clear = api_token_create(user=User.objects.get(username=username))
    return {"Authorization": f"Bearer {clear}"}


def edit_form(p: Person, **overrides: str) -> dict[str, str]:
    data = {
        "identifier_kind": p.identifier_kind,
        "identifier": p.formatted_identifier,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "preferred_language": "sv",
    }
    data.update(overrides)
    return data


# 1. Protected identity can be removed by anyone ----------------------------------------------


def test_outsider_cannot_remove_protected_identity_by_posting_the_edit_form(
    login: Callable[[str], Client],
) -> None:
    ove = person("Ove")
    Person.objects.filter(pk=ove.pk).update(protected_identity=True, address="Hemlig väg 2")
    client = login("hanna.fors")  # Försäkringskassan, in no plan of Ove's
    response = client.post(reverse("person_edit", args=[ove.pk]), edit_form(ove))
    assert response.status_code == 404
    ove.refresh_from_db()
    assert ove.protected_identity
    assert AuditEvent.objects.filter(
        actor__username="hanna.fors", outcome="denied", action="person.view"
    ).exists()


def test_even_the_coordinator_cannot_remove_it_with_the_edit_form(
    login: Callable[[str], Client],
) -> None:
    ove = person("Ove")
    Person.objects.filter(pk=ove.pk).update(protected_identity=True)
    client = login("karin.holm")
    edit = client.get(reverse("person_edit", args=[ove.pk])).content.decode()
    assert 'name="protected_identity"' not in edit
    response = client.post(reverse("person_edit", args=[ove.pk]), edit_form(ove, phone="070-1"))
    assert response.status_code == 302
    ove.refresh_from_db()
    assert ove.protected_identity


def test_registrar_sets_and_removes_protected_identity_with_a_reason_shown_on_the_page(
    login: Callable[[str], Client],
) -> None:
    ove = person("Ove")
    client = login("registrator.ekbacka")
    url = reverse("person_protect", args=[ove.pk])
    # No reason: refused next to the field, nothing changed, audited as bad input.
    refused = client.post(url, {"protected": "on", "reason": "  "})
    assert refused.status_code == 400
    assert "reason" in refused.context["form"].errors
    ove.refresh_from_db()
    assert not ove.protected_identity
    assert AuditEvent.objects.filter(
        action="person.protected_identity", outcome="invalid", person=ove
    ).exists()
    response = client.post(url, {"protected": "on", "reason": "Beslut från Skatteverket"})
    assert response.status_code == 302
    ove.refresh_from_db()
    assert ove.protected_identity
    change = ProtectedIdentityChange.objects.get(person=ove)
    assert change.reason == "Beslut från Skatteverket"
    assert change.changed_by is not None
    assert change.changed_by.username == "registrator.ekbacka"
    event = AuditEvent.objects.get(action="person.protected_identity", outcome="ok")
    assert event.person == ove
    assert event.detail == {"protected": True, "change": change.pk}
    # The coordinator sees the change and its reason on the person's page.
    page = login("karin.holm").get(ove.get_absolute_url()).content.decode()
    assert "Beslut från Skatteverket" in page
    assert "Rut Register" in page


def test_a_staff_member_cannot_register_a_person_as_protected() -> None:
    from django.core.exceptions import ValidationError

    from samplan.directory import services

    karin = Actor.for_user(User.objects.get(username="karin.holm"))
    with pytest.raises(ValidationError) as refused:
        services.person_create(
            actor=karin,
            identifier="19811218-9876",
            given_name="Test",
            family_name="Testsson",
            protected_identity=True,
        )
    assert "protected_identity" in refused.value.message_dict
    assert not Person.objects.filter(identifier="198112189876").exists()


# 2. Any staff member edits any person, and adds a representative who may see the plan --------


def test_outsider_cannot_edit_a_person_or_add_a_representative_who_sees_the_plan(
    login: Callable[[str], Client],
) -> None:
    ove = person("Ove")
    client = login("hanna.fors")
    edit = client.post(
        reverse("person_edit", args=[ove.pk]),
        edit_form(ove, given_name="Ändrad", identifier="19811218-9876"),
    )
    assert edit.status_code == 404
    rep = client.post(
        reverse("representative_create", args=[ove.pk]),
        {"kind": "next_of_kin", "name": "Falsk Närstående", "may_see_plan": "on"},
    )
    assert rep.status_code == 404
    ove.refresh_from_db()
    assert ove.given_name == "Ove"
    assert not ove.representatives.exists()


def test_a_participant_who_is_not_the_coordinator_cannot_edit_registry_data(
    login: Callable[[str], Client],
) -> None:
    ove = person("Ove")
    client = login("omar.haddad")  # the region takes part in Ove's plan; Ekbacka leads it
    assert client.get(ove.get_absolute_url()).status_code == 200
    assert client.post(reverse("person_edit", args=[ove.pk]), edit_form(ove)).status_code == 404


# 3. Any staff member reads any person ---------------------------------------------------------


def test_a_nurse_reads_only_the_persons_her_unit_has_a_relation_with() -> None:
    sara = User.objects.get(username="sara.lind")
    actor = Actor.for_user(sara)
    related = set(authz.visible_persons(actor).values_list("pk", flat=True))
    assert 0 < len(related) < 10
    every = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    client = Client()
    headers = {**bearer("sara.lind"), "Accept": "application/fhir+json"}
    body = client.get(f"/fhir/Patient?_id={','.join(map(str, every))}", headers=headers).json()
    returned = {int(e["resource"]["id"]) for e in body.get("entry", [])}
    assert returned == related
    # One audit event per person returned, each naming the person.
    events = AuditEvent.objects.filter(action="patient.fhir_search", actor=sara)
    assert set(events.values_list("person_id", flat=True)) == related
    unrelated = next(pk for pk in every if pk not in related)
    assert client.get(f"/fhir/Patient/{unrelated}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/persons/{unrelated}", headers=bearer("sara.lind")).status_code == (
        404
    )
    web = Client()
    web.force_login(sara)
    assert web.get(reverse("person_detail", args=[unrelated])).status_code == 404


def test_fhir_include_is_refused_not_followed() -> None:
    ove = person("Ove")
    response = Client().get(
        f"/fhir/CarePlan?patient={ove.pk}&_include=CarePlan:subject",
        headers={**bearer("hanna.fors"), "Accept": "application/fhir+json"},
    )
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


# 4. Browsing the registry ---------------------------------------------------------------------


def test_a_two_letter_fragment_lists_only_related_persons(
    login: Callable[[str], Client],
) -> None:
    sara = User.objects.get(username="sara.lind")
    related = set(authz.visible_persons(Actor.for_user(sara)).values_list("pk", flat=True))
    web = login("sara.lind")
    page = web.post(reverse("person_search"), {"q": "an"})
    shown = {p.pk for p in page.context["results"]}
    assert shown <= related
    api = Client().post(
        "/api/v1/persons/search",
        data=json.dumps({"query": "an"}),
        content_type="application/json",
        headers=bearer("sara.lind"),
    )
    assert {p["id"] for p in api.json()} <= related
    # Many persons in the register match "an"; none outside the relation came back.
    assert Person.objects.filter(given_name__icontains="an").exclude(pk__in=related).exists()


def test_a_look_up_opens_the_brief_view_and_the_start_of_a_plan_only(
    login: Callable[[str], Client],
) -> None:
    greta = person("Greta")
    client = login("hanna.fors")
    assert client.get(greta.get_absolute_url()).status_code == 404
    response = client.post(
        reverse("person_lookup"),
        {"reason": "start_plan", "identifier": greta.formatted_identifier},
    )
    assert response.status_code == 200
    answer = response.content.decode()
    assert "Greta Demosson" in answer
    assert "1941" in answer
    assert greta.formatted_identifier not in answer.replace(
        f'value="{greta.formatted_identifier}"', ""
    )
    brief = client.get(greta.get_absolute_url()).content.decode()
    assert "Greta Demosson" in brief
    assert greta.formatted_identifier not in brief
    assert greta.address not in brief
    assert "Bengt Demosson" not in brief  # representatives are not shown
    # Starting the plan gives the unit its relation: then the person opens in full.
    start = client.post(
        reverse("plan_initiate", args=[greta.pk]),
        {"reasons": ["several_services"], "initiated_by": "staff", "plan_type": "SIP"},
    )
    assert start.status_code == 302
    assert Plan.objects.filter(person=greta, initiating_unit__name__contains="försäkring").exists()
    assert greta.formatted_identifier in client.get(greta.get_absolute_url()).content.decode()


def test_a_look_up_needs_the_whole_number_and_a_reason(login: Callable[[str], Client]) -> None:
    greta = person("Greta")
    client = login("hanna.fors")
    fragment = client.post(
        reverse("person_lookup"), {"reason": "start_plan", "identifier": greta.identifier[:8]}
    )
    assert fragment.status_code == 400
    assert "identifier" in fragment.context["form"].errors
    no_reason = client.post(reverse("person_lookup"), {"identifier": greta.formatted_identifier})
    assert no_reason.status_code == 400
    assert "reason" in no_reason.context["form"].errors
    assert not AuditEvent.objects.filter(action="person.lookup", outcome="ok").filter(
        actor__username="hanna.fors"
    )
    assert (
        AuditEvent.objects.filter(
            action="person.lookup", outcome="invalid", actor__username="hanna.fors"
        ).count()
        == 2
    )
    assert client.get(greta.get_absolute_url()).status_code == 404
