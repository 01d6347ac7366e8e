"""The access matrix: every URL, for every kind of user, and for own organisation, another
organisation, no consent, revoked consent, the person, a representative.

A = allowed (the page or the step answers: 200, 302 onwards, 400 for an empty form, 405),
D = denied (404: the same answer as for something that does not exist),
L = not signed in (302 to the login page).

A URL without an entry here fails `test_every_url_has_a_matrix_entry`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from samplan.accounts.models import User
from samplan.agreements.models import Agreement, SipLead, SipTime
from samplan.directory.models import Organisation, Person, Representative
from samplan.notify.models import InboxMessage
from samplan.plans.links import make_token
from samplan.plans.models import Invitation, InvitationAnswer, Plan, PlanState

pytestmark = pytest.mark.django_db

# Who: each kind of user, by a demo account.
ACTORS = {
    "anonymous": None,
    "coordinator": "karin.holm",  # Ekbacka, coordinates Ove's plan, initiated the others
    "participant": "omar.haddad",  # region unit taking part in Ove's plan, with consent
    "revoked": "eva.strom",  # region unit that took part in a plan whose consent was revoked
    "other_org": "johan.dahl",  # Strandvik: no part in any of these plans
    "same_org": "anna.sjoberg",  # Ekbacka, but her unit is not in Ove's plan
    "org_admin": "admin.ekbacka",
    "reviewer": "granskare.ekbacka",
    "superuser": "admin",
    "person": "ove.demosson",
    "representative": "bengt.demosson",  # Greta's son: may see her plan
}
STAFF = {"coordinator", "participant", "revoked", "other_org", "same_org"}
SIGNED_IN = set(ACTORS) - {"anonymous"}


def only(*allowed: str) -> dict[str, str]:
    """Allowed for these, denied (404) for everyone else who is signed in."""
    return {a: ("L" if a == "anonymous" else "A" if a in allowed else "D") for a in ACTORS}


def everyone() -> dict[str, str]:
    return dict.fromkeys(ACTORS, "A")


@dataclass
class World:
    plan: Plan  # Ove's established plan
    no_consent: Plan  # an initiative by Karin's unit without consent yet
    revoked: Plan  # consent revoked after the region's addiction care joined
    greta: Plan  # the plan Bengt may see
    ids: dict[str, Any]


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
    karin_initiated = Plan.objects.filter(
        state=PlanState.INITIATED, initiating_unit__name="Socialpsykiatri Ekbacka"
    ).first()
    assert karin_initiated is not None
    revoked = Plan.objects.get(state=PlanState.PAUSED)
    greta = Plan.objects.get(person__given_name="Greta")
    region = Organisation.objects.get(name="Region Sjöland")
    pending = Invitation.objects.get(
        answer=InvitationAnswer.PENDING, unit__name="LSS-handläggning Ekbacka"
    )
    external = Invitation.objects.filter(unit__isnull=True).first()
    assert external is not None
    karin = User.objects.get(username="karin.holm")
    message = InboxMessage.objects.filter(recipient=karin).first()
    assert message is not None
    ove = Person.objects.get(given_name="Ove")
    ekbacka = Organisation.objects.get(name="Ekbacka kommun")
    ids = {
        "meeting": plan.meetings.get().pk,
        "need": plan.needs.first().pk,  # type: ignore[union-attr]
        "goal": plan.goals.first().pk,  # type: ignore[union-attr]
        "region_intervention": plan.interventions.get(responsible_organisation=region).pk,
        "follow_up": plan.follow_ups.first().pk,  # type: ignore[union-attr]
        "deviation": plan.deviations.get().pk,
        "pending_invitation": pending.pk,
        "external_link": {"invitation_id": external.pk, "token": make_token(external)},
        "meeting_invitation": plan.meetings.get().invitations.first().pk,  # type: ignore[union-attr]
        "karin_message": message.pk,
        "ove": ove.pk,
        "ekbacka": ekbacka.pk,
        "ekbacka_unit": ekbacka.units.first().pk,  # type: ignore[union-attr]
        "ekbacka_staff": User.objects.get(username="ali.yilmaz").pk,
        # A guardian who has given consent: removing one exercises the "ended" path.
        "representative": Representative.objects.get(name="Johanna Demoberg").pk,
    }
    return World(plan, karin_initiated, revoked, greta, ids)


# Plan URLs: the expected answer depends on the plan's consent as well as on the user.
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
PLAN_URLS: dict[str, tuple[dict[str, dict[str, str]], Callable[[World, Plan], dict[str, Any]]]] = {
    "plan_detail": (READ, lambda w, p: {"pk": p.pk}),
    "plan_document": (READ, lambda w, p: {"pk": p.pk, "kind": "plain_language"}),
    "deviation_report": (READ, lambda w, p: {"pk": p.pk}),
    "consent_record": (EDIT, lambda w, p: {"pk": p.pk}),
    "consent_revoke": (EDIT, lambda w, p: {"pk": p.pk}),
    "meeting_schedule": (EDIT, lambda w, p: {"pk": p.pk}),
    "plan_details_edit": (EDIT, lambda w, p: {"pk": p.pk}),
    "need_add": (EDIT, lambda w, p: {"pk": p.pk}),
    "goal_add": (EDIT, lambda w, p: {"pk": p.pk}),
    "intervention_add": (EDIT, lambda w, p: {"pk": p.pk}),
    "follow_up_schedule": (EDIT, lambda w, p: {"pk": p.pk}),
    "plan_establish": (EDIT, lambda w, p: {"pk": p.pk}),
    "plan_revise": (EDIT, lambda w, p: {"pk": p.pk}),
    "plan_close": (EDIT, lambda w, p: {"pk": p.pk}),
    "dispute_record": (EDIT, lambda w, p: {"pk": p.pk}),
}
# URLs of things inside Ove's plan: (expected, kwargs).
ITEM_URLS: dict[str, tuple[dict[str, str], Callable[[World], dict[str, Any]]]] = {
    "plan_version": (only("coordinator", "participant"), lambda w: {"pk": w.plan.pk, "number": 1}),
    "plan_version_diff": (
        only("coordinator", "participant"),
        lambda w: {"pk": w.plan.pk, "a": 1, "b": 1},
    ),
    "meeting_edit": (only("coordinator"), lambda w: _meeting(w)),
    "meeting_cancel": (only("coordinator"), lambda w: _meeting(w)),
    "meeting_held": (only("coordinator"), lambda w: _meeting(w)),
    "invitation_add": (only("coordinator"), lambda w: _meeting(w)),
    # The coordinator revokes or renews an external invitee's link (a unit's invitation here:
    # the coordinator reaches the step, which refuses it with a message on the plan page).
    "invitation_link_revoke": (only("coordinator"), lambda w: _invitation(w)),
    "invitation_link_reissue": (only("coordinator"), lambda w: _invitation(w)),
    "need_edit": (only("coordinator"), lambda w: _item(w, "need")),
    "need_remove": (only("coordinator"), lambda w: _item(w, "need")),
    "goal_edit": (only("coordinator"), lambda w: _item(w, "goal")),
    "goal_remove": (only("coordinator"), lambda w: _item(w, "goal")),
    # Each organisation edits its own interventions.
    "intervention_edit": (
        only("coordinator", "participant"),
        lambda w: _item(w, "region_intervention"),
    ),
    "intervention_remove": (
        only("coordinator", "participant"),
        lambda w: _item(w, "region_intervention"),
    ),
    "follow_up_record": (only("coordinator"), lambda w: _item(w, "follow_up")),
    # The deviation is addressed to the region: the region handles it, the coordinator too.
    "deviation_status": (only("coordinator", "participant"), lambda w: _item(w, "deviation")),
    # Ove's open dispute names the region's psychiatry: its staff may resolve it too.
    "dispute_resolve": (
        only("coordinator", "participant"),
        lambda w: {"pk": w.plan.pk, "item_pk": w.plan.disputes.get().pk},
    ),
    # An invitation is answered by staff of the invited unit (Ekbacka's LSS unit).
    "invitation_answer": (only("same_org"), lambda w: {"pk": w.ids["pending_invitation"]}),
    # An external invitee answers through the signed link, signed in or not; a link of the
    # old kind (a bare secret) is refused for everyone.
    "invitation_answer_external": (everyone(), lambda w: w.ids["external_link"]),
    "invitation_link_old": (dict.fromkeys(ACTORS, "D"), lambda w: {"token": "0" * 64}),
    # The person's own plan, and what a representative may see.
    "my_plan": (only("person"), lambda w: {"pk": w.plan.pk}),
    "my_plan_document": (only("person"), lambda w: {"pk": w.plan.pk, "kind": "plain_language"}),
    # The person's own decisions (issue 11; tests/own): the person of age, or a guardian.
    "my_consent": (only("person"), lambda w: {"pk": w.plan.pk}),
    "my_consent_revoke": (only("person"), lambda w: {"pk": w.plan.pk}),
    "my_representatives": (only("person"), lambda w: {"pk": w.plan.pk}),
    "my_version_approve": (only("person"), lambda w: {"pk": w.plan.pk}),
    "my_plan_end": (only("person"), lambda w: {"pk": w.plan.pk}),
    "my_sip_request": (only(*SIGNED_IN), lambda w: {}),  # a staff member may ask for no one
    # Ove's one meeting is held: no calendar file of it for anyone (an upcoming one: tests/own).
    "my_meeting_calendar": (
        only(),
        lambda w: {"pk": w.plan.pk, "meeting_id": w.plan.meetings.order_by("pk")[0].pk},
    ),
    "plan_child_view": (only("coordinator"), lambda w: {"pk": w.plan.pk}),
    "inbox_message": (only("coordinator"), lambda w: {"pk": w.ids["karin_message"]}),
    "audit_extract": (
        only("person", "reviewer"),
        lambda w: {"person_id": w.ids["ove"], "fmt": "csv"},
    ),
}
STAFF_ONLY = only(*STAFF)
REGISTRY_URLS: dict[str, tuple[dict[str, str], Callable[[World], dict[str, Any]]]] = {
    "home": (only(*SIGNED_IN), lambda w: {}),
    "login": (everyone(), lambda w: {}),
    "logout": (everyone(), lambda w: {}),
    "set_language": (everyone(), lambda w: {}),
    "acting_unit_set": (only(*SIGNED_IN), lambda w: {}),
    "organisation_list": (only(*SIGNED_IN), lambda w: {}),
    "organisation_detail": (only(*SIGNED_IN), lambda w: {"pk": w.ids["ekbacka"]}),
    "organisation_create": (only("superuser"), lambda w: {}),
    "organisation_edit": (only("org_admin", "superuser"), lambda w: {"pk": w.ids["ekbacka"]}),
    "unit_create": (only("org_admin", "superuser"), lambda w: {"pk": w.ids["ekbacka"]}),
    "unit_edit": (only("org_admin", "superuser"), lambda w: {"pk": w.ids["ekbacka_unit"]}),
    "staff_create": (only("org_admin", "superuser"), lambda w: {"pk": w.ids["ekbacka"]}),
    "staff_set_active": (
        only("org_admin", "superuser"),
        lambda w: {"pk": w.ids["ekbacka"], "user_id": w.ids["ekbacka_staff"]},
    ),
    # The person registry: a relation opens a person (tests/test_access_matrix_registry.py
    # has every kind of relation, look-ups and the registrar role).
    "person_search": (STAFF_ONLY, lambda w: {}),
    "person_lookup": (STAFF_ONLY, lambda w: {}),
    "person_create": (STAFF_ONLY, lambda w: {}),
    "person_detail": (only("coordinator", "participant"), lambda w: {"pk": w.ids["ove"]}),
    "person_edit": (only("coordinator"), lambda w: {"pk": w.ids["ove"]}),
    "person_protect": (only(), lambda w: {"pk": w.ids["ove"]}),  # a registrar's step
    "plan_initiate": (only("coordinator", "participant"), lambda w: {"pk": w.ids["ove"]}),
    "representative_create": (only("coordinator"), lambda w: {"pk": w.ids["ove"]}),
    # Liam's guardian: none of these users' units has a relation with Liam.
    "representative_edit": (only(), lambda w: {"pk": w.ids["representative"]}),
    "representative_delete": (only(), lambda w: {"pk": w.ids["representative"]}),
    "worklist": (only(*SIGNED_IN), lambda w: {}),  # shows nothing to users without a unit
    "session_extend": (only(*SIGNED_IN), lambda w: {}),
    "my_plans": (only(*SIGNED_IN), lambda w: {}),
    "my_log": (only("person"), lambda w: {}),
    "inbox": (only(*SIGNED_IN), lambda w: {}),
    "audit_review": (only("reviewer"), lambda w: {}),
    # A manager's figures (issue 13): none of these users is a manager, so all are refused
    # (the same 404 with any input); the demo managers: tests/statistics/test_pages_world.py.
    "statistics": (only(), lambda w: {}),
    "statistics_export": (only(), lambda w: {"key": "attendance", "fmt": "csv"}),
    "statistics_report": (only(), lambda w: {}),
    # The agreements register (issue 13; no personal data): staff of the parties see Ekbacka's
    # agreement with the region, its administrators edit it; SIP leads and times are shown to
    # everyone signed in and changed by the organisation's administrators.
    "agreement_list": (only(*SIGNED_IN), lambda w: {}),
    "agreement_detail": (
        only("coordinator", "participant", "revoked", "same_org", "org_admin", "superuser"),
        lambda w: _agreement(w),
    ),
    "agreement_create": (only("org_admin", "superuser"), lambda w: {}),
    "agreement_edit": (only("org_admin", "superuser"), lambda w: _agreement(w)),
    "agreement_contact_add": (only("org_admin", "superuser"), lambda w: _agreement(w)),
    "agreement_contact_remove": (
        only("org_admin", "superuser"),
        lambda w: {**_agreement(w), "contact_pk": _agreement_obj(w).contacts.first().pk},  # type: ignore[union-attr]
    ),
    "sip_settings": (only(*SIGNED_IN), lambda w: {"pk": w.ids["ekbacka"]}),
    "sip_lead_add": (only("org_admin", "superuser"), lambda w: {"pk": w.ids["ekbacka"]}),
    "sip_lead_remove": (
        only("org_admin", "superuser"),
        lambda w: {
            "pk": w.ids["ekbacka"],
            "lead_pk": SipLead.objects.get(organisation_id=w.ids["ekbacka"]).pk,
        },
    ),
    "sip_time_add": (only("org_admin", "superuser"), lambda w: {"pk": w.ids["ekbacka"]}),
    "sip_time_end": (
        only("org_admin", "superuser"),
        lambda w: {
            "pk": w.ids["ekbacka"],
            "time_pk": SipTime.objects.get(organisation_id=w.ids["ekbacka"]).pk,
        },
    ),
}


def _agreement_obj(w: World) -> Agreement:
    return Agreement.objects.get(parties=w.ids["ekbacka"])


def _agreement(w: World) -> dict[str, Any]:
    return {"pk": _agreement_obj(w).pk}


def _meeting(w: World) -> dict[str, Any]:
    return {"pk": w.plan.pk, "meeting_pk": w.ids["meeting"]}


def _invitation(w: World) -> dict[str, Any]:
    return {**_meeting(w), "invitation_pk": w.ids["meeting_invitation"]}


def _item(w: World, key: str) -> dict[str, Any]:
    return {"pk": w.plan.pk, "item_pk": w.ids[key]}


def all_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern) and p.name and not namespace:
                names.add(p.name)

    walk(get_resolver().url_patterns, None)
    return names


# FHIR endpoints answer bearer tokens, not sessions: their cells are in
# tests/test_access_matrix_api.py, which fails on an endpoint without an entry.
FHIR_URLS = {
    "fhir_base",
    "fhir_metadata",
    "fhir_careplan_everything",
    "fhir_search",
    "fhir_read",
    "fhir_subscriptions",
    "fhir_subscription",
    "fhir_subscription_status",
}


def test_every_url_has_a_matrix_entry() -> None:
    covered = set(PLAN_URLS) | set(ITEM_URLS) | set(REGISTRY_URLS) | FHIR_URLS
    missing = all_url_names() - covered
    assert not missing, f"URLs without an access-matrix entry: {sorted(missing)}"


def answer(client: Client, url: str) -> str:
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    status = response.status_code
    if status == 404:
        return "D"
    if status == 302 and response["Location"].startswith(reverse("login")):
        return "L" if "next=" in response["Location"] else "A"
    assert status in (200, 204, 302, 400, 405), (url, status)
    return "A"


def signed_in(actor: str) -> Client:
    client = Client()
    username = ACTORS[actor]
    if username:
        client.force_login(User.objects.get(username=username))
    return client


CASES = (
    [(name, variant, actor) for name in PLAN_URLS for variant in READ for actor in ACTORS]
    + [(name, "", actor) for name in ITEM_URLS for actor in ACTORS]
    + [(name, "", actor) for name in REGISTRY_URLS for actor in ACTORS]
)


@pytest.mark.parametrize(("name", "variant", "actor"), CASES)
def test_access(world: World, name: str, variant: str, actor: str) -> None:
    if name in PLAN_URLS:
        table, kwargs = PLAN_URLS[name]
        plan = {"plan": world.plan, "no_consent": world.no_consent, "revoked": world.revoked}[
            variant
        ]
        expected = table[variant][actor]
        url = reverse(name, kwargs=kwargs(world, plan))
    else:
        entry = ITEM_URLS.get(name) or REGISTRY_URLS[name]
        expected = entry[0][actor]
        url = reverse(name, kwargs=entry[1](world))
    assert answer(signed_in(actor), url) == expected, (name, variant, actor, url)


def test_representative_sees_the_plan_the_person_allows(world: World) -> None:
    client = signed_in("representative")
    assert answer(client, reverse("my_plan", args=[world.greta.pk])) == "A"
    assert answer(client, reverse("my_plan", args=[world.plan.pk])) == "D"
    assert answer(client, reverse("plan_detail", args=[world.greta.pk])) == "D"


def test_revoking_consent_removes_access_on_the_very_next_request(world: World) -> None:
    from samplan.authz.actor import Actor
    from samplan.consent import services as consent_services

    omar = signed_in("participant")
    url = reverse("plan_detail", args=[world.plan.pk])
    assert answer(omar, url) == "A"
    consent_services.consent_revoke(
        actor=Actor.for_user(User.objects.get(username="karin.holm")),
        plan=Plan.objects.get(pk=world.plan.pk),
    )
    assert answer(omar, url) == "D"
    assert answer(omar, reverse("plan_version", args=[world.plan.pk, 1])) == "D"


def test_reading_a_plan_page_is_audited_with_its_ground(world: World) -> None:
    from samplan.audit.models import AuditEvent

    for actor, ground in (
        ("coordinator", "initiating unit"),
        ("participant", "participant with consent"),
    ):
        client = signed_in(actor)
        assert answer(client, reverse("plan_detail", args=[world.plan.pk])) == "A"
        event = AuditEvent.objects.filter(
            action="plan.read", person=world.plan.person, actor__username=ACTORS[actor]
        ).last()
        assert event is not None
        assert event.ground == ground
        assert event.actor_unit is not None
    # A refusal is audited too, without revealing the plan to the one refused.
    client = signed_in("other_org")
    assert answer(client, reverse("plan_detail", args=[world.plan.pk])) == "D"
    assert AuditEvent.objects.filter(
        action="plan.view", outcome="denied", actor__username=ACTORS["other_org"]
    ).exists()
