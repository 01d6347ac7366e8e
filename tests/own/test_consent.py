"""The person gives, narrows and revokes consent from the own view, and what the consent must
not cover; the organisations' access follows on their very next request, on the web, over
REST and over FHIR (the policy reads Consent.objects.active() afresh, nothing cached)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client

from samplan.accounts.models import User
from samplan.authz import policy
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent.coverage import active_consent
from samplan.consent.models import Consent, InformationKind
from samplan.directory.models import Organisation
from samplan.plans.models import Plan
from tests.own.conftest import audited, bearer, events

pytestmark = pytest.mark.django_db

SOCIAL = "Boendestöd två gånger i veckan"  # Ekbacka's social psychiatry
HEALTH = "Psykiatrisk behandling och läkemedel"  # the region's psychiatry


def as_text(content: bytes) -> str:
    """JSON with its non-ASCII letters unescaped."""
    return json.dumps(json.loads(content), ensure_ascii=False)


def consent_orgs(plan: Plan) -> set[str]:
    consent = active_consent(plan)
    assert consent is not None
    return {o.name for o in consent.organisations.all()}


def omar_reads(plan: Plan, web: Client) -> dict[str, int]:
    headers = bearer("omar.haddad")
    api = Client()
    return {
        "web": web.get(f"/plans/{plan.pk}/").status_code,
        "rest": api.get(f"/api/v1/plans/{plan.pk}", headers=headers).status_code,
        "fhir": api.get(f"/fhir/CarePlan/{plan.pk}", headers=headers).status_code,
    }


def test_narrowing_consent_closes_the_organisation_out_on_its_next_request(
    ove_plan: Plan, person_client: Callable[[str], Client]
) -> None:
    ove, omar = person_client("ove.demosson"), person_client("omar.haddad")
    # The region's participant has the plan open on every interface.
    assert omar_reads(ove_plan, omar) == {"web": 200, "rest": 200, "fhir": 200}
    omar_actor = Actor.for_user(User.objects.get(username="omar.haddad"))
    assert policy.can(omar_actor, Action.PLAN_VIEW, ove_plan)
    current = active_consent(ove_plan)
    assert current is not None
    ekbacka = next(o for o in current.organisations.all() if o.kind == "municipality")

    page = ove.get(f"/my/plans/{ove_plan.pk}/consent/")
    assert page.status_code == 200
    answer = ove.post(
        f"/my/plans/{ove_plan.pk}/consent/", {"organisations": [ekbacka.pk], "note": ""}
    )
    assert answer.status_code == 302

    # The very next request, on each interface, and the same actor object asked again.
    assert omar_reads(ove_plan, omar) == {"web": 404, "rest": 404, "fhir": 404}
    assert not policy.can(omar_actor, Action.PLAN_VIEW, ove_plan)
    assert consent_orgs(ove_plan) == {ekbacka.name}
    consent = active_consent(ove_plan)
    assert consent is not None
    assert consent.recorded_by == ove_plan.person.user
    assert consent.method == "digital"
    # Audited, and in the plan's history, as the person's own decision.
    assert audited("consent.decide_own", person=ove_plan.person) is not None
    assert events(ove_plan)[-1] == "consent_given"
    assert ove_plan.events.order_by("-pk")[0].detail["by"] == "person"
    staff_page = person_client("karin.holm").get(f"/plans/{ove_plan.pk}/").content.decode()
    assert "Samtycke registrerat" in staff_page


def test_what_the_consent_must_not_cover_is_hidden_from_the_covered_organisations(
    ove_plan: Plan, person_client: Callable[[str], Client]
) -> None:
    """Ove excludes social-services information: the region no longer sees Ekbacka's
    social-services intervention (its own health-care one it always sees). The coordinator's
    organisation carries the plan and sees everything, as for a staff-recorded consent."""
    ove, omar = person_client("ove.demosson"), person_client("omar.haddad")
    orgs = [o.pk for o in Organisation.objects.filter(name__in=consent_orgs(ove_plan))]
    headers = bearer("omar.haddad")
    before = omar.get(f"/plans/{ove_plan.pk}/").content.decode()
    assert SOCIAL in before
    answer = ove.post(
        f"/my/plans/{ove_plan.pk}/consent/",
        {"organisations": orgs, "excluded_kinds": [InformationKind.SOCIAL]},
    )
    assert answer.status_code == 302
    consent = active_consent(ove_plan)
    assert consent is not None
    assert InformationKind.SOCIAL not in consent.information_kinds
    assert set(consent.information_kinds) == set(InformationKind.values) - {"social"}
    web = omar.get(f"/plans/{ove_plan.pk}/").content.decode()
    rest = as_text(Client().get(f"/api/v1/plans/{ove_plan.pk}", headers=headers).content)
    fhir = as_text(
        Client().get(f"/fhir/CarePlan/{ove_plan.pk}/$everything", headers=headers).content
    )
    for text in (web, rest, fhir):
        assert SOCIAL not in text
        assert HEALTH in text
    karin = person_client("karin.holm").get(f"/plans/{ove_plan.pk}/").content.decode()
    assert SOCIAL in karin
    # The person's page says what the consent does not cover.
    mine = ove.get(f"/my/plans/{ove_plan.pk}/").content.decode()
    assert "Samtycket omfattar inte" in mine
    assert str(InformationKind.SOCIAL.label) in mine


def test_revoking_closes_every_other_organisation_out_and_twice_changes_nothing(
    ove_plan: Plan, person_client: Callable[[str], Client]
) -> None:
    ove, omar = person_client("ove.demosson"), person_client("omar.haddad")
    consent = active_consent(ove_plan)
    assert consent is not None
    url = f"/my/plans/{ove_plan.pk}/consent/revoke/"
    assert ove.get(url).status_code == 200
    assert ove.post(url, {"consent": consent.pk}).status_code == 302
    ove_plan.refresh_from_db()
    assert ove_plan.state == "paused"
    assert active_consent(ove_plan) is None
    assert omar_reads(ove_plan, omar) == {"web": 404, "rest": 404, "fhir": 404}
    assert audited("consent.revoke_own", person=ove_plan.person) is not None
    assert "consent_revoked" in events(ove_plan)
    count = ove_plan.events.count()

    # The same form sent again: a plain message next to the field, nothing changed, audited.
    again = ove.post(url, {"consent": consent.pk})
    assert again.status_code == 400
    text = again.content.decode()
    assert "Samtycket är redan återkallat" in text
    assert 'aria-invalid="true"' in text
    assert ove_plan.events.count() == count
    invalid = audited("consent.decide_own", outcome="invalid")
    assert invalid is not None
    assert invalid.detail == {"fields": ["consent"]}
    assert invalid.person == ove_plan.person

    # Consent given again from the own view takes the plan up again.
    orgs = [o.pk for o in consent.organisations.all()]
    assert ove.post(f"/my/plans/{ove_plan.pk}/consent/", {"organisations": orgs}).status_code == 302
    ove_plan.refresh_from_db()
    assert ove_plan.state == "established"
    assert omar_reads(ove_plan, omar) == {"web": 200, "rest": 200, "fhir": 200}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"organisations": ["999999"]}, "organisations", "Välj ett giltigt alternativ"),
        ({"organisations": []}, "organisations", "Välj minst en organisation"),
        ({"organisations": "outside"}, "organisations", "Välj bland organisationerna"),
        ({"organisations": "plan", "excluded_kinds": ["nonsense"]}, "excluded_kinds", ""),
        ({"organisations": "plan", "excluded_kinds": "all"}, "excluded_kinds", "kan inte undanta"),
    ],
)
def test_bad_consent_input_is_shown_next_to_the_field_changes_nothing_and_is_audited(
    ove_plan: Plan,
    person_client: Callable[[str], Client],
    data: dict[str, object],
    field: str,
    message: str,
) -> None:
    ove = person_client("ove.demosson")
    before = active_consent(ove_plan)
    assert before is not None
    if data["organisations"] == "outside":
        outside = Organisation.objects.exclude(units__participations__plan=ove_plan).exclude(
            pk__in=[o.pk for o in before.organisations.all()]
        )
        data = {"organisations": [outside.first().pk]}  # type: ignore[union-attr]
    elif data["organisations"] == "plan":
        data = {**data, "organisations": [o.pk for o in before.organisations.all()]}
    if data.get("excluded_kinds") == "all":
        data = {**data, "excluded_kinds": list(InformationKind.values)}
    answer = ove.post(f"/my/plans/{ove_plan.pk}/consent/", data)
    assert answer.status_code == 400
    text = answer.content.decode()
    assert message in text
    assert f'id="id_{field}_error"' in text or "aria-invalid" in text
    assert 'class="error-summary"' in text
    assert Consent.objects.active().get(plan=ove_plan).pk == before.pk
    invalid = audited("consent.decide_own", outcome="invalid", person=ove_plan.person)
    assert invalid is not None
    assert invalid.detail == {"fields": [field]}


def test_a_next_of_kin_or_a_stranger_cannot_decide_the_consent(
    ove_plan: Plan, person_client: Callable[[str], Client]
) -> None:
    greta = Plan.objects.get(person__given_name="Greta")
    bengt = person_client("bengt.demosson")  # next of kin: may see, may not act for Greta
    assert bengt.get(f"/my/plans/{greta.pk}/").status_code == 200
    assert bengt.get(f"/my/plans/{greta.pk}/consent/").status_code == 404
    consent = active_consent(greta)
    assert consent is not None
    assert (
        bengt.post(f"/my/plans/{greta.pk}/consent/revoke/", {"consent": consent.pk}).status_code
        == 404
    )
    assert active_consent(greta) == consent
    assert person_client("ove.demosson").get(f"/my/plans/{greta.pk}/consent/").status_code == 404
    assert audited("consent.decide_own", outcome="denied") is not None
