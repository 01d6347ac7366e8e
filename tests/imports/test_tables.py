"""Reading the file: the encodings and delimiters Swedish exports come in, and files that
cannot be read at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from samplan.plans.imports import ImportFileError, read_table
from samplan.plans.imports.columns import REQUIRED


def test_a_windows_1252_comma_separated_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    header = ",".join(REQUIRED)
    line = "G-1,19710314-4825,Åsa,Öberg,SIP,Påbörjad,2022-01-03"
    path.write_bytes(f"{header}\r\n\r\n{line}\r\n".encode("cp1252"))

    table = read_table(path)

    assert table.kind == "csv"
    ((number, cells),) = table.lines  # the blank line is skipped
    assert number == 3
    assert (cells["fornamn"], cells["efternamn"], cells["status"]) == ("Åsa", "Öberg", "Påbörjad")


def test_a_tab_separated_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("\t".join(REQUIRED) + "\n" + "\t".join(REQUIRED) + "\n", encoding="utf-8")

    assert read_table(path).lines[0][1]["plantyp"] == "plantyp"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("export.csv", b"", "Filen är tom."),
        ("export.xlsx", b"not a workbook", "Excel-filen går inte att läsa."),
        ("missing.csv", None, "Filen går inte att läsa."),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(ImportFileError) as refused:
        read_table(path)

    assert refused.value.sv == message
    assert refused.value.en
