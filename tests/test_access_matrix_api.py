"""The access matrix of the REST API and the FHIR endpoints: every operation, for every kind of
user (by bearer token), and for own organisation, another organisation, no consent, revoked
consent, the person, a representative. The same users and plans as tests/test_access_matrix.py.

A = allowed (any 2xx; 400 for a body the service refuses; 409 for a step the plan's state
    refuses). For a list or a search, which every signed-in user may call, A means the target
    is in the answer and D that it is not.
D = denied (404: the same answer as for something that does not exist),
U = no valid token (401),
F = forbidden (403): only the FHIR import by a user without a unit, deliberately.

Each request sends a small body that passes the schema, so that the access decision, not a
schema error, decides the answer. An operation in docs/api/openapi.json (or a FHIR endpoint or
resource type) without an entry here fails `test_every_*_has_a_matrix_entry`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern
from django.utils import timezone

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.consent.models import Consent
from samplan.demo.world import person_number
from samplan.directory.models import Membership, Organisation, Person, Unit
from samplan.fhir import urls as fhir_urls
from samplan.fhir import vocabulary
from samplan.fhir.views import RESOURCE_TYPES
from samplan.plans.models import (
    PLAN_TYPE_SYSTEM,
    Invitation,
    InvitationAnswer,
    Plan,
    PlanState,
)

pytestmark = pytest.mark.django_db

SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "api" / "openapi.json"
FHIR_JSON = "application/fhir+json"

# Who: each kind of user, by a demo account (as in tests/test_access_matrix.py).
ACTORS = {
    "anonymous": None,
    "coordinator": "karin.holm",  # Ekbacka, coordinates Ove's plan, initiated the others
    "participant": "omar.haddad",  # region unit taking part in Ove's plan, with consent
    "revoked": "eva.strom",  # region unit that took part in a plan whose consent was revoked
    "other_org": "johan.dahl",  # Strandvik: no part in any of these plans
    "same_org": "anna.sjoberg",  # Ekbacka, but her unit is not in Ove's plan
    "org_admin": "admin.ekbacka",
    "reviewer": "granskare.ekbacka",
    "manager": "chef.ekbacka",  # Ekbacka's manager: the figures, no unit, no plan
    "superuser": "admin",
    "person": "ove.demosson",
    "representative": "bengt.demosson",  # Greta's son: may see her plan (on the pages)
}
STAFF = ("coordinator", "participant", "revoked", "other_org", "same_org")
SIGNED_IN = tuple(a for a in ACTORS if a != "anonymous")
VARIANTS = ("plan", "no_consent", "revoked")

Table = dict[str, str]


def only(*allowed: str) -> Table:
    """Allowed for these, denied (404) for everyone else with a token; 401 without one."""
    return {a: ("U" if a == "anonymous" else "A" if a in allowed else "D") for a in ACTORS}


def everyone() -> Table:
    return dict.fromkeys(ACTORS, "A")


def staff_else_forbidden() -> Table:
    """The FHIR import: staff import; a user without a unit is told 403 (importer.py)."""
    return {a: ("U" if a == "anonymous" else "A" if a in STAFF else "F") for a in ACTORS}


# The rules, per plan variant: before consent only the initiating unit sees its initiative;
# after consent the units taking part whose organisation the consent covers; a revoked consent
# leaves only the initiating unit. The coordinator (or lead organisation, or before either is
# named the initiating unit) edits. Nobody else sees anything of a plan through the API: the
# person's and representative's views are pages, not API or FHIR endpoints.
READ = {
    "plan": only("coordinator", "participant"),
    "no_consent": only("coordinator"),
    "revoked": only("coordinator"),
}
EDIT = {
    "plan": only("coordinator"),
    "no_consent": only("coordinator"),
    "revoked": only("coordinator"),
}
# Things inside a plan: meetings exist in Ove's plan and the revoked one.
MEETING_EDIT = {"plan": only("coordinator"), "revoked": only("coordinator")}
MEETING_READ = {"plan": READ["plan"], "revoked": READ["revoked"]}
ONE = ("",)  # no variants: the operation is about one object
STAFF_ONLY = only(*STAFF)


@dataclass
class World:
    plans: dict[str, Plan]
    ids: dict[str, Any]
    meetings: dict[str, int]  # variant -> a meeting of that plan
    consents: dict[str, int]  # variant -> a consent of that plan
    users: dict[str, User]  # actor -> the demo account


_WORLD: list[World] = []


@pytest.fixture
def world(db: None) -> World:
    """Found once per test process: the demo world is the same in every test (each test's
    changes are rolled back)."""
    if not _WORLD:
        _WORLD.append(_find_world())
    return _WORLD[0]


def _find_world() -> World:
    plan = Plan.objects.get(person__given_name="Ove")
    no_consent = Plan.objects.filter(
        state=PlanState.INITIATED, initiating_unit__name="Socialpsykiatri Ekbacka"
    ).first()
    assert no_consent is not None
    assert not Consent.objects.filter(plan=no_consent).exists()
    revoked = Plan.objects.get(state=PlanState.PAUSED)
    region = Organisation.objects.get(name="Region Sjöland")
    ekbacka = Organisation.objects.get(name="Ekbacka kommun")
    pending = Invitation.objects.get(
        answer=InvitationAnswer.PENDING, unit__name="LSS-handläggning Ekbacka"
    )
    revoked_meeting = revoked.meetings.get()
    ids = {
        "ove": Person.objects.get(given_name="Ove").pk,
        "ekbacka": ekbacka.pk,
        "region": region.pk,
        "ekbacka_unit": Unit.objects.get(name="Socialpsykiatri Ekbacka").pk,
        "psykiatri_unit": Unit.objects.get(name="Öppenpsykiatri Sjöstad").pk,
        "karin_membership": Membership.objects.get(user__username="karin.holm").pk,
        "need": plan.needs.first().pk,  # type: ignore[union-attr]
        "goal": plan.goals.first().pk,  # type: ignore[union-attr]
        "region_intervention": plan.interventions.get(responsible_organisation=region).pk,
        "follow_up": plan.follow_ups.first().pk,  # type: ignore[union-attr]
        "deviation": plan.deviations.get().pk,
        "version": plan.versions.order_by("number").first().number,  # type: ignore[union-attr]
        # Liam's meeting: Ekbacka's LSS unit (Anna's) has not answered yet.
        "pending_invitation": pending.pk,
        # The revoked plan's meeting: addiction care (Eva's unit) had accepted; the revocation
        # cancelled the meeting.
        "revoked_invitation": revoked_meeting.invitations.get(unit__name="Beroendevård Sjöstad").pk,
    }
    return World(
        plans={"plan": plan, "no_consent": no_consent, "revoked": revoked},
        ids=ids,
        meetings={"plan": plan.meetings.get().pk, "revoked": revoked_meeting.pk},
        consents={
            "plan": plan.consents.get().pk,
            "revoked": revoked.consents.get().pk,
        },
        users={a: User.objects.get(username=u) for a, u in ACTORS.items() if u},
    )


# Request bodies: the smallest that pass the schema. -----------------------------------------


def _when(days: int, hours: int = 10) -> str:
    start = timezone.localtime() + timedelta(days=days)
    return start.replace(hour=hours, minute=0, second=0, microsecond=0).isoformat()


NEW_PERSON_NUMBER = person_number(date(1986, 3, 14), 482)


def _meeting_body(w: World, v: str) -> dict[str, Any]:
    return {
        "starts_at": _when(14),
        "ends_at": _when(14, 11),
        "mode": "physical",
        "location": "Kommunhuset",
    }


def _import_bundle() -> dict[str, Any]:
    patient = "urn:uuid:5e1f0a2b-0000-4000-8000-000000000001"
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": patient,
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [
                        {"system": vocabulary.PERSONNUMMER_SYSTEM, "value": NEW_PERSON_NUMBER}
                    ],
                    "name": [{"use": "official", "family": "Matrisson", "given": ["Mia"]}],
                },
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": "urn:uuid:5e1f0a2b-0000-4000-8000-000000000002",
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
                    "subject": {"reference": patient},
                },
                "request": {"method": "POST", "url": "CarePlan"},
            },
        ],
    }


# Operations ---------------------------------------------------------------------------------

Args = Callable[[World, str], dict[str, Any]]
Body = Callable[[World, str], Any]
Found = Callable[[World, str, Any], bool]


@dataclass(frozen=True)
class Op:
    """One operation. `expected` is per variant ("" when the operation has none); `args` fills
    the path's {placeholders}; `found`, for lists and searches, tells whether the target is in
    a 200 answer (A) or not (D)."""

    expected: dict[str, Table]
    args: Args = lambda w, v: {}
    body: Body | None = None
    query: str = ""
    found: Found | None = None
    raw: bool = False  # the body is sent as FHIR JSON (the import)


def one(table: Table) -> dict[str, Table]:
    return {"": table}


def _plan(w: World, v: str) -> dict[str, Any]:
    return {"plan_id": w.plans[v].pk, "id": w.plans[v].pk}


def _plan_listed(w: World, v: str, data: Any) -> bool:
    return w.plans[v].pk in {p["id"] for p in data["items"]}


def _in_bundle(target: Callable[[World, str], str]) -> Found:
    def found(w: World, v: str, bundle: Any) -> bool:
        wanted = target(w, v)
        return any(e["resource"]["id"] == wanted for e in bundle.get("entry", []))

    return found


P = "/api/v1"
YEAR = f"from={date.today() - timedelta(days=365)}&to={date.today()}"
API_OPS: dict[str, Op] = {
    # Public: the schema and its docs page.
    f"GET {P}/openapi.json": Op(one(everyone())),
    f"GET {P}/docs": Op(one(everyone())),
    # The registry: organisations for everyone signed in; persons for staff acting in a unit.
    f"GET {P}/organisations": Op(one(only(*SIGNED_IN))),
    f"GET {P}/organisations/{{organisation_id}}": Op(
        one(only(*SIGNED_IN)), lambda w, v: {"organisation_id": w.ids["ekbacka"]}
    ),
    f"POST {P}/persons/search": Op(one(STAFF_ONLY), body=lambda w, v: {"query": "Demosson"}),
    f"GET {P}/persons/{{person_id}}": Op(
        one(only("coordinator", "participant")), lambda w, v: {"person_id": w.ids["ove"]}
    ),
    f"POST {P}/persons/lookup": Op(
        one(STAFF_ONLY),
        body=lambda w, v: {"reason": "start_plan", "identifier": NEW_PERSON_NUMBER},
    ),
    f"POST {P}/persons": Op(
        one(STAFF_ONLY),
        body=lambda w, v: {
            "identifier": NEW_PERSON_NUMBER,
            "given_name": "Mia",
            "family_name": "Matrisson",
        },
    ),
    f"GET {P}/worklist": Op(one(only(*SIGNED_IN))),  # empty for users without a unit
    # A manager's figures (issue 13): managers only; figures name no one.
    f"GET {P}/statistics/attendance": Op(one(only("manager")), query=YEAR),
    f"GET {P}/statistics": Op(one(only("manager")), query=YEAR),
    # Plans: the list shows exactly the plans the actor may see.
    f"GET {P}/plans": Op(READ, query="limit=100", found=_plan_listed),
    f"POST {P}/plans": Op(
        one(STAFF_ONLY), body=lambda w, v: {"person": w.ids["ove"], "reasons": ["readmission"]}
    ),
    f"GET {P}/plans/{{plan_id}}": Op(READ, _plan),
    # A plan's documents: whoever may read the plan (plain language: quick to make).
    f"GET {P}/plans/{{plan_id}}/documents": Op(READ, _plan),
    f"GET {P}/plans/{{plan_id}}/documents/{{kind}}": Op(
        READ, lambda w, v: {**_plan(w, v), "kind": "plain_language"}
    ),
    f"PATCH {P}/plans/{{plan_id}}": Op(EDIT, _plan, body=lambda w, v: {"title": "Ny titel"}),
    f"POST {P}/plans/{{plan_id}}/consents": Op(
        EDIT,
        _plan,
        body=lambda w, v: {
            "decision": "given",
            "method": "oral",
            "organisations": [w.ids["ekbacka"], w.ids["region"]],
            "information_kinds": ["plan"],
        },
    ),
    f"POST {P}/plans/{{plan_id}}/consents/revoke": Op(EDIT, _plan, body=lambda w, v: {}),
    f"POST {P}/plans/{{plan_id}}/meetings": Op(
        EDIT, _plan, body=lambda w, v: {**_meeting_body(w, v), "units": [w.ids["ekbacka_unit"]]}
    ),
    f"POST {P}/plans/{{plan_id}}/needs": Op(
        EDIT, _plan, body=lambda w, v: {"kind": "need", "description": "Stöd i vardagen"}
    ),
    f"POST {P}/plans/{{plan_id}}/goals": Op(
        EDIT, _plan, body=lambda w, v: {"shared_goal": "Ett eget boende"}
    ),
    f"POST {P}/plans/{{plan_id}}/interventions": Op(
        EDIT,
        _plan,
        body=lambda w, v: {
            "description": "Boendestöd",
            "responsible_organisation": w.ids["ekbacka"],
        },
    ),
    f"POST {P}/plans/{{plan_id}}/follow-ups": Op(
        EDIT, _plan, body=lambda w, v: {"due_date": "2030-01-15", "what": "Hur går det?"}
    ),
    # Anyone who may see the plan may report a deviation.
    f"POST {P}/plans/{{plan_id}}/deviations": Op(
        READ,
        _plan,
        body=lambda w, v: {
            "kind": "other",
            "description": "Något hände inte.",
            "addressed_to": w.ids["ekbacka"],  # takes part in all three plans
        },
    ),
    f"POST {P}/plans/{{plan_id}}/establish": Op(EDIT, _plan),
    f"POST {P}/plans/{{plan_id}}/revise": Op(EDIT, _plan, body=lambda w, v: {"reason": "Ändrat"}),
    f"POST {P}/plans/{{plan_id}}/close": Op(EDIT, _plan, body=lambda w, v: {"reason": "moved"}),
    # Ove's established version.
    f"GET {P}/plans/{{plan_id}}/versions/{{number}}": Op(
        one(READ["plan"]),
        lambda w, v: {"plan_id": w.plans["plan"].pk, "number": w.ids["version"]},
    ),
    f"GET {P}/plans/{{plan_id}}/versions/{{a}}/diff/{{b}}": Op(
        one(READ["plan"]),
        lambda w, v: {"plan_id": w.plans["plan"].pk, "a": w.ids["version"], "b": w.ids["version"]},
    ),
    # Meetings of Ove's plan and of the revoked plan: the plan's editor.
    f"PUT {P}/meetings/{{meeting_id}}": Op(
        MEETING_EDIT, lambda w, v: {"meeting_id": w.meetings[v]}, body=_meeting_body
    ),
    f"POST {P}/meetings/{{meeting_id}}/cancel": Op(
        MEETING_EDIT, lambda w, v: {"meeting_id": w.meetings[v]}, body=lambda w, v: {}
    ),
    f"POST {P}/meetings/{{meeting_id}}/held": Op(
        MEETING_EDIT, lambda w, v: {"meeting_id": w.meetings[v]}, body=lambda w, v: {}
    ),
    # An invitation is answered by staff of the invited unit: Liam's pending one by Anna's
    # unit; the revoked plan's by Eva's unit (whose meeting the revocation cancelled: 409).
    f"POST {P}/invitations/{{invitation_id}}/answer": Op(
        {"pending": only("same_org"), "revoked": only("revoked")},
        lambda w, v: {"invitation_id": w.ids[f"{v}_invitation"]},
        body=lambda w, v: {"answer": "accepted"},
    ),
    # The draft's items in Ove's plan: the coordinator; interventions also by the organisation
    # responsible for them (the region's one: the participant).
    f"PUT {P}/needs/{{need_id}}": Op(
        one(only("coordinator")),
        lambda w, v: {"need_id": w.ids["need"]},
        body=lambda w, v: {"kind": "need", "description": "Ändrat behov"},
    ),
    f"DELETE {P}/needs/{{need_id}}": Op(
        one(only("coordinator")), lambda w, v: {"need_id": w.ids["need"]}
    ),
    f"PUT {P}/goals/{{goal_id}}": Op(
        one(only("coordinator")),
        lambda w, v: {"goal_id": w.ids["goal"]},
        body=lambda w, v: {"shared_goal": "Ändrat mål"},
    ),
    f"DELETE {P}/goals/{{goal_id}}": Op(
        one(only("coordinator")), lambda w, v: {"goal_id": w.ids["goal"]}
    ),
    f"PUT {P}/interventions/{{intervention_id}}": Op(
        one(only("coordinator", "participant")),
        lambda w, v: {"intervention_id": w.ids["region_intervention"]},
        body=lambda w, v: {"description": "Ändrad insats"},
    ),
    f"DELETE {P}/interventions/{{intervention_id}}": Op(
        one(only("coordinator", "participant")),
        lambda w, v: {"intervention_id": w.ids["region_intervention"]},
    ),
    f"POST {P}/follow-ups/{{follow_up_id}}/result": Op(
        one(only("coordinator")),
        lambda w, v: {"follow_up_id": w.ids["follow_up"]},
        body=lambda w, v: {"result": "Det går bra.", "attainment": "partly"},
    ),
    # The deviation is addressed to the region: the region handles it, the coordinator too.
    f"POST {P}/deviations/{{deviation_id}}/status": Op(
        one(only("coordinator", "participant")),
        lambda w, v: {"deviation_id": w.ids["deviation"]},
        body=lambda w, v: {"status": "in_progress"},
    ),
}


def _fhir_plan(w: World, v: str) -> dict[str, Any]:
    return {"id": w.plans[v].pk}


def _plan_id(w: World, v: str) -> str:
    return str(w.plans[v].pk)


F = "/fhir"
FHIR_OPS: dict[str, Op] = {
    f"GET {F}/metadata": Op(one(everyone())),
    # GET on the base is no FHIR interaction (400), but like everything but metadata it needs
    # a token.
    f"GET {F}/": Op(one(only(*SIGNED_IN))),
    f"POST {F}/": Op(one(staff_else_forbidden()), body=lambda w, v: _import_bundle(), raw=True),
    # CarePlan and CareTeam: one per plan, same id.
    f"GET {F}/CarePlan/{{id}}": Op(READ, _fhir_plan),
    f"GET {F}/CarePlan": Op(READ, query="_id={id}", args=_fhir_plan, found=_in_bundle(_plan_id)),
    f"GET {F}/CarePlan/{{id}}-v{{n}}": Op(
        one(READ["plan"]), lambda w, v: {"id": w.plans["plan"].pk, "n": w.ids["version"]}
    ),
    f"GET {F}/CarePlan/{{id}}/$everything": Op(READ, _fhir_plan),
    f"GET {F}/CareTeam/{{id}}": Op(READ, _fhir_plan),
    f"GET {F}/CareTeam": Op(READ, query="_id={id}", args=_fhir_plan, found=_in_bundle(_plan_id)),
    # Goals: Ove's plan has them.
    f"GET {F}/Goal/{{id}}": Op(one(READ["plan"]), lambda w, v: {"id": w.ids["goal"]}),
    f"GET {F}/Goal": Op(
        one(READ["plan"]),
        query="_id={id}",
        args=lambda w, v: {"id": w.ids["goal"]},
        found=_in_bundle(lambda w, v: str(w.ids["goal"])),
    ),
    # Consents: Ove's (given) and the revoked plan's (revoked).
    f"GET {F}/Consent/{{id}}": Op(MEETING_READ, lambda w, v: {"id": w.consents[v]}),
    f"GET {F}/Consent": Op(
        MEETING_READ,
        query="_id={id}",
        args=lambda w, v: {"id": w.consents[v]},
        found=_in_bundle(lambda w, v: str(w.consents[v])),
    ),
    # Appointments: the meetings of Ove's plan and of the revoked one.
    f"GET {F}/Appointment/{{id}}": Op(MEETING_READ, lambda w, v: {"id": w.meetings[v]}),
    f"GET {F}/Appointment": Op(
        MEETING_READ,
        query="_id={id}",
        args=lambda w, v: {"id": w.meetings[v]},
        found=_in_bundle(lambda w, v: str(w.meetings[v])),
    ),
    # Persons: staff whose unit has a relation with the person.
    f"GET {F}/Patient/{{id}}": Op(
        one(only("coordinator", "participant")), lambda w, v: {"id": w.ids["ove"]}
    ),
    f"GET {F}/Patient": Op(
        one(only("coordinator", "participant")),
        query="_id={id}",
        args=lambda w, v: {"id": w.ids["ove"]},
        found=_in_bundle(lambda w, v: str(w.ids["ove"])),
    ),
    # The directory: everyone signed in.
    f"GET {F}/Organization/{{id}}": Op(
        one(only(*SIGNED_IN)), lambda w, v: {"id": f"org-{w.ids['ekbacka']}"}
    ),
    f"GET {F}/Organization": Op(
        one(only(*SIGNED_IN)),
        query="_id={id}",
        args=lambda w, v: {"id": f"unit-{w.ids['ekbacka_unit']}"},
        found=_in_bundle(lambda w, v: f"unit-{w.ids['ekbacka_unit']}"),
    ),
    f"GET {F}/PractitionerRole/{{id}}": Op(
        one(only(*SIGNED_IN)), lambda w, v: {"id": w.ids["karin_membership"]}
    ),
    f"GET {F}/PractitionerRole": Op(
        one(only(*SIGNED_IN)),
        query="_id={id}",
        args=lambda w, v: {"id": w.ids["karin_membership"]},
        found=_in_bundle(lambda w, v: str(w.ids["karin_membership"])),
    ),
}


# FHIR Subscriptions (samplan/fhir/subscriptions.py): staff subscribe (an account without a
# unit is told 403); a subscription is read, asked for its status and deleted by its owner
# only (here the coordinator's).
def _own_subscription(w: World, v: str) -> dict[str, Any]:
    from samplan.subscriptions.models import Subscription

    owner = w.users["coordinator"]
    unit = Membership.objects.filter(user=owner).order_by("pk").first()
    assert unit is not None
    subscription = Subscription.objects.create(
        owner=owner,
        unit_id=unit.unit_id,
        criteria="CarePlan",
        endpoint="http://127.0.0.1:9/notify",
        base_url="http://testserver/fhir/",
    )
    return {"id": subscription.pk}


def _subscription_body(w: World, v: str) -> dict[str, Any]:
    return {
        "resourceType": "Subscription",
        "status": "requested",
        "reason": "Matrix",
        "criteria": "CarePlan",
        "channel": {"type": "rest-hook", "endpoint": "http://127.0.0.1:9/notify"},
    }


def _listed_subscription(w: World, v: str, bundle: Any) -> bool:
    return bool(bundle.get("entry"))


FHIR_OPS |= {
    f"POST {F}/Subscription": Op(one(staff_else_forbidden()), body=_subscription_body, raw=True),
    f"GET {F}/Subscription": Op(
        one(only("coordinator")), _own_subscription, found=_listed_subscription
    ),
    f"GET {F}/Subscription/{{id}}": Op(one(only("coordinator")), _own_subscription),
    f"DELETE {F}/Subscription/{{id}}": Op(one(only("coordinator")), _own_subscription),
    f"GET {F}/Subscription/{{id}}/$status": Op(one(only("coordinator")), _own_subscription),
}

OPS = {**API_OPS, **FHIR_OPS}


# Coverage -----------------------------------------------------------------------------------


def schema_operations() -> set[str]:
    """Every operation in the committed schema (tests/api/test_schema.py keeps it the served
    one)."""
    schema = json.loads(SCHEMA.read_text())
    return {f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops}


def test_every_api_operation_has_a_matrix_entry() -> None:
    missing = schema_operations() - set(API_OPS)
    assert not missing, f"API operations without an access-matrix entry: {sorted(missing)}"


def fhir_endpoints() -> set[str]:
    """The FHIR URL patterns, and for the per-type ones every supported resource type."""
    names = {p.name for p in fhir_urls.urlpatterns if isinstance(p, URLPattern)}
    known = {"fhir_base", "fhir_metadata", "fhir_careplan_everything", "fhir_search", "fhir_read"}
    known |= {"fhir_subscriptions", "fhir_subscription", "fhir_subscription_status"}
    assert names <= known, f"New FHIR URLs: add them to FHIR_OPS and here: {names - known}"
    endpoints = {
        f"GET {F}/",
        f"POST {F}/",
        f"GET {F}/metadata",
        f"GET {F}/CarePlan/{{id}}/$everything",
        f"GET {F}/CarePlan/{{id}}-v{{n}}",
    }
    for rtype in RESOURCE_TYPES:
        endpoints |= {f"GET {F}/{rtype}", f"GET {F}/{rtype}/{{id}}"}
    endpoints |= {
        f"POST {F}/Subscription",
        f"GET {F}/Subscription",
        f"GET {F}/Subscription/{{id}}",
        f"DELETE {F}/Subscription/{{id}}",
        f"GET {F}/Subscription/{{id}}/$status",
    }
    return endpoints


def test_every_fhir_endpoint_has_a_matrix_entry() -> None:
    missing = fhir_endpoints() - set(FHIR_OPS)
    assert not missing, f"FHIR endpoints without an access-matrix entry: {sorted(missing)}"


# The requests -------------------------------------------------------------------------------


def headers(world: World, actor: str) -> dict[str, str]:
    """A bearer token made inside the test (one insert; rolled back with the test)."""
    result = {"Accept": "application/json"}
    if actor in world.users:
        _token, clear = api_token_create(user=world.users[actor])
        result["Authorization"] = f"Bearer {clear}"
    return result


def classify(status: int, found: bool | None) -> str:
    if status in (200, 201, 204, 400, 409):
        if status == 200 and found is not None:
            return "A" if found else "D"
        return "A"
    return {404: "D", 401: "U", 403: "F"}.get(status, str(status))


def request(client: Client, world: World, key: str, variant: str, actor: str) -> str:
    op = OPS[key]
    method, template = key.split(" ", 1)
    args = op.args(world, variant)
    path = template.format(**args)
    if op.query:
        path = f"{path}?{op.query.format(**args)}"
    kwargs: dict[str, Any] = {"headers": headers(world, actor)}
    if key.startswith(("GET /fhir", "POST /fhir")):
        kwargs["headers"]["Accept"] = FHIR_JSON
    if op.body is not None:
        kwargs["data"] = json.dumps(op.body(world, variant))
        kwargs["content_type"] = FHIR_JSON if op.raw else "application/json"
    response = getattr(client, method.lower())(path, **kwargs)
    found: bool | None = None
    if op.found is not None and response.status_code == 200:
        found = op.found(world, variant, json.loads(response.content))
    return classify(response.status_code, found)


CASES = [
    (key, variant, actor) for key, op in OPS.items() for variant in op.expected for actor in ACTORS
]


@pytest.mark.parametrize(("key", "variant", "actor"), CASES)
def test_access(world: World, key: str, variant: str, actor: str) -> None:
    expected = OPS[key].expected[variant][actor]
    got = request(Client(), world, key, variant, actor)
    assert got == expected, (key, variant, actor, got, expected)


def test_revoking_consent_removes_api_and_fhir_access_on_the_very_next_request(
    world: World,
) -> None:
    from samplan.authz.actor import Actor
    from samplan.consent import services as consent_services

    client = Client()
    for key in (f"GET {P}/plans/{{plan_id}}", f"GET {F}/CarePlan/{{id}}", f"GET {F}/CarePlan"):
        assert request(client, world, key, "plan", "participant") == "A", key
    consent_services.consent_revoke(
        actor=Actor.for_user(User.objects.get(username="karin.holm")),
        plan=Plan.objects.get(pk=world.plans["plan"].pk),
    )
    for key in (
        f"GET {P}/plans/{{plan_id}}",
        f"GET {P}/plans",
        f"GET {P}/plans/{{plan_id}}/versions/{{number}}",
        f"GET {F}/CarePlan/{{id}}",
        f"GET {F}/CarePlan",
        f"GET {F}/CarePlan/{{id}}/$everything",
    ):
        variant = "" if "versions" in key else "plan"
        assert request(client, world, key, variant, "participant") == "D", key
