"""The demo world is realistic enough to try Samplan with, and `samplan demo --json` lists it."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from samplan.demo.world import DEMO_PASSWORD
from samplan.directory.identity import parse_person_number
from samplan.directory.models import IdentifierKind, Organisation, Person, UnitKind

pytestmark = pytest.mark.django_db


def test_world_has_the_principals_and_their_units() -> None:
    region = Organisation.objects.get(kind="region")
    assert set(region.units.values_list("kind", flat=True)) >= {
        UnitKind.PSYCHIATRY,
        UnitKind.ADDICTION,
        UnitKind.PRIMARY_CARE,
        UnitKind.HABILITATION,
    }
    for municipality in Organisation.objects.filter(kind="municipality"):
        assert set(municipality.units.values_list("kind", flat=True)) >= {
            UnitKind.SOCIAL_PSYCHIATRY,
            UnitKind.LSS,
            UnitKind.HOME_CARE,
            UnitKind.NEEDS_ASSESSMENT,
        }
    assert Organisation.objects.filter(kind="municipality").count() == 2
    assert Organisation.objects.filter(name="Försäkringskassan", kind="state_agency").exists()
    assert Organisation.objects.filter(kind="school").exists()


def test_persons_have_valid_numbers_and_the_special_cases_exist() -> None:
    persons = Person.objects.all()
    assert persons.count() >= 50
    for p in persons.exclude(identifier_kind=IdentifierKind.RESERVE):
        assert parse_person_number(p.identifier).number == p.identifier
    assert persons.filter(protected_identity=True).exists()
    assert persons.filter(identifier_kind=IdentifierKind.SAMORDNINGSNUMMER).exists()
    child = persons.get(given_name="Liam")
    assert child.birth_date is not None
    assert child.birth_date.year > 2008
    assert child.representatives.filter(kind="guardian").count() == 2


def test_demo_json_lists_users_that_can_log_in(client) -> None:
    out = StringIO()
    call_command("demo", "--json", stdout=out)
    users = json.loads(out.getvalue())
    by_name = {u["username"]: u for u in users}
    assert {"username", "password", "organisation", "unit", "role"} <= set(users[0])
    assert by_name["omar.haddad"]["unit"] == "Öppenpsykiatri Sjöstad"
    assert by_name["omar.haddad"]["organisation"] == "Region Sjöland"
    for username in ("karin.holm", "hanna.fors", "admin.region"):
        response = client.post(
            "/login/", {"username": username, "password": by_name[username]["password"]}
        )
        assert response.status_code == 302, username
        client.post("/logout/")
    assert all(u["password"] == DEMO_PASSWORD for u in users)


def test_demo_is_idempotent() -> None:
    count = Person.objects.count()
    out = StringIO()
    call_command("demo", stdout=out)
    assert "finns redan" in out.getvalue()
    assert Person.objects.count() == count


def test_demo_has_plans_in_every_state_and_the_person_sent_back_and_forth() -> None:
    from samplan.plans.models import InvitationAnswer, Plan, PlanState

    states = set(Plan.objects.values_list("state", flat=True))
    assert states == set(PlanState.values)
    ove = Plan.objects.get(person__given_name="Ove")
    assert "bounced_around" in ove.reasons
    assert ove.meetings.get().invitations.filter(answer=InvitationAnswer.DECLINED).exists()
    assert ove.deviations.exists()
    assert {"SIP", "IP", "HP"} <= set(Plan.objects.values_list("plan_type", flat=True))
