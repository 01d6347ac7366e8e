"""The access matrix of the person registry: every person page, REST operation and FHIR search,
for every kind of user, reading and writing, for a person in both states of protected identity.

F = the full person (identity number shown),
B = the brief view a look-up opens (name and birth year, no identity number),
A = allowed (a write that went through, a form that opens),
D = denied (404, the same as for a person that does not exist), or not in the answer,
L = not signed in (302 to the login page), U = no valid token (401).

Who (demo accounts): the coordinator of Ove's plan (Karin, Ekbacka); a participant in it under
consent (Omar, the region); staff with an open invitation to Liam's meeting (Anna, Ekbacka
LSS); staff of another municipality (Johan); a staff member who looked the person up a moment
ago (Hanna, Försäkringskassan); Ekbacka's registrar; the organisation administrator, the log
reviewer, the system administrator, Ove himself and Greta's son.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.audit.models import AuditEvent
from samplan.authz.actor import Actor
from samplan.directory import services as directory
from samplan.directory.models import LookupReason, Person

pytestmark = pytest.mark.django_db

ACTORS = {
    "anonymous": None,
    "coordinator": "karin.holm",
    "participant": "omar.haddad",
    "invited": "anna.sjoberg",
    "other_org": "johan.dahl",
    "looked_up": "hanna.fors",
    "registrar": "registrator.ekbacka",
    "org_admin": "admin.ekbacka",
    "reviewer": "granskare.ekbacka",
    "superuser": "admin",
    "person": "ove.demosson",
    "representative": "bengt.demosson",
}
PERSONS = ("ove", "ove_protected", "liam")


def cells(**answers: str) -> dict[str, str]:
    """The given answers; D for every other signed-in user, L/U for the anonymous one."""
    return {a: answers.get(a, "D") for a in ACTORS}


# Who has which relation: Ove's plan is coordinated by Karin's unit with Omar's unit taking
# part under consent; Liam's plan has an open invitation to Anna's unit; Ekbacka (the
# registrar's organisation) is in both. Protected identity changes what is shown, not who.
OVE_FULL = cells(coordinator="F", participant="F", registrar="F", looked_up="B")
LIAM_FULL = cells(invited="F", registrar="F", looked_up="B")
READ = {"ove": OVE_FULL, "ove_protected": OVE_FULL, "liam": LIAM_FULL}
OVE_EDIT = cells(coordinator="A", registrar="A")
EDIT = {"ove": OVE_EDIT, "ove_protected": OVE_EDIT, "liam": cells(registrar="A")}
PROTECT = dict.fromkeys(PERSONS, cells(registrar="A"))
OVE_INITIATE = cells(coordinator="A", participant="A", registrar="A", looked_up="A")
INITIATE = {
    "ove": OVE_INITIATE,
    "ove_protected": OVE_INITIATE,
    "liam": cells(invited="A", registrar="A", looked_up="A"),
}
# Reading through the API and FHIR: the full person or nothing (the look-up answer itself is
# the brief view there).
API_READ = {
    p: {a: ("F" if v == "F" else "D") for a, v in table.items()} for p, table in READ.items()
}


@dataclass
class Target:
    person: Person
    representative_id: int | None


def _target(name: str) -> Target:
    given = {"ove": "Ove", "ove_protected": "Ove", "liam": "Liam"}[name]
    person = Person.objects.get(given_name=given)
    if name == "ove_protected":
        Person.objects.filter(pk=person.pk).update(protected_identity=True)
        person.refresh_from_db()
    rep = person.representatives.first()
    return Target(person, rep.pk if rep else None)


def _prepare(actor: str, target: Target) -> None:
    if actor == "looked_up":
        user = User.objects.get(username=ACTORS[actor])
        directory.person_lookup(
            actor=Actor.for_user(user),
            query=directory.LookupQuery(identifier=target.person.identifier),
            reason=LookupReason.START_PLAN,
        )


def _web(actor: str) -> Client:
    client = Client()
    if ACTORS[actor]:
        client.force_login(User.objects.get(username=ACTORS[actor]))
    return client


def _login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def web_read(client: Client, target: Target) -> str:
    response = client.get(reverse("person_detail", args=[target.person.pk]))
    if _login_redirect(response):
        return "L"
    if response.status_code == 404:
        return "D"
    assert response.status_code == 200
    page = response.content.decode()
    assert target.person.given_name in page
    return "F" if target.person.formatted_identifier in page else "B"


def web_form(name: str) -> Callable[[Client, Target], str]:
    def answer(client: Client, target: Target) -> str:
        response = client.get(reverse(name, args=[target.person.pk]))
        if _login_redirect(response):
            return "L"
        return {200: "A", 404: "D"}[response.status_code]

    return answer


def web_edit_post(client: Client, target: Target) -> str:
    """A write: the family name changed, or nothing did."""
    person = target.person
    response = client.post(
        reverse("person_edit", args=[person.pk]),
        {
            "identifier_kind": person.identifier_kind,
            "identifier": person.formatted_identifier,
            "given_name": person.given_name,
            "family_name": "Ändradsson",
            "preferred_language": "sv",
        },
    )
    changed = Person.objects.get(pk=person.pk).family_name == "Ändradsson"
    if _login_redirect(response):
        assert not changed
        return "L"
    if response.status_code == 404:
        assert not changed
        return "D"
    assert response.status_code == 302, response.status_code
    assert changed
    # A plain edit never changes protected identity, whatever the form left out.
    assert Person.objects.get(pk=person.pk).protected_identity == person.protected_identity
    return "A"


def web_representative_post(client: Client, target: Target) -> str:
    """A write: a representative with the right to see the plan added, or nothing."""
    person = target.person
    before = person.representatives.count()
    response = client.post(
        reverse("representative_create", args=[person.pk]),
        {"kind": "next_of_kin", "name": "Nils Nyfiken", "may_see_plan": "on"},
    )
    added = person.representatives.count() - before
    if _login_redirect(response):
        assert added == 0
        return "L"
    if response.status_code == 404:
        assert added == 0
        return "D"
    assert response.status_code == 302
    assert added == 1
    return "A"


def _token(actor: str) -> dict[str, str]:
    if not ACTORS[actor]:
        return {}
    _t, clear = api_token_create(user=User.objects.get(username=ACTORS[actor]))
    return {"Authorization": f"Bearer {clear}"}


def rest_read(client: Client, actor: str, target: Target) -> str:
    response = client.get(f"/api/v1/persons/{target.person.pk}", headers=_token(actor))
    if response.status_code == 401:
        return "U"
    if response.status_code == 404:
        return "D"
    assert response.status_code == 200
    body = response.json()
    assert body["identifier"] == target.person.identifier
    if target.person.protected_identity:
        assert body["address"] is None
    return "F"


def rest_search(client: Client, actor: str, target: Target) -> str:
    response = client.post(
        "/api/v1/persons/search",
        data=json.dumps({"query": target.person.family_name[:3]}),
        content_type="application/json",
        headers=_token(actor),
    )
    if response.status_code == 401:
        return "U"
    if response.status_code == 404:
        return "D"
    assert response.status_code == 200
    return "F" if target.person.pk in {p["id"] for p in response.json()} else "D"


def fhir_answer(path: str) -> Callable[[Client, str, Target], str]:
    def answer(client: Client, actor: str, target: Target) -> str:
        p = target.person
        url = "/fhir/" + path.format(id=p.pk, ids=f"{p.pk},1,2,3,4,5", number=p.identifier)
        response = client.get(url, headers={**_token(actor), "Accept": "application/fhir+json"})
        if response.status_code == 401:
            return "U"
        if response.status_code == 404:
            return "D"
        assert response.status_code == 200, response.status_code
        body = response.json()
        resources = (
            [e["resource"] for e in body.get("entry", [])]
            if body["resourceType"] == "Bundle"
            else [body]
        )
        ids = {r["id"] for r in resources}
        if p.protected_identity:
            assert all("address" not in r for r in resources if r["id"] == str(p.pk))
        return "F" if str(p.pk) in ids else "D"

    return answer


WEB = {
    "person_detail": (READ, lambda c, a, t: web_read(c, t)),
    "person_edit (form)": (EDIT, lambda c, a, t: web_form("person_edit")(c, t)),
    "person_edit (save)": (EDIT, lambda c, a, t: web_edit_post(c, t)),
    "representative_create (form)": (EDIT, lambda c, a, t: web_form("representative_create")(c, t)),
    "representative_create (save)": (EDIT, lambda c, a, t: web_representative_post(c, t)),
    "person_protect": (PROTECT, lambda c, a, t: web_form("person_protect")(c, t)),
    "plan_initiate": (INITIATE, lambda c, a, t: web_form("plan_initiate")(c, t)),
}
API = {
    "GET /api/v1/persons/{id}": (API_READ, rest_read),
    "POST /api/v1/persons/search": (API_READ, rest_search),
    "GET /fhir/Patient/{id}": (API_READ, fhir_answer("Patient/{id}")),
    "GET /fhir/Patient?_id=": (API_READ, fhir_answer("Patient?_id={ids}")),
    "GET /fhir/Patient?identifier=": (
        API_READ,
        fhir_answer(
            "Patient?identifier=http://electronichealth.se/identifier/personnummer|{number}"
        ),
    ),
}


def _expected(table: dict[str, dict[str, str]], person: str, actor: str, anonymous: str) -> str:
    return anonymous if actor == "anonymous" else table[person][actor]


@pytest.mark.parametrize(
    ("operation", "person", "actor"),
    [(op, p, a) for op in WEB for p in PERSONS for a in ACTORS],
)
def test_web(operation: str, person: str, actor: str) -> None:
    table, run = WEB[operation]
    target = _target(person)
    _prepare(actor, target)
    got = run(_web(actor), actor, target)
    assert got == _expected(table, person, actor, "L"), (operation, person, actor)


@pytest.mark.parametrize(
    ("operation", "person", "actor"),
    [(op, p, a) for op in API for p in PERSONS for a in ACTORS],
)
def test_api_and_fhir(operation: str, person: str, actor: str) -> None:
    table, run = API[operation]
    target = _target(person)
    _prepare(actor, target)
    got = run(Client(), actor, target)
    assert got == _expected(table, person, actor, "U"), (operation, person, actor)


def test_look_up_answers_only_what_is_needed_and_is_audited_with_its_reason() -> None:
    ove = Person.objects.get(given_name="Ove")
    client = Client()
    headers = _token("looked_up")
    response = client.post(
        "/api/v1/persons/lookup",
        data=json.dumps({"reason": "start_plan", "identifier": ove.formatted_identifier}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200
    assert response.json() == {
        "found": True,
        "person": {
            "id": ove.pk,
            "given_name": "Ove",
            "family_name": "Demosson",
            "birth_year": 1979,
            "protected_identity": False,
        },
    }
    event = AuditEvent.objects.get(action="person.lookup", actor__username="hanna.fors")
    assert event.person == ove
    assert event.detail["reason"] == "start_plan"
    assert event.ground == str(LookupReason.START_PLAN.label)
    # A fragment is no look-up: refused next to the field, audited, nothing opened.
    fragment = client.post(
        "/api/v1/persons/lookup",
        data=json.dumps({"reason": "start_plan", "identifier": ove.identifier[:6]}),
        content_type="application/json",
        headers=headers,
    )
    assert fragment.status_code == 400
    assert "identifier" in fragment.json()["errors"]
    assert AuditEvent.objects.filter(
        action__contains="lookup", outcome="invalid", actor__username="hanna.fors"
    ).exists()
    # A name without a birth date, or a person with a personnummer by name: nothing found.
    by_name = client.post(
        "/api/v1/persons/lookup",
        data=json.dumps(
            {
                "reason": "start_plan",
                "given_name": "Ove",
                "family_name": "Demosson",
                "birth_date": "1979-04-17",
            }
        ),
        content_type="application/json",
        headers=headers,
    )
    assert by_name.status_code == 200
    assert by_name.json() == {"found": False, "person": None}
