"""Reading an import file (CSV or Excel .xlsx) into lines of cells, and writing one (for the
sample export and tests). Nothing here knows what a plan is; `records.py` reads the cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from samplan.plans.imports.columns import COLUMNS, REQUIRED, header_key

SUFFIXES = (".csv", ".xlsx")
# A larger file is refused before it is read: an export of a whole region's history is a few
# hundred thousand lines, far below this.
MAX_BYTES = 200 * 1024 * 1024


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, wrong kind, missing columns).
    Nothing is written."""

    def __init__(self, sv: str, en: str) -> None:
        super().__init__(f"{sv} / {en}")
        self.sv = sv
        self.en = en


@dataclass
class Table:
    """The file's lines: each a line number (the header is line 1) and its cells by column."""

    kind: str  # "csv" or "xlsx"
    lines: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def read_table(path: Path) -> Table:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportFileError(
            "Filen ska vara en CSV-fil (.csv) eller en Excel-fil (.xlsx).",
            "The file must be a CSV file (.csv) or an Excel file (.xlsx).",
        )
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ImportFileError("Filen är för stor.", "The file is too large.")
        rows = _csv_rows(path) if suffix == ".csv" else _xlsx_rows(path)
        return _table(suffix[1:], rows)
    except OSError:
        raise ImportFileError("Filen går inte att läsa.", "The file cannot be read.") from None


def _table(kind: str, rows: Iterable[tuple[int, list[str]]]) -> Table:
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        raise ImportFileError("Filen är tom.", "The file is empty.")
    header = [header_key(h) for h in first[1]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        names = ", ".join(missing)
        raise ImportFileError(
            f"Kolumner saknas i filens första rad: {names}. Ingenting importerades.",
            f"Columns missing from the file's first line: {names}. Nothing was imported.",
        )
    table = Table(kind=kind, ignored_columns=[h for h in header if h and h not in COLUMNS])
    for line, cells in iterator:
        if not any(c.strip() for c in cells):
            continue
        values = {
            name: cells[i].strip() if i < len(cells) else ""
            for i, name in enumerate(header)
            if name in COLUMNS
        }
        table.lines.append((line, values))
    return table


def _csv_rows(path: Path) -> Iterable[tuple[int, list[str]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older Swedish Excel writes CSV in Windows-1252.
        text = raw.decode("cp1252", errors="replace")
    first_line = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error:
        raise ImportFileError(
            f"CSV-filen går inte att läsa från rad {start}.",
            f"The CSV file cannot be read from line {start}.",
        ) from None
    return rows


def _xlsx_rows(path: Path) -> Iterable[tuple[int, list[str]]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError):
        raise ImportFileError(
            "Excel-filen går inte att läsa.", "The Excel file cannot be read."
        ) from None
    try:
        sheet = book.worksheets[0]
        return [
            (n, [_cell_text(v) for v in values])
            for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_table(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Write a CSV (semicolon-separated, UTF-8 with a byte order mark, as Swedish Excel reads
    it) or an .xlsx file, by the path's suffix."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("Planer")
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
        book.save(path)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)
