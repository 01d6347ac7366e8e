"""A `Table` as CSV (for Excel: semicolons, UTF-8 with a byte order mark) or XLSX (openpyxl).

Every text cell, the headers and the title included, is escaped against formula injection
(OWASP, "CSV Injection"): a text starting with `=`, `+`, `-`, `@`, a tab or a carriage return
gets a leading apostrophe, so that a spreadsheet shows it instead of running it. Numbers stay
numbers (a negative count is a number, not a formula). A protected count is written as its
text, "<5". Nothing here computes a figure; the file holds what the page shows.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font

from samplan.statistics.tables import Cell, Protected, Table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# What Excel refuses in a sheet's name.
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def escape_text(value: str) -> str:
    """A text that a spreadsheet would read as a formula, made plain text."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def export_value(cell: Cell) -> int | float | str:
    """What a cell holds in a file: numbers as numbers, everything else as escaped text."""
    if cell is None:
        return ""
    if isinstance(cell, Protected):
        return escape_text(str(cell))
    if isinstance(cell, bool):
        return escape_text(_("ja") if cell else _("nej"))
    if isinstance(cell, int | float):
        return cell
    return escape_text(str(cell))


def _csv_number(value: int | float) -> str:
    # Swedish Excel reads a decimal comma as a number in a semicolon-separated file.
    return str(value) if isinstance(value, int) else repr(value).replace(".", ",")


def _period(table: Table) -> str:
    if table.period_from and table.period_to:
        return _("Period: %(from)s – %(to)s") % {
            "from": table.period_from.isoformat(),
            "to": table.period_to.isoformat(),
        }
    return ""


def render_csv(table: Table) -> bytes:
    """The table's header row and rows; the title, the period and the notes are left to the
    file name and the page, so that the file opens as one plain table."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([escape_text(column.label) for column in table.columns])
    for row in table.rows:
        writer.writerow(
            [
                _csv_number(value) if isinstance(value, int | float) else value
                for value in (export_value(cell) for cell in row)
            ]
        )
    # A byte order mark, so that Excel reads the file as UTF-8 (å, ä, ö).
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def _sheet_title(table: Table) -> str:
    name = _SHEET_NAME_BAD.sub(" ", table.title).strip().strip("'") or table.key
    return name[:31]


def render_xlsx(table: Table) -> bytes:
    """One sheet: the title, the period, a blank line, the header row, the rows, the notes."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _sheet_title(table)
    bold = Font(bold=True)

    def put(row: int, col: int, value: int | float | str, *, strong: bool = False) -> None:
        cell = sheet.cell(row=row, column=col)
        cell.value = value
        if isinstance(value, str):
            # openpyxl takes a text starting with "=" for a formula; this one never is.
            cell.data_type = TYPE_STRING
        if strong:
            cell.font = bold

    put(1, 1, escape_text(table.title), strong=True)
    period = _period(table)
    if period:
        put(2, 1, escape_text(period))
    header = 4
    for col, column in enumerate(table.columns, 1):
        put(header, col, escape_text(column.label), strong=True)
    for n, row in enumerate(table.rows, header + 1):
        for col, cell in enumerate(row, 1):
            put(n, col, export_value(cell))
    last = header + len(table.rows)
    for n, note in enumerate(table.notes, last + 2):
        put(n, 1, escape_text(note))
    sheet.freeze_panes = sheet.cell(row=header + 1, column=1)
    for col, column in enumerate(table.columns, 1):
        widest = max([len(column.label), *(len(str(r[col - 1] or "")) for r in table.rows)])
        sheet.column_dimensions[sheet.cell(row=header, column=col).column_letter].width = min(
            max(10, widest + 2), 50
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(table: Table, fmt: str) -> bytes:
    if fmt == "csv":
        return render_csv(table)
    if fmt == "xlsx":
        return render_xlsx(table)
    raise ValueError(f"unknown export format {fmt!r}")


def filename(table: Table, fmt: str, *, today: date) -> str:
    """The table's key and the period (or today): no name, nothing that identifies anyone."""
    if table.period_from and table.period_to:
        span = f"{table.period_from:%Y%m%d}-{table.period_to:%Y%m%d}"
    else:
        span = f"{today:%Y%m%d}"
    return f"statistik-{table.key}-{span}.{fmt}"
