"""A plan's documents on the plan page, the person's own page and the REST API: the same
list, the caller's own record copy only, each download audited, bad input answered."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.audit.models import AuditEvent, Outcome
from samplan.directory.models import Organisation
from samplan.plans.models import Plan
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

DOWNLOAD_LINK = re.compile(r'<a href="([^"]+/documents/[^"]+)" download>([^<]+)</a>')


def ove_plan() -> Plan:
    return Plan.objects.select_related("person").get(person__given_name="Ove")


def api_as(username: str) -> ApiClient:
    _token, clear = api_token_create(user=User.objects.get(username=username))
    return ApiClient(clear)


def links_on(client: Client, url: str) -> dict[str, str]:
    """title -> url of each download link on the page."""
    html = client.get(url).content.decode()
    return {title: href.replace("&amp;", "&") for href, title in DOWNLOAD_LINK.findall(html)}


def test_the_plan_page_and_the_api_list_the_same_documents(
    login: Callable[[str], Client],
) -> None:
    plan = ove_plan()
    page = links_on(login("karin.holm"), reverse("plan_detail", args=[plan.pk]))
    response = api_as("karin.holm").get(f"plans/{plan.pk}/documents")
    assert response.status_code == 200
    items = response.json()["items"]
    assert {i["title"] for i in items if i["available"]} == set(page)
    kinds = {i["kind"] for i in items}
    assert {"plan", "record_copy", "plain_language", "large_print", "braille", "audio"} <= kinds
    # Only the record copy of the organisation the staff member acts for.
    copies = [i for i in items if i["kind"] == "record_copy"]
    assert [c["title"] for c in copies] == ["Kopia för akten hos Ekbacka kommun"]


def test_a_download_is_the_document_and_is_audited(login: Callable[[str], Client]) -> None:
    plan = ove_plan()
    client = login("karin.holm")
    links = links_on(client, reverse("plan_detail", args=[plan.pk]))
    response = client.get(links["Kopia för akten hos Ekbacka kommun"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.filter(action="plan.document").latest("pk")
    assert event.person_id == plan.person_id
    assert event.detail["kind"] == "record_copy"
    assert event.actor is not None
    assert event.actor.username == "karin.holm"


def test_another_organisations_record_copy_is_refused_like_a_missing_plan(
    login: Callable[[str], Client],
) -> None:
    plan = ove_plan()
    region = Organisation.objects.get(kind="region")
    url = reverse("plan_document", args=[plan.pk, "record_copy"])
    response = login("karin.holm").get(url, {"organisation": region.pk})
    assert response.status_code == 404
    assert AuditEvent.objects.filter(
        action="plan.view", outcome=Outcome.DENIED, actor__username="karin.holm"
    ).exists()
    assert not AuditEvent.objects.filter(action="plan.document").exists()


def test_staff_without_the_plan_get_no_list_and_no_document(
    login: Callable[[str], Client],
) -> None:
    plan = ove_plan()
    outsider = "admin.strandvik"
    assert api_as(outsider).get(f"plans/{plan.pk}/documents").status_code == 404
    url = reverse("plan_document", args=[plan.pk, "plan"])
    assert login(outsider).get(url).status_code == 404


def test_the_person_has_the_same_formats_on_his_own_page_but_no_record_copy(
    login: Callable[[str], Client],
) -> None:
    plan = ove_plan()
    client = login("ove.demosson")
    links = links_on(client, reverse("my_plan", args=[plan.pk]))
    assert "Lättläst" in links
    assert not any(title.startswith("Kopia för akten") for title in links)
    response = client.get(links["Lättläst"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "Ove" in response.content.decode()
    event = AuditEvent.objects.filter(action="plan.document_own").latest("pk")
    assert (event.person_id, event.ground) == (plan.person_id, "the person")
    # A record copy is not the person's to take, even asked for by hand.
    own_copy = reverse("my_plan_document", args=[plan.pk, "record_copy"])
    org = Organisation.objects.get(name="Ekbacka kommun")
    assert client.get(own_copy, {"organisation": org.pk}).status_code == 404


def test_bad_ids_in_the_query_get_a_plain_message_and_nothing_is_made(
    login: Callable[[str], Client],
) -> None:
    plan = ove_plan()
    client = login("karin.holm")
    url = reverse("plan_document", args=[plan.pk, "record_copy"])
    for bad in ("abc", "0", str(2**64)):
        response = client.get(url, {"organisation": bad})
        assert response.status_code == 400
        assert "Det finns inget sådant dokument" in response.content.decode()
    assert client.get(reverse("plan_document", args=[plan.pk, "nonsense"])).status_code == 400
    response = api_as("karin.holm").get(f"plans/{plan.pk}/documents/record_copy?organisation=x")
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="plan.document").exists()


def test_a_missing_tool_is_named_and_the_other_formats_keep_working(
    login: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = ove_plan()
    real_which = shutil.which
    monkeypatch.setattr(
        shutil, "which", lambda name: None if name == "espeak-ng" else real_which(name)
    )
    client = login("karin.holm")
    html = client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    assert "paketet espeak-ng är installerat" in html
    response = client.get(reverse("plan_document", args=[plan.pk, "audio"]))
    assert response.status_code == 503
    assert "espeak-ng" in response.content.decode()
    assert client.get(reverse("plan_document", args=[plan.pk, "plan"])).status_code == 200
    api = api_as("karin.holm").get(f"plans/{plan.pk}/documents")
    audio = next(i for i in api.json()["items"] if i["kind"] == "audio")
    assert (audio["available"], audio["missing_package"]) == (False, "espeak-ng")


def test_staff_can_make_a_deidentified_summary_that_names_its_maker_not_the_person(
    login: Callable[[str], Client],
) -> None:
    plan = ove_plan()
    client = login("karin.holm")
    links = links_on(client, reverse("plan_detail", args=[plan.pk]))
    response = client.get(links["Avidentifierad sammanfattning"])
    assert response.status_code == 200
    text = response.content.decode()
    first_line = text.splitlines()[0]
    assert first_line.startswith("Avidentifierad sammanfattning, gjord av Karin Holm")
    person = plan.person
    for identifying in (person.given_name, person.family_name, person.identifier):
        assert identifying not in text
    event = AuditEvent.objects.filter(action="plan.document").latest("pk")
    assert (event.person_id, event.detail["kind"]) == (person.pk, "deidentified")
    # Not one of the person's own documents.
    own = links_on(login("ove.demosson"), reverse("my_plan", args=[plan.pk]))
    assert "Avidentifierad sammanfattning" not in own
