"""Registry pages for organisation administrators and staff: each form's success and error path."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from samplan.accounts.models import User
from samplan.audit.models import AuditEvent, Outcome
from samplan.directory.models import Organisation, Person, Representative, Unit
from tests.factories import relate

pytestmark = pytest.mark.django_db


def org(name: str) -> Organisation:
    return Organisation.objects.get(name=name)


def person(family: str, given: str) -> Person:
    return Person.objects.get(family_name=family, given_name=given)


# Organisations and units --------------------------------------------------------------------


def test_org_admin_adds_a_unit(login: Callable[[str], Client]) -> None:
    client = login("admin.ekbacka")
    ekbacka = org("Ekbacka kommun")
    response = client.post(
        reverse("unit_create", args=[ekbacka.pk]),
        {"name": "Daglig verksamhet Ekbacka", "kind": "lss", "is_active": "on"},
    )
    assert response.status_code == 302
    assert ekbacka.units.filter(name="Daglig verksamhet Ekbacka").exists()
    page = client.get(ekbacka.get_absolute_url()).content.decode()
    assert "Daglig verksamhet Ekbacka" in page


def test_unit_with_duplicate_name_is_refused_at_the_field(login: Callable[[str], Client]) -> None:
    client = login("admin.ekbacka")
    ekbacka = org("Ekbacka kommun")
    before = ekbacka.units.count()
    response = client.post(
        reverse("unit_create", args=[ekbacka.pk]),
        {"name": "Hemtjänst Ekbacka", "kind": "home_care"},
    )
    assert response.status_code == 400
    assert "finns redan" in response.content.decode()
    assert ekbacka.units.count() == before


def test_invalid_org_number_shows_message_at_field_and_changes_nothing(
    login: Callable[[str], Client],
) -> None:
    client = login("admin.ekbacka")
    ekbacka = org("Ekbacka kommun")
    response = client.post(
        reverse("organisation_edit", args=[ekbacka.pk]),
        {"name": "Nytt namn", "kind": "municipality", "org_number": "212000-0317"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "Kontrollsiffran i organisationsnumret stämmer inte." in form.errors["org_number"]
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    ekbacka.refresh_from_db()
    assert ekbacka.name == "Ekbacka kommun"
    assert ekbacka.org_number == "212000-0316"


def test_superuser_creates_an_organisation_with_normalised_number(
    login: Callable[[str], Client],
) -> None:
    client = login("admin")
    response = client.post(
        reverse("organisation_create"),
        {"name": "Stödföreningen Ankaret", "kind": "non_profit", "org_number": "8024001235"},
    )
    assert response.status_code == 302
    assert Organisation.objects.get(name="Stödföreningen Ankaret").org_number == "802400-1235"


def test_org_admin_cannot_create_organisations_or_manage_another(
    login: Callable[[str], Client],
) -> None:
    client = login("admin.ekbacka")
    assert client.get(reverse("organisation_create")).status_code == 404
    strandvik = org("Strandviks kommun")
    assert client.get(reverse("organisation_edit", args=[strandvik.pk])).status_code == 404
    response = client.post(
        reverse("unit_create", args=[strandvik.pk]), {"name": "Intrång", "kind": "other"}
    )
    assert response.status_code == 404
    assert not Unit.objects.filter(name="Intrång").exists()
    assert AuditEvent.objects.filter(
        actor__username="admin.ekbacka", outcome=Outcome.DENIED
    ).exists()
    # Same answer as for an organisation that does not exist.
    assert client.get(reverse("organisation_edit", args=[999999])).status_code == 404


def test_staff_see_organisations_but_not_staff_lists(login: Callable[[str], Client]) -> None:
    client = login("karin.holm")
    page = client.get(org("Ekbacka kommun").get_absolute_url()).content.decode()
    assert "Socialpsykiatri Ekbacka" in page
    assert "ali.yilmaz" not in page


# Staff accounts ----------------------------------------------------------------------------


def staff_form(unit: Unit, **overrides: str) -> dict[str, str]:
    data = {
        "unit": str(unit.pk),
        "first_name": "Tova",
        "last_name": "Testsson",
        "username": "tova.testsson",
        "email": "tova@example.org",
        "profession": "nurse",
        "password": "ett-långt-lösenord-42",
    }
    data.update(overrides)
    return data


def test_org_admin_creates_staff_who_can_log_in(login: Callable[[str], Client]) -> None:
    client = login("admin.ekbacka")
    ekbacka = org("Ekbacka kommun")
    unit = ekbacka.units.get(name="Hemtjänst Ekbacka")
    response = client.post(reverse("staff_create", args=[ekbacka.pk]), staff_form(unit))
    assert response.status_code == 302
    user = User.objects.get(username="tova.testsson")
    assert user.memberships.get().unit == unit
    fresh = Client()
    login_response = fresh.post(
        reverse("login"), {"username": "tova.testsson", "password": "ett-långt-lösenord-42"}
    )
    assert login_response.status_code == 302


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"username": "karin.holm"}, "username", "redan upptaget"),
        ({"password": "kort"}, "password", "för kort"),
        ({"email": "inte-en-adress"}, "email", "giltig"),
        ({"hsa_id": "123"}, "hsa_id", "HSA-id"),
    ],
)
def test_staff_form_errors_are_shown_at_the_field(
    login: Callable[[str], Client], overrides: dict[str, str], field: str, text: str
) -> None:
    client = login("admin.ekbacka")
    ekbacka = org("Ekbacka kommun")
    unit = ekbacka.units.get(name="Hemtjänst Ekbacka")
    users_before = User.objects.count()
    response = client.post(
        reverse("staff_create", args=[ekbacka.pk]), staff_form(unit, **overrides)
    )
    assert response.status_code == 400
    assert any(text in message for message in response.context["form"].errors[field])
    assert User.objects.count() == users_before


def test_staff_cannot_be_placed_in_another_organisations_unit(
    login: Callable[[str], Client],
) -> None:
    client = login("admin.ekbacka")
    ekbacka = org("Ekbacka kommun")
    foreign = org("Strandviks kommun").units.first()
    assert foreign is not None
    response = client.post(reverse("staff_create", args=[ekbacka.pk]), staff_form(foreign))
    assert response.status_code == 400
    assert "unit" in response.context["form"].errors
    assert not User.objects.filter(username="tova.testsson").exists()


# Persons -----------------------------------------------------------------------------------


def person_form(**overrides: str) -> dict[str, str]:
    data = {
        "identifier_kind": "personnummer",
        "identifier": "19811218-9876",
        "given_name": "Test",
        "family_name": "Testperson",
        "preferred_language": "sv",
    }
    data.update(overrides)
    return data


def test_staff_registers_a_person(login: Callable[[str], Client]) -> None:
    client = login("karin.holm")
    response = client.post(reverse("person_create"), person_form())
    assert response.status_code == 302
    created = Person.objects.get(identifier="198112189876")
    assert str(created.birth_date) == "1981-12-18"
    assert AuditEvent.objects.filter(action="person.create", person=created).exists()


@pytest.mark.parametrize(
    ("identifier", "text"),
    [
        ("19811218-9877", "Kontrollsiffran stämmer inte"),
        ("19810230-9876", "finns inte"),
        ("abc", "ÅÅÅÅMMDD-NNNN"),
    ],
)
def test_invalid_personnummer_is_refused_at_the_field_audited_and_nothing_saved(
    login: Callable[[str], Client], identifier: str, text: str
) -> None:
    client = login("karin.holm")
    before = Person.objects.count()
    response = client.post(reverse("person_create"), person_form(identifier=identifier))
    assert response.status_code == 400
    errors = response.context["form"].errors["identifier"]
    assert any(text in e for e in errors)
    assert Person.objects.count() == before
    event = AuditEvent.objects.filter(action="person.create", outcome=Outcome.INVALID).last()
    assert event is not None
    assert event.detail == {"fields": ["identifier"]}
    # What was typed is not in the audit row.
    assert identifier not in str(event.detail)


def test_duplicate_person_is_refused(login: Callable[[str], Client]) -> None:
    client = login("karin.holm")
    ove = person("Demosson", "Ove")
    response = client.post(
        reverse("person_create"), person_form(identifier=ove.formatted_identifier)
    )
    assert response.status_code == 400
    assert "finns redan" in str(response.context["form"].errors["identifier"])


def test_person_edit_error_path_changes_nothing(login: Callable[[str], Client]) -> None:
    client = login("karin.holm")
    ove = person("Demosson", "Ove")
    response = client.post(
        reverse("person_edit", args=[ove.pk]),
        person_form(identifier=ove.formatted_identifier, given_name="", email="inte-en-adress"),
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"given_name", "email"}
    ove.refresh_from_db()
    assert ove.given_name == "Ove"


def test_search_by_number_and_name_is_audited(login: Callable[[str], Client]) -> None:
    client = login("karin.holm")
    ove = person("Demosson", "Ove")
    by_number = client.post(reverse("person_search"), {"q": ove.formatted_identifier})
    assert "Ove Demosson" in by_number.content.decode()
    by_name = client.post(reverse("person_search"), {"q": "demosson"}).content.decode()
    # Karin's unit has a plan with Ove, none with his namesake Greta: no browsing.
    assert "Ove Demosson" in by_name
    assert "Greta Demosson" not in by_name
    searches = AuditEvent.objects.filter(action="person.search", actor__username="karin.holm")
    # One event per person shown, each naming the person, so each is in his extract.
    assert list(searches.values_list("person_id", flat=True)) == [ove.pk, ove.pk]


def test_reading_a_person_is_audited(login: Callable[[str], Client]) -> None:
    client = login("karin.holm")
    ove = person("Demosson", "Ove")
    assert client.get(ove.get_absolute_url()).status_code == 200
    event = AuditEvent.objects.get(action="person.read", person=ove)
    assert event.actor is not None
    assert event.actor.username == "karin.holm"
    assert event.actor_unit is not None
    assert event.actor_unit.name == "Socialpsykiatri Ekbacka"
    assert event.request_id


def test_protected_identity_hides_address_and_contact_details(
    login: Callable[[str], Client],
) -> None:
    client = login("karin.holm")
    protected = person("Skyddsdotter", "Sanna")
    relate("karin.holm", protected)
    protected_address = "Hemlig väg 1"
    Person.objects.filter(pk=protected.pk).update(address=protected_address, phone="070-999")
    page = client.get(protected.get_absolute_url()).content.decode()
    assert "Skyddade personuppgifter" in page
    assert protected_address not in page
    assert "070-999" not in page
    # The edit form does not show the fields either, and saving it keeps them.
    edit = client.get(reverse("person_edit", args=[protected.pk])).content.decode()
    assert protected_address not in edit
    client.post(
        reverse("person_edit", args=[protected.pk]),
        person_form(
            identifier=protected.formatted_identifier,
            given_name="Sanna",
            family_name="Skyddsdotter",
        ),
    )
    protected.refresh_from_db()
    assert protected.address == protected_address
    # An ordinary person's address is shown.
    ove = person("Demosson", "Ove")
    assert ove.address in client.get(ove.get_absolute_url()).content.decode()


def test_org_admin_role_alone_opens_no_personal_data(login: Callable[[str], Client]) -> None:
    client = login("admin.ekbacka")
    ove = person("Demosson", "Ove")
    assert client.get(ove.get_absolute_url()).status_code == 404
    assert client.post(reverse("person_search"), {"q": "Demosson"}).status_code == 404
    assert AuditEvent.objects.filter(
        actor__username="admin.ekbacka", outcome=Outcome.DENIED, action="person.view"
    ).exists()


# Representatives ----------------------------------------------------------------------------


def test_child_has_two_guardians_who_may_act(login: Callable[[str], Client]) -> None:
    client = login("lena.ek")
    child = person("Demoberg", "Liam")
    page = client.get(child.get_absolute_url()).content.decode()
    assert "Johanna Demoberg" in page
    assert "Mats Demoberg" in page
    assert child.representatives.filter(kind="guardian", may_act_for_person=True).count() == 2


def test_representative_dates_out_of_order_are_refused(login: Callable[[str], Client]) -> None:
    client = login("karin.holm")
    ove = person("Demosson", "Ove")
    response = client.post(
        reverse("representative_create", args=[ove.pk]),
        {
            "kind": "next_of_kin",
            "name": "Ulla Demosson",
            "valid_from": "2026-05-01",
            "valid_until": "2026-01-01",
        },
    )
    assert response.status_code == 400
    assert "före startdatumet" in str(response.context["form"].errors["valid_until"])
    assert not Representative.objects.filter(name="Ulla Demosson").exists()


def test_representative_added_edited_and_removed(login: Callable[[str], Client]) -> None:
    client = login("karin.holm")
    ove = person("Demosson", "Ove")
    client.post(
        reverse("representative_create", args=[ove.pk]),
        {
            "kind": "next_of_kin",
            "name": "Ulla Demosson",
            "relation": "syster",
            "may_see_plan": "on",
        },
    )
    rep = Representative.objects.get(name="Ulla Demosson")
    assert rep.may_see_plan
    assert not rep.may_act_for_person
    client.post(
        reverse("representative_edit", args=[rep.pk]),
        {"kind": "next_of_kin", "name": "Ulla Demosson", "relation": "syster"},
    )
    rep.refresh_from_db()
    assert not rep.may_see_plan
    client.post(reverse("representative_delete", args=[rep.pk]))
    assert not Representative.objects.filter(pk=rep.pk).exists()
    actions = set(
        AuditEvent.objects.filter(person=ove, action__startswith="representative.").values_list(
            "action", flat=True
        )
    )
    assert actions == {"representative.add", "representative.update", "representative.remove"}


def test_representative_who_gave_consent_is_ended_not_deleted(
    login: Callable[[str], Client],
) -> None:
    client = login("lena.ek")
    child = person("Demoberg", "Liam")
    guardian = child.representatives.get(name="Johanna Demoberg")
    response = client.post(reverse("representative_delete", args=[guardian.pk]), follow=True)
    assert response.status_code == 200
    assert "finns kvar i historiken" in response.content.decode()
    guardian.refresh_from_db()
    assert guardian.valid_until is not None
    assert not guardian.may_act_for_person
