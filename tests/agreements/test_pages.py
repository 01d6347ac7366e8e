"""The agreements pages, the dispute form on a plan and booking a fixed SIP time: what a user
sees, bad input next to the field with nothing changed, refusals as 404s, query counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from samplan.agreements.models import Agreement, ResponsibilityDispute, SipTime
from samplan.audit.models import AuditEvent
from samplan.plans.models import Meeting
from tests.agreements.conftest import org, ove_plan, unit

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]


def ekbackas() -> Agreement:
    return Agreement.objects.get(parties=org("ekbacka"))


# The register ---------------------------------------------------------------------------------


def test_the_list_shows_the_parties_agreements_only(
    login: Login, django_assert_max_num_queries: Any
) -> None:
    client = login("karin.holm")
    client.get(reverse("agreement_list"))  # warm the session and content types
    # The page's own: the actor's roles, the agreements, their parties, the organisations
    # for the SIP links; the rest is the frame every page has (session, user, menu, inbox).
    with django_assert_max_num_queries(15):
        page = client.get(reverse("agreement_list")).content.decode()
    assert "Ekbacka kommun och Region Sjöland" in page
    assert "Strandviks kommun och Region Sjöland" not in page
    assert "Ny överenskommelse" not in page  # staff, not an administrator
    region_page = login("omar.haddad").get(reverse("agreement_list")).content.decode()
    assert "Ekbacka kommun och Region Sjöland" in region_page
    assert "Strandviks kommun och Region Sjöland" in region_page


def test_the_list_costs_the_same_with_more_agreements(
    login: Login, django_assert_max_num_queries: Any
) -> None:
    client = login("omar.haddad")
    client.get(reverse("agreement_list"))
    with django_assert_max_num_queries(15) as before:
        client.get(reverse("agreement_list"))
    for n in range(5):
        a = Agreement.objects.create(title=f"Extra {n}", valid_from=date(2025, 1, 1))
        a.parties.set([org("region"), org("ekbacka")])
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(reverse("agreement_list"))


def test_the_detail_shows_contacts_escalation_and_open_disputes(
    login: Login, django_assert_max_num_queries: Any
) -> None:
    client = login("admin.ekbacka")
    url = reverse("agreement_detail", args=[ekbackas().pk])
    client.get(url)
    # 18: the header's menu asks whether the register has an agreement to show (one query,
    # tests/test_menu.py); the page's own check is of this agreement.
    with django_assert_max_num_queries(18):
        page = client.get(url).content.decode()
    assert "Kerstin Samverkansson" in page
    assert "Rebecka Regionsson" in page
    assert "verksamhetscheferna" in page
    assert "Ändra överenskommelsen" in page
    assert "<dd>1</dd>" in page  # Ove's open dispute


def test_another_municipality_gets_the_same_404_as_for_a_missing_agreement(login: Login) -> None:
    client = login("johan.dahl")
    assert client.get(reverse("agreement_detail", args=[ekbackas().pk])).status_code == 404
    assert client.get(reverse("agreement_detail", args=[999999])).status_code == 404
    assert AuditEvent.objects.filter(
        action="agreement.view", outcome="denied", actor__username="johan.dahl"
    ).exists()


def test_an_administrator_registers_an_agreement_through_the_form(login: Login) -> None:
    client = login("admin.strandvik")
    data = {
        "title": "Demens och somatik",
        "parties": [org("strandvik").pk, org("region").pk],
        "target_groups": ["dementia_somatic"],
        "valid_from": "2026-01-01",
        "valid_to": "",
        "escalation": "Enhetschef till verksamhetschef",
    }
    response = client.post(reverse("agreement_create"), data)
    created = Agreement.objects.get(title="Demens och somatik")
    assert response.status_code == 302
    assert response["Location"] == created.get_absolute_url()


def test_an_end_before_the_start_is_refused_next_to_the_field(login: Login) -> None:
    client = login("admin.ekbacka")
    agreement = ekbackas()
    data = {
        "title": agreement.title,
        "parties": [org("ekbacka").pk, org("region").pk],
        "valid_from": "2026-05-01",
        "valid_to": "2026-04-30",
    }
    response = client.post(reverse("agreement_edit", args=[agreement.pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Slutdatumet kan inte vara före startdatumet." in page
    assert 'aria-invalid="true"' in page
    agreement.refresh_from_db()
    assert agreement.valid_from == date(2024, 1, 1)
    assert agreement.valid_to is None


def test_staff_may_not_open_the_edit_pages(login: Login) -> None:
    client = login("karin.holm")
    assert client.get(reverse("agreement_edit", args=[ekbackas().pk])).status_code == 404
    assert client.get(reverse("agreement_create")).status_code == 404
    assert client.get(reverse("sip_time_add", args=[org("ekbacka").pk])).status_code == 404


# SIP leads and fixed SIP times ----------------------------------------------------------------


def test_the_sip_page_lists_leads_and_times(
    login: Login, django_assert_max_num_queries: Any
) -> None:
    client = login("karin.holm")
    url = reverse("sip_settings", args=[org("ekbacka").pk])
    client.get(url)
    with django_assert_max_num_queries(17):
        page = client.get(url).content.decode()
    assert "Karin Holm" in page
    assert "Tisdagar 09:00–12:00" in page
    assert "Beroendevård Sjöstad" in page
    assert "Ny fast SIP-tid" not in page


def test_an_overlapping_sip_time_is_refused_next_to_the_field(login: Login) -> None:
    client = login("admin.ekbacka")
    before = SipTime.objects.count()
    response = client.post(
        reverse("sip_time_add", args=[org("ekbacka").pk]),
        {
            "weekday": "1",
            "start": "11:00",
            "end": "13:00",
            "units": [unit("Öppenpsykiatri Sjöstad").pk],
            "valid_from": "2026-01-01",
        },
    )
    assert response.status_code == 400
    assert "överlappar en annan fast SIP-tid" in response.content.decode()
    assert SipTime.objects.count() == before


# The plan page's block and the dispute form -----------------------------------------------------


def test_the_plan_page_shows_the_open_dispute_and_the_legal_basis(login: Login) -> None:
    page = login("omar.haddad").get(ove_plan().get_absolute_url()).content.decode()
    assert "Oenighet om ansvar" in page
    assert "Vem ansvarar för behandlingen av missbruket" in page
    assert "Öppen" in page
    assert "16 kap. 4 § hälso- och sjukvårdslagen (2017:30)" in page
    assert "Registrera lösning" in page  # his unit is named in the dispute
    assert "Registrera oenighet om ansvar</a>" not in page  # not the plan's editor


def test_the_plan_pages_queries_do_not_grow_with_disputes(
    login: Login, django_assert_max_num_queries: Any
) -> None:
    client = login("karin.holm")
    plan = ove_plan()
    client.get(plan.get_absolute_url())
    with django_assert_max_num_queries(200) as before:
        client.get(plan.get_absolute_url())
    first = ResponsibilityDispute.objects.get()
    for n in range(4):
        dispute = ResponsibilityDispute.objects.create(
            plan=plan,
            subject=f"Fråga {n}",
            recorded_by=first.recorded_by,
            recorded_unit=first.recorded_unit,
            agreement=first.agreement,
        )
        dispute.units.set(first.units.all())
    with django_assert_max_num_queries(len(before.captured_queries)):
        page = client.get(plan.get_absolute_url()).content.decode()
    assert "Fråga 3" in page


def test_recording_a_dispute_through_the_form(login: Login) -> None:
    client = login("karin.holm")
    plan = ove_plan()
    url = reverse("dispute_record", args=[plan.pk])
    bad = client.post(url, {"units": [unit("Socialpsykiatri Ekbacka").pk], "subject": "x"})
    assert bad.status_code == 400
    assert "Välj minst två enheter som är oense." in bad.content.decode()
    assert ResponsibilityDispute.objects.count() == 1
    # Refused input touching the plan is audited by field, never by what was typed.
    refused = AuditEvent.objects.filter(action="dispute.record", outcome="invalid").latest("pk")
    assert refused.detail == {"fields": ["units"]}
    assert refused.person == plan.person
    outside = client.post(
        url,
        {
            "units": [unit("Socialpsykiatri Ekbacka").pk, unit("Beroendevård Sjöstad").pk],
            "subject": "x",
        },
    )
    # Not a unit of the plan: the form does not offer it, and nothing is recorded.
    assert outside.status_code == 400
    assert ResponsibilityDispute.objects.count() == 1
    good = client.post(
        url,
        {
            "units": [unit("Socialpsykiatri Ekbacka").pk, unit("Öppenpsykiatri Sjöstad").pk],
            "subject": "Vem ordnar boendestödet?",
        },
    )
    assert good.status_code == 302
    assert good["Location"].endswith("#disputes")
    assert ResponsibilityDispute.objects.filter(subject="Vem ordnar boendestödet?").exists()


def test_a_participant_records_no_dispute_and_resolves_one_his_unit_is_in(login: Login) -> None:
    client = login("omar.haddad")
    plan = ove_plan()
    assert client.get(reverse("dispute_record", args=[plan.pk])).status_code == 404
    dispute = ResponsibilityDispute.objects.get()
    url = reverse("dispute_resolve", args=[plan.pk, dispute.pk])
    assert client.post(url, {"resolution": ""}).status_code == 400
    response = client.post(url, {"resolution": "Psykiatrin tar huvudansvaret."})
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.resolved_at is not None
    page = client.get(plan.get_absolute_url()).content.decode()
    assert "Löst" in page
    assert "Psykiatrin tar huvudansvaret." in page


# Booking a fixed SIP time -----------------------------------------------------------------------


def test_the_meeting_form_offers_the_sip_times_that_suit_the_chosen_units(
    login: Login, django_assert_max_num_queries: Any
) -> None:
    client = login("karin.holm")
    plan = ove_plan()
    url = reverse("meeting_schedule", args=[plan.pk])
    client.get(url)
    with django_assert_max_num_queries(40):
        page = client.get(url).content.decode()
    # The plan's units (Ekbacka's social psychiatry and the region's psychiatry) keep
    # Tuesdays 9-12: the next Tuesdays are offered.
    assert "Fast SIP-tid" in page
    assert "tisdag" in page
    assert "kl. 09:00–12:00 (Ekbacka kommun)" in page
    # Shown again for other units: the primary care keeps no SIP time.
    shown = client.post(
        url,
        {
            "units": [unit("Öppenpsykiatri Sjöstad").pk, unit("Vårdcentral Ekbacka").pk],
            "agenda": "Samordning",
            "show_sip_times": "1",
        },
    )
    assert shown.status_code == 200
    text = shown.content.decode()
    assert "Ingen fast SIP-tid passar alla valda enheter" in text
    assert "Samordning" in text  # what was typed is kept
    assert Meeting.objects.filter(plan=plan).count() == 1


def test_booking_a_fixed_sip_time_through_the_form(login: Login) -> None:
    client = login("karin.holm")
    plan = ove_plan()
    url = reverse("meeting_schedule", args=[plan.pk])
    page = client.get(url).content.decode()
    key = page.split('name="sip_slot" value="')[2].split('"')[0]  # the first date offered
    units = [unit("Socialpsykiatri Ekbacka").pk, unit("Öppenpsykiatri Sjöstad").pk]
    response = client.post(
        url,
        {"units": units, "sip_slot": key, "mode": "digital", "video_url": "https://v.example/x"},
    )
    assert response.status_code == 302
    meeting = Meeting.objects.filter(plan=plan).latest("pk")
    assert meeting.sip_time is not None
    assert meeting.sip_time.weekday == 1
    assert "Fast SIP-tid</span>" in client.get(plan.get_absolute_url()).content.decode()
    # Without a SIP time and without a time: the time is asked for next to the field.
    bad = client.post(url, {"units": units, "mode": "digital", "video_url": "https://v.example"})
    assert bad.status_code == 400
    assert "Ange tiden, eller välj en fast SIP-tid." in bad.content.decode()
