"""CSV and XLSX of any table: formula injection escaped in every cell (headers, title and notes
included), numbers kept as numbers, protected counts written as "<5"."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date

import pytest
from django.utils import translation
from openpyxl import load_workbook

from samplan.statistics import exports
from samplan.statistics.tables import Protected
from tests.statistics.sample_tables import by_state, hostile, lead_times


@pytest.fixture(autouse=True)
def swedish() -> Iterator[None]:
    with translation.override("sv"):
        yield


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Region Sjöland", "Region Sjöland"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_a_text_that_starts_like_a_formula_gets_an_apostrophe(text: str, expected: str) -> None:
    assert exports.escape_text(text) == expected


def test_csv_escapes_every_text_cell_and_header_and_keeps_numbers() -> None:
    rows = read_csv(exports.render_csv(hostile()))
    assert rows[0] == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd"]
    assert rows[1] == ["'=cmd|' /C calc'!A0", "'\tTab", "-3", "2,5"]
    assert rows[2] == ["'\rCR", "'@SUM(1)", "<5", ""]
    assert rows[3] == ["Vanlig text", "Region Sjöland", "0", "-1,25"]
    for row in rows:
        for value in row:
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value
            assert not value.startswith("-") or value.lstrip("-").replace(",", "").isdigit()


def test_csv_of_an_ordinary_table() -> None:
    rows = read_csv(exports.render_csv(by_state((4, 12, Protected(5)))))
    assert rows == [
        ["Tillstånd", "Planer"],
        ["Initierad", "4"],
        ["Upprättad", "12"],
        ["Avslutad", "<5"],
    ]


def test_xlsx_escapes_every_text_cell_title_header_and_note_and_keeps_numbers() -> None:
    book = load_workbook(io.BytesIO(exports.render_xlsx(hostile())))
    sheet = book.active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == '\'=HYPERLINK("http://evil.example";"klicka")'
    assert values[1][0] == "Period: 2026-07-01 – 2026-09-30"
    assert values[3] == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd"]
    assert values[4] == ["'=cmd|' /C calc'!A0", "'\tTab", -3, 2.5]
    # XML keeps a carriage return as a line feed; the apostrophe is in front either way.
    assert values[5][0] in ("'\rCR", "'\nCR")
    assert values[5][1:3] == ["'@SUM(1)", "<5"]
    assert values[5][3] in (None, "")
    assert values[6] == ["Vanlig text", "Region Sjöland", 0, -1.25]
    assert values[8][0] == "'-en anteckning"
    kinds = {c.data_type for row in sheet.iter_rows() for c in row if c.value is not None}
    assert "f" not in kinds  # no cell is a formula
    assert sheet.cell(row=5, column=3).data_type == "n"


def test_xlsx_sheet_name_is_a_name_excel_accepts() -> None:
    book = load_workbook(io.BytesIO(exports.render_xlsx(hostile())))
    assert book.sheetnames[0] == '=HYPERLINK("http   evil.example";"klicka")'[:31]
    book = load_workbook(io.BytesIO(exports.render_xlsx(lead_times(12.5, 40.0))))
    assert book.active is not None
    assert [c.value for c in book.active[5]] == [12.5, 40.0]


def test_file_names_hold_the_table_and_the_period_only() -> None:
    assert (
        exports.filename(by_state((1, 2, 3)), "csv", today=date(2026, 12, 2))
        == "statistik-plans_by_state-20260701-20260930.csv"
    )


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        exports.render(by_state((1, 2, 3)), "ods")
