"""The printable report: every table's numbers in the PDF's text with the period before, the
charts drawn, the sent-back-and-forth plans counted and never named, and only the project's own
static files fetched."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from samplan.documents.pdf import StaticOnlyFetcher
from samplan.statistics import report
from samplan.statistics.tables import Protected
from tests.documents.helpers import pdf_reader, pdf_text
from tests.statistics.sample_tables import BEFORE, PERIOD, attendance, by_state, lead_times


def content(**changes: object) -> report.ReportContent:
    values: dict[str, object] = {
        "period_from": PERIOD[0],
        "period_to": PERIOD[1],
        "previous_from": BEFORE[0],
        "previous_to": BEFORE[1],
        "organisation": "Ekbacka kommun",
        "threshold": 5,
        "tables": (
            by_state((4, 12, Protected(5))),
            lead_times(12.5, 40.0),
            attendance((("Ekbacka kommun", "Region Sjöland", "2026-Q3", 10, 7),)),
        ),
        "previous": (
            by_state((6, 10, 9), period=BEFORE),
            lead_times(10.0, 30.0),
            attendance((("Ekbacka kommun", "Region Sjöland", "2026-Q2", 8, 8),)),
        ),
        "back_and_forth_shown": 2,
        "back_and_forth_hidden": Protected(5),
        "created": date(2026, 12, 2),
    }
    values.update(changes)
    return report.ReportContent(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def rendered() -> tuple[bytes, StaticOnlyFetcher]:
    fetcher = StaticOnlyFetcher()
    return report.render_pdf(content(), fetcher=fetcher), fetcher


def test_the_report_prints_the_period_the_organisation_and_every_table(
    rendered: tuple[bytes, StaticOnlyFetcher],
) -> None:
    text = pdf_text(rendered[0])
    for expected in (
        "Samordning i siffror",
        "Ekbacka kommun: egna enheter och planer som organisationen deltar i",
        "2026-07-01 – 2026-09-30",
        "2026-04-01 – 2026-06-30",
        "Planer per tillstånd",
        "Tid från initiativ till första möte (dagar)",
        "Kallelser och närvaro",
        "Initierad 4",
        "Avslutad <5",
        "12,5",
        "Planer per tillstånd jämfört med perioden före",
        "Ytterligare <5 sådana planer",
    ):
        assert expected in text, expected


def test_the_report_is_tagged_swedish_and_fetches_only_its_own_stylesheets(
    rendered: tuple[bytes, StaticOnlyFetcher],
) -> None:
    data, fetcher = rendered
    assert sorted(fetcher.served) == [
        "samplan-static:documents/print.css",
        "samplan-static:statistics/report.css",
    ]
    assert fetcher.refused == []
    reader = pdf_reader(data)
    root: Any = reader.trailer["/Root"]
    assert root["/Lang"] == "sv"
    assert "/StructTreeRoot" in root
    assert "Samordning i siffror" in str(reader.metadata.title if reader.metadata else "")


def test_the_report_names_the_organisation_the_figures_are_narrowed_to() -> None:
    assert "Urval" not in report.render_html(content())
    html = report.render_html(content(selection="Region Sjöland"))
    assert '<th scope="row">Urval</th><td>Region Sjöland</td>' in html


def test_the_report_draws_the_charts_in_the_page() -> None:
    html = report.render_html(content())
    assert html.count('role="img"') == 3
    assert "Diagram: Planer per tillstånd" in html


def test_a_period_without_figures_prints_a_labelled_empty_report() -> None:
    empty = by_state((0, 0, 0))
    html = report.render_html(
        content(
            tables=(type(empty)(empty.key, empty.title, empty.columns, ()),),
            previous=(),
            back_and_forth_shown=0,
            back_and_forth_hidden=0,
        )
    )
    assert "Inga uppgifter för perioden." in html
    assert "0 planer" in html


def test_the_file_name_holds_the_period_only() -> None:
    assert report.filename(content()) == "statistik-20260701-20260930.pdf"
