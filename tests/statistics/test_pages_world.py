"""The statistics page with the real access helper on the demo world: the demo managers see
their figures, everyone else gets 404, and the page's queries are counted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from samplan.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/statistics/"
MANAGERS = ("chef.ekbacka", "chef.strandvik", "chef.region")


@pytest.mark.parametrize("username", MANAGERS)
def test_a_demo_manager_sees_the_figures_with_charts_and_export_links(
    login: Callable[[str], Client], username: str
) -> None:
    response = login(username).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Statistik</h1>" in html
    assert "Siffror för " in html
    assert 'id="table-attendance"' in html
    assert 'href="/statistics/export/attendance.csv?' in html
    assert 'href="/statistics/report.pdf?' in html


def test_the_municipality_sees_charts_of_its_figures(login: Callable[[str], Client]) -> None:
    html = login("chef.ekbacka").get(URL).content.decode()
    assert 'role="img"' in html
    assert "Diagram: " in html


@pytest.mark.parametrize("username", ["karin.holm", "admin.ekbacka", "ove.demosson", "admin"])
def test_anyone_else_gets_404_and_the_refusal_is_audited(
    login: Callable[[str], Client], username: str
) -> None:
    client = login(username)
    for url in (URL, "/statistics/export/attendance.csv", "/statistics/report.pdf"):
        assert client.get(url).status_code == 404
        assert client.get(url, {"period_from": "x"}).status_code == 404
    assert AuditEvent.objects.filter(
        actor__username=username, action="statistics.view", outcome="denied"
    ).exists()


def test_a_period_in_the_wrong_order_is_400_next_to_the_field(
    login: Callable[[str], Client],
) -> None:
    response = login("chef.ekbacka").get(
        URL, {"period_from": "2026-09-30", "period_to": "2026-01-01"}
    )
    assert response.status_code == 400
    assert "Slutdatumet kan inte ligga före startdatumet." in response.content.decode()


def test_a_period_the_helper_refuses_is_400_next_to_the_field_with_the_default_quarter(
    login: Callable[[str], Client],
) -> None:
    # Longer than the helper takes (ten years): its message, next to the end date.
    response = login("chef.ekbacka").get(
        URL, {"period_from": "1990-01-01", "period_to": "2026-09-30"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#id_period_to"' in html
    assert "1990-01-01 –" not in html


def test_an_organisation_the_manager_may_not_filter_on_is_400_next_to_the_field(
    login: Callable[[str], Client],
) -> None:
    response = login("chef.ekbacka").get(URL, {"organisation": "987654"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#id_organisation"' in html
    assert "<h1>Statistik</h1>" in html


def test_a_period_with_no_data_is_an_empty_labelled_result(
    login: Callable[[str], Client],
) -> None:
    response = login("chef.ekbacka").get(
        URL, {"period_from": "1990-01-01", "period_to": "1990-03-31"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "1990-01-01 – 1990-03-31" in html


def test_the_exports_and_the_report_answer_for_a_manager(
    login: Callable[[str], Client],
) -> None:
    client = login("chef.ekbacka")
    csv = client.get("/statistics/export/attendance.csv")
    assert csv.status_code == 200
    assert csv.content.startswith("\ufeff".encode())
    xlsx = client.get("/statistics/export/plans_by_state.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.content.startswith(b"PK")
    pdf = client.get("/statistics/report.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")


def test_the_page_query_count_is_bounded(
    login: Callable[[str], Client], django_assert_max_num_queries: Any
) -> None:
    client = login("chef.region")
    client.get(URL)  # warm the caches a first request fills (content types, sessions)
    # 44 measured (SQLite, the region's manager): the base layout's ten, the rest the access
    # helper's figures for the period and the period before; none per row shown.
    with django_assert_max_num_queries(48):
        assert client.get(URL).status_code == 200
