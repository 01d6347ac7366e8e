"""The log extract for a person (HSLF-FS 2016:40 4 kap. 10 §), as CSV and PDF."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from samplan.accounts.models import User
from samplan.audit.extract import action_phrase, csv_lines
from samplan.audit.models import AuditEvent
from samplan.audit.services import record
from samplan.authz.actor import Actor
from samplan.directory.models import Person

pytestmark = pytest.mark.django_db

HEADER = ["Datum och tid", "Organisation", "Enhet", "Personal", "Vad som gjordes", "Utfall"]


@pytest.fixture
def ove() -> Person:
    return Person.objects.get(user__username="ove.demosson")


@pytest.fixture
def greta() -> Person:
    return Person.objects.get(given_name="Greta", family_name="Demosson")


@pytest.fixture
def reads(ove: Person, demo_user: Callable[[str], User]) -> tuple[AuditEvent, AuditEvent]:
    """Karin (Ekbacka kommun) and Sara (the region) read Ove's data."""
    karin = record(
        actor=Actor.for_user(demo_user("karin.holm")), action="person.read", obj=ove, ground="x"
    )
    sara = record(
        actor=Actor.for_user(demo_user("sara.lind")), action="plan.update", person=ove, ground="x"
    )
    return karin, sara


def get_csv(client: Client, person: Person, **params: str) -> list[list[str]]:
    response = client.get(reverse("audit_extract", args=[person.pk, "csv"]), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def assert_download_headers(response, person: Person, fmt: str) -> None:
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.endswith(f'.{fmt}"')
    assert person.identifier not in disposition
    assert person.identifier[2:8] not in disposition  # not even the birth date part
    assert re.search(r"\d{10}", disposition) is None
    assert "no-store" in response["Cache-Control"]


def test_person_gets_own_extract_as_csv(login, ove: Person, reads) -> None:
    client = login("ove.demosson")
    rows = get_csv(client, ove)
    assert rows[0] == HEADER
    body = rows[1:]
    assert [
        "Ekbacka kommun",
        "Socialpsykiatri Ekbacka",
        "Karin Holm",
        "Läste dina uppgifter",
        "Utfört",
    ] in [r[1:] for r in body]
    assert [
        "Region Sjöland",
        "Öppenpsykiatri Sjöstad",
        "Sara Lind",
        "Ändrade planen",
        "Utfört",
    ] in [r[1:] for r in body]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", r[0]) for r in body)
    response = client.get(reverse("audit_extract", args=[ove.pk, "csv"]))
    assert_download_headers(response, ove, "csv")
    made = AuditEvent.objects.filter(action="audit.extract", person=ove).latest("pk")
    assert made.actor is not None
    assert made.actor.username == "ove.demosson"
    assert (made.outcome, made.detail["format"]) == ("ok", "csv")


def test_person_gets_own_extract_as_pdf(login, ove: Person, reads, tmp_path) -> None:
    response = login("ove.demosson").get(reverse("audit_extract", args=[ove.pk, "pdf"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert_download_headers(response, ove, "pdf")
    pdftotext = shutil.which("pdftotext")
    if pdftotext:  # poppler-utils is optional on a developer's machine
        path = tmp_path / "extract.pdf"
        path.write_bytes(response.content)
        text = subprocess.run(
            [pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert ove.full_name in text
        assert "Socialpsykiatri Ekbacka" in text
        assert ove.identifier not in text


@pytest.mark.parametrize("fmt", ["csv", "pdf"])
def test_person_cannot_fetch_another_persons_extract(
    login, ove: Person, greta: Person, demo_user, fmt: str
) -> None:
    client = login("ove.demosson")
    response = client.get(reverse("audit_extract", args=[greta.pk, fmt]))
    assert response.status_code == 404
    refusal = AuditEvent.objects.latest("pk")
    assert refusal.actor == demo_user("ove.demosson")
    assert (refusal.action, refusal.outcome) == ("audit.extract_own", "denied")
    assert not AuditEvent.objects.filter(action="audit.extract", person=greta).exists()
    # A missing person looks the same as another person's.
    assert client.get(reverse("audit_extract", args=[999_999, fmt])).status_code == 404


def test_staff_without_review_role_gets_404(login, ove: Person) -> None:
    assert (
        login("karin.holm").get(reverse("audit_extract", args=[ove.pk, "csv"])).status_code == 404
    )


def test_unknown_format_is_404(login, ove: Person) -> None:
    assert login("ove.demosson").get(f"/audit/extract/{ove.pk}.xlsx").status_code == 404


def test_reviewer_extract_is_limited_to_own_organisation(login, ove: Person, reads) -> None:
    rows = get_csv(login("granskare.region"), ove)
    organisations = {r[1] for r in rows[1:]}
    assert organisations == {"Region Sjöland"}
    made = AuditEvent.objects.filter(action="audit.extract", person=ove).latest("pk")
    assert made.ground == "log review"


def test_period_filters_and_is_checked(login, ove: Person, reads) -> None:
    client = login("ove.demosson")
    assert get_csv(client, ove, period_from="2020-01-01", period_to="2020-01-31") == [HEADER]
    response = client.get(
        reverse("audit_extract", args=[ove.pk, "csv"]),
        {"period_from": "2026-05-01", "period_to": "2026-04-01"},
    )
    assert response.status_code == 400


def test_my_log_page(login, ove: Person) -> None:
    response = login("ove.demosson").get(reverse("my_log"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("audit_extract", args=[ove.pk, "pdf"]) in html
    assert reverse("audit_extract", args=[ove.pk, "csv"]) in html
    assert ove.identifier not in html


def test_my_log_is_404_for_staff(login) -> None:
    assert login("karin.holm").get(reverse("my_log")).status_code == 404


def test_action_codes_in_plain_swedish() -> None:
    assert action_phrase("consent.given") == "Registrerade ditt samtycke"
    assert action_phrase("plan.read") == "Läste planen"
    assert action_phrase("something.new") == "something.new"


def test_csv_cells_cannot_start_a_formula(ove: Person) -> None:
    from datetime import UTC, date, datetime

    from samplan.audit.extract import Extract, ExtractRow

    row = ExtractRow(
        at=datetime(2026, 3, 10, 12, tzinfo=UTC),
        organisation="=HYPERLINK(1)",
        unit="+1",
        staff="@me",
        what="-x",
        outcome="ok",
    )
    extract = Extract(ove, date(2026, 3, 1), date(2026, 3, 31), [row], [], row.at)
    [_, line] = list(csv.reader(io.StringIO("".join(csv_lines(extract))), delimiter=";"))
    assert line[1:5] == ["'=HYPERLINK(1)", "'+1", "'@me", "'-x"]
