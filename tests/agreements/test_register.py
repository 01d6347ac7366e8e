"""The agreements register, SIP leads and fixed SIP times: who may write them, and bad input
refused next to the field with nothing changed."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError

from samplan.accounts.models import User
from samplan.agreements import services
from samplan.agreements.models import Agreement, SipLead, SipTime, Weekday
from samplan.audit.models import AuditEvent
from samplan.authz import policy as authz
from samplan.authz.policy import Action, Denied
from tests.agreements.conftest import actor, org, unit

pytestmark = pytest.mark.django_db


def fields(**kw: object) -> services.AgreementFields:
    args: dict[str, object] = {
        "title": "Överenskommelse om äldre med demens",
        "parties": (org("strandvik"), org("region")),
        "valid_from": date(2026, 1, 1),
        "target_groups": ("dementia_somatic",),
        "escalation": "Enhetschef till verksamhetschef.",
    }
    args.update(kw)
    return services.AgreementFields(**args)  # type: ignore[arg-type]


def test_an_administrator_of_a_party_registers_an_agreement_audited() -> None:
    agreement = services.agreement_create(actor=actor("admin.strandvik"), fields=fields())
    assert set(agreement.parties.all()) == {org("strandvik"), org("region")}
    assert agreement.target_groups == ["dementia_somatic"]
    event = AuditEvent.objects.get(action="agreement.create", object_id=str(agreement.pk))
    assert event.actor_organisation == org("strandvik")
    assert event.person is None


def test_only_a_partys_administrator_may_register_or_edit() -> None:
    before = Agreement.objects.count()
    for username in ("karin.holm", "chef.region"):
        with pytest.raises(Denied):
            services.agreement_create(actor=actor(username), fields=fields())
    # An administrator of another organisation: told next to the field.
    with pytest.raises(ValidationError) as exc:
        services.agreement_create(actor=actor("admin.ekbacka"), fields=fields())
    assert "parties" in exc.value.message_dict
    assert Agreement.objects.count() == before
    ekbackas = Agreement.objects.get(parties=org("ekbacka"))
    with pytest.raises(Denied):
        services.agreement_update(
            actor=actor("admin.strandvik"), agreement=ekbackas, fields=fields()
        )
    # Nobody removes the own organisation from an agreement and keeps writing to it: said
    # next to the field, nothing changed.
    with pytest.raises(ValidationError, match="som du administrerar"):
        services.agreement_update(
            actor=actor("admin.ekbacka"),
            agreement=ekbackas,
            fields=fields(parties=(org("strandvik"), org("region"))),
        )
    assert org("ekbacka") in ekbackas.parties.all()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"valid_to": date(2025, 12, 31)}, "valid_to", "före startdatumet"),
        ({"title": " "}, "title", "rubrik"),
        ({"parties": ()}, "parties", "minst två parter"),
        ({"target_groups": ("nonsense",)}, "target_groups", "Okänd målgrupp"),
    ],
)
def test_bad_agreement_input_is_refused_next_to_the_field(
    change: dict[str, object], field: str, message: str
) -> None:
    before = Agreement.objects.count()
    if change.get("parties") == ():
        change = {"parties": (org("strandvik"),)}
    with pytest.raises(ValidationError) as exc:
        services.agreement_create(actor=actor("admin.strandvik"), fields=fields(**change))
    assert message in " ".join(exc.value.message_dict[field])
    assert Agreement.objects.count() == before


def test_agreement_contacts_belong_to_a_party() -> None:
    agreement = Agreement.objects.get(parties=org("strandvik"))
    with pytest.raises(ValidationError) as exc:
        services.agreement_contact_add(
            actor=actor("admin.strandvik"),
            agreement=agreement,
            organisation=org("fk"),
            name="Fia Fel",
            email="fia@example.org",
        )
    assert "organisation" in exc.value.message_dict
    contact = services.agreement_contact_add(
        actor=actor("admin.strandvik"),
        agreement=agreement,
        organisation=org("strandvik"),
        name="Ny Kontakt",
        email="ny@strandvik.example",
    )
    services.agreement_contact_remove(actor=actor("admin.region"), contact=contact)
    assert not agreement.contacts.filter(name="Ny Kontakt").exists()


def test_visibility_staff_of_the_parties_see_the_agreement_others_do_not() -> None:
    ekbackas = Agreement.objects.get(parties=org("ekbacka"))
    assert authz.can(actor("karin.holm"), Action.AGREEMENT_VIEW, ekbackas)
    assert authz.can(actor("omar.haddad"), Action.AGREEMENT_VIEW, ekbackas)  # region staff
    assert not authz.can(actor("johan.dahl"), Action.AGREEMENT_VIEW, ekbackas)
    assert not authz.can(actor("hanna.fors"), Action.AGREEMENT_VIEW, ekbackas)
    assert authz.can(actor("admin.ekbacka"), Action.AGREEMENT_EDIT, ekbackas)
    assert not authz.can(actor("karin.holm"), Action.AGREEMENT_EDIT, ekbackas)


def test_sip_leads_work_in_the_organisation() -> None:
    with pytest.raises(ValidationError) as exc:
        services.sip_lead_add(
            actor=actor("admin.strandvik"),
            organisation=org("strandvik"),
            user=User.objects.get(username="karin.holm"),
        )
    assert "user" in exc.value.message_dict
    with pytest.raises(ValidationError):  # already a lead
        services.sip_lead_add(
            actor=actor("admin.strandvik"),
            organisation=org("strandvik"),
            user=User.objects.get(username="johan.dahl"),
        )
    with pytest.raises(Denied):
        services.sip_lead_add(
            actor=actor("admin.ekbacka"),
            organisation=org("strandvik"),
            user=User.objects.get(username="sofia.ahmed"),
        )
    lead = services.sip_lead_add(
        actor=actor("admin.strandvik"),
        organisation=org("strandvik"),
        user=User.objects.get(username="sofia.ahmed"),
    )
    services.sip_lead_remove(actor=actor("admin.strandvik"), lead=lead)
    assert not SipLead.objects.filter(pk=lead.pk).exists()
    assert AuditEvent.objects.filter(action="sip_lead.remove").exists()


def add_time(**kw: object) -> SipTime:
    args: dict[str, object] = {
        "actor": actor("admin.strandvik"),
        "organisation": org("strandvik"),
        "weekday": Weekday.THURSDAY,
        "start": time(15),
        "end": time(17),
        "units": [unit("Socialpsykiatri Strandvik")],
        "valid_from": date(2026, 1, 1),
    }
    args.update(kw)
    return services.sip_time_add(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({}, "start", "överlappar"),  # Thursdays 13-16 already hold this unit
        ({"start": time(12), "end": time(11)}, "end", "sluta efter"),
        ({"valid_to": date(2025, 12, 1), "weekday": 0}, "valid_to", "före startdatumet"),
        ({"units": [], "weekday": 0}, "units", "minst en enhet"),
        (
            {"units": ["Lokalt försäkringscenter Sjöstad"], "weekday": 0},
            "units",
            "överenskommelse",
        ),
    ],
)
def test_bad_sip_time_input_is_refused_next_to_the_field(
    change: dict[str, object], field: str, message: str
) -> None:
    before = SipTime.objects.count()
    if "units" in change:
        change = {**change, "units": [unit(str(name)) for name in change["units"]]}  # type: ignore[attr-defined]
    with pytest.raises(ValidationError) as exc:
        add_time(**change)
    assert message in " ".join(exc.value.message_dict[field])
    assert SipTime.objects.count() == before


def test_a_sip_time_may_be_kept_by_a_partners_units_and_ended() -> None:
    # Not overlapping: another weekday, or after the other one ended.
    monday = add_time(weekday=Weekday.MONDAY, units=[unit("Öppenpsykiatri Sjöstad")])
    assert monday.units.get().organisation == org("region")
    thursday = SipTime.objects.get(organisation=org("strandvik"), weekday=Weekday.THURSDAY)
    services.sip_time_end(
        actor=actor("admin.strandvik"), sip_time=thursday, valid_to=date(2026, 3, 1)
    )
    later = add_time(valid_from=date(2026, 3, 2))
    assert later.pk
    with pytest.raises(ValidationError):
        services.sip_time_end(
            actor=actor("admin.strandvik"), sip_time=later, valid_to=date(2026, 1, 1)
        )
    with pytest.raises(Denied):
        services.sip_time_end(
            actor=actor("admin.ekbacka"), sip_time=later, valid_to=date(2027, 1, 1)
        )
