"""The access matrix for partial consent (issue 10): Ove's demo plan, its consent narrowed by
the coordinator through the consent service to exclude each kind of information in turn, read
on the web (plan page, version page), over REST (the plan, its version) and over FHIR
(CarePlan, Goal search, $everything, Patient) by the region's participant (omar.haddad,
psychiatry) and by the coordinator (karin.holm, Ekbacka, the lead organisation).

Ove's plan: a social-services intervention of Ekbacka's social psychiatry ("Boendestöd"), a
health-care intervention of the region's psychiatry ("Psykiatrisk behandling"), a need, a goal
and a time plan (the plan's shared content), and Ove's phone number (contact details).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.consent import services as consent_services
from samplan.consent.coverage import active_consent
from samplan.consent.models import InformationKind, information_kind_of
from samplan.directory.models import OrganisationKind, UnitKind
from samplan.plans.models import Plan

pytestmark = pytest.mark.django_db

SOCIAL = "Boendestöd två gånger i veckan"  # Ekbacka, social psychiatry
HEALTH = "Psykiatrisk behandling och läkemedel"  # the region's psychiatry (omar's own)
NEED = "Behöver samordnat stöd för både psykisk ohälsa och missbruk."
GOAL = "Ove får behandling för både psykisk ohälsa och missbruk samtidigt."
TIME_PLAN = "Insatserna startar direkt"

ALL = [str(k) for k in InformationKind]

# What the participant sees with each kind excluded. The region's own (health-care)
# intervention stays visible to the region whatever the consent says.
EXPECTED: dict[str | None, dict[str, bool]] = {
    None: {"social": True, "health": True, "plan": True, "contact": True},
    "health": {"social": True, "health": True, "plan": True, "contact": True},
    "social": {"social": False, "health": True, "plan": True, "contact": True},
    "plan": {"social": True, "health": True, "plan": False, "contact": True},
    "contact": {"social": True, "health": True, "plan": True, "contact": False},
    "school": {"social": True, "health": True, "plan": True, "contact": True},
    "insurance": {"social": True, "health": True, "plan": True, "contact": True},
}
EVERYTHING = EXPECTED[None]


@pytest.fixture
def plan() -> Plan:
    return Plan.objects.select_related("person").get(person__given_name="Ove")


def narrow(plan: Plan, excluded: str | None) -> None:
    """The coordinator records a new consent, as on the consent page, without one kind."""
    karin = Actor.for_user(User.objects.get(username="karin.holm"))
    current = active_consent(plan)
    assert current is not None
    organisations = list(current.organisations.all())  # Ekbacka and the region, as seeded
    consent_services.consent_record(
        actor=karin,
        plan=plan,
        decision="given",
        method="oral",
        organisations=organisations,
        information_kinds=[k for k in ALL if k != excluded],
    )


def token_client(username: str) -> Client:
    _token, clear = api_token_create(user=User.objects.get(username=username))
    return Client(HTTP_AUTHORIZATION=f"Bearer {clear}")


def body(response: Any) -> str:
    """The answer as text, JSON with its non-ASCII letters unescaped."""
    assert response.status_code == 200, response.status_code
    if "json" in response.get("Content-Type", ""):
        return json.dumps(json.loads(response.content), ensure_ascii=False)
    return response.content.decode()


def seen_web(client: Client, plan: Plan) -> str:
    page = client.get(f"/plans/{plan.pk}/")
    assert page.status_code == 200
    return page.content.decode()


def assert_sees(
    text: str, expected: dict[str, bool], *, contact: str | None, goal: str = GOAL
) -> None:
    assert (SOCIAL in text) is expected["social"]
    assert (HEALTH in text) is expected["health"]
    assert (goal in text) is expected["plan"]
    assert (TIME_PLAN in text) is expected["plan"]
    if contact is not None:
        assert (contact in text) is expected["contact"]


READERS: dict[str, Callable[[Client, Client, Plan], str]] = {
    "web plan page": lambda web, api, plan: seen_web(web, plan),
    "web version page": lambda web, api, plan: body(web.get(f"/plans/{plan.pk}/versions/1/")),
    "REST plan": lambda web, api, plan: body(api.get(f"/api/v1/plans/{plan.pk}")),
    "REST version": lambda web, api, plan: body(api.get(f"/api/v1/plans/{plan.pk}/versions/1")),
    "FHIR CarePlan": lambda web, api, plan: body(api.get(f"/fhir/CarePlan/{plan.pk}")),
    "FHIR CarePlan version": lambda web, api, plan: body(api.get(f"/fhir/CarePlan/{plan.pk}-v1")),
    "FHIR $everything": lambda web, api, plan: body(
        api.get(f"/fhir/CarePlan/{plan.pk}/$everything")
    ),
}
# The live FHIR CarePlan refers to its goals (Goal/{id}) rather than holding their text.
GOAL_MARKER = {"FHIR CarePlan": '"reference": "Goal/'}
# Which readers carry the person's contact details.
WITH_CONTACT = {"web plan page", "FHIR $everything"}


@pytest.mark.parametrize("excluded", list(EXPECTED))
@pytest.mark.parametrize("reader", list(READERS))
def test_partial_consent_matrix(plan: Plan, login, excluded: str | None, reader: str) -> None:
    narrow(plan, excluded)
    phone = plan.person.phone
    assert phone
    read = READERS[reader]
    participant = read(login("omar.haddad"), token_client("omar.haddad"), plan)
    goal = GOAL_MARKER.get(reader, GOAL)
    contact = phone if reader in WITH_CONTACT else None
    assert_sees(participant, EXPECTED[excluded], contact=contact, goal=goal)
    assert (TIME_PLAN in participant) is EXPECTED[excluded]["plan"]
    if reader in ("web plan page", "REST plan"):
        assert (NEED in participant) is EXPECTED[excluded]["plan"]
    # The coordinator, of the lead organisation, sees everything whatever the consent holds.
    coordinator = read(login("karin.holm"), token_client("karin.holm"), plan)
    assert_sees(coordinator, EVERYTHING, contact=contact, goal=goal)


@pytest.mark.parametrize("excluded", list(EXPECTED))
def test_fhir_goal_search_and_patient(plan: Plan, excluded: str | None) -> None:
    narrow(plan, excluded)
    expected = EXPECTED[excluded]
    omar = token_client("omar.haddad")
    goals = body(omar.get(f"/fhir/Goal?patient={plan.person_id}"))
    assert (GOAL in goals) is expected["plan"]
    patient = body(omar.get(f"/fhir/Patient/{plan.person_id}"))
    assert (plan.person.phone in patient) is expected["contact"]
    karin = token_client("karin.holm")
    assert plan.person.phone in body(karin.get(f"/fhir/Patient/{plan.person_id}"))
    assert GOAL in body(karin.get(f"/fhir/Goal?patient={plan.person_id}"))


@pytest.mark.parametrize("excluded", [None, "contact"])
def test_person_page_contact(plan: Plan, login, excluded: str | None) -> None:
    narrow(plan, excluded)
    page = login("omar.haddad").get(f"/persons/{plan.person_id}/")
    assert page.status_code == 200
    assert (plan.person.phone in page.content.decode()) is (excluded is None)
    omar = Actor.for_user(User.objects.get(username="omar.haddad"))
    assert authz.can(omar, authz.Action.PERSON_VIEW_CONTACT, plan.person) is (excluded is None)


def test_narrowing_takes_effect_on_the_next_request(plan: Plan, login) -> None:
    client = login("omar.haddad")
    assert SOCIAL in seen_web(client, plan)
    narrow(plan, "social")
    assert SOCIAL not in seen_web(client, plan)
    narrow(plan, None)
    assert SOCIAL in seen_web(client, plan)


def test_kinds_cost_one_query_and_none_for_the_coordinator(plan: Plan) -> None:
    omar = Actor.for_user(User.objects.get(username="omar.haddad"))
    karin = Actor.for_user(User.objects.get(username="karin.holm"))
    narrow(plan, "social")
    with CaptureQueriesContext(connection) as queries:
        kinds = authz.information_kinds_for(omar, plan)
    assert len(queries) == 1
    assert InformationKind.SOCIAL not in kinds
    with CaptureQueriesContext(connection) as queries:
        assert authz.information_kinds_for(karin, plan) == authz.ALL_INFORMATION_KINDS
    assert len(queries) == 0


@pytest.mark.parametrize(
    ("organisation", "unit", "kind"),
    [
        (OrganisationKind.REGION, UnitKind.PSYCHIATRY, InformationKind.HEALTH),
        (OrganisationKind.REGION, UnitKind.ADDICTION, InformationKind.HEALTH),
        (OrganisationKind.MUNICIPALITY, UnitKind.ADDICTION, InformationKind.SOCIAL),
        (OrganisationKind.MUNICIPALITY, UnitKind.SOCIAL_PSYCHIATRY, InformationKind.SOCIAL),
        (OrganisationKind.MUNICIPALITY, UnitKind.PRIMARY_CARE, InformationKind.HEALTH),
        (OrganisationKind.SCHOOL, UnitKind.SCHOOL, InformationKind.SCHOOL),
        (OrganisationKind.STATE_AGENCY, UnitKind.SOCIAL_INSURANCE, InformationKind.INSURANCE),
        (OrganisationKind.STATE_AGENCY, UnitKind.EMPLOYMENT, InformationKind.PLAN),
        (OrganisationKind.REGION, None, InformationKind.HEALTH),
        (OrganisationKind.MUNICIPALITY, None, InformationKind.SOCIAL),
        (OrganisationKind.PRIVATE_PROVIDER, UnitKind.OTHER, InformationKind.PLAN),
    ],
)
def test_information_kind_of(organisation: str, unit: str | None, kind: str) -> None:
    assert information_kind_of(organisation_kind=organisation, unit_kind=unit) == kind


def test_the_plan_page_says_when_the_consent_leaves_something_out(plan: Plan) -> None:
    """The participant is told that the page is not the whole plan; the coordinator, who sees
    everything, is not."""
    from django.urls import reverse

    from samplan.accounts.models import User

    notice = "Personens samtycke omfattar inte alla uppgifter i planen"
    omar, karin = Client(), Client()
    omar.force_login(User.objects.get(username="omar.haddad"))
    karin.force_login(User.objects.get(username="karin.holm"))
    url = reverse("plan_detail", args=[plan.pk])
    narrow(plan, None)  # every kind of information
    assert notice not in omar.get(url).content.decode()
    narrow(plan, "contact")
    assert notice in omar.get(url).content.decode()
    assert notice not in karin.get(url).content.decode()
