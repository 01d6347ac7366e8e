"""Braille-ready text through liblouis (`lou_translate`, Debian liblouis-bin and
liblouis-data).

Table: sv-g0.utb, Swedish uncontracted braille (fullskrift), which every braille reader
reads; contracted braille (sv-g1.ctb, kortskrift nivå 1) is a parameter away. Output: Unicode
braille cells (U+2800-U+28FF, the `unicode.dis` display table) in UTF-8, wrapped at 40 cells
to the line (a common display and embosser width) and kept to the text's own lines, so a
refreshable braille display shows it as is and an embosser's software can take it in."""

from __future__ import annotations

import textwrap

from samplan.documents.tools import ToolFailed, louis_table_path, run_tool

SWEDISH_TABLE = "sv-g0.utb"
DISPLAY_TABLE = "unicode.dis"
LINE_CELLS = 40
BRAILLE_SPACE = "\u2800"
# lou_translate reads a line at a time: long paragraphs go in in pieces of this many chars.
_CHUNK = 400


def _chunks(line: str) -> list[str]:
    return textwrap.wrap(line, _CHUNK, break_long_words=True, break_on_hyphens=False) or [""]


def _wrap(braille: str) -> list[str]:
    if not braille.strip(BRAILLE_SPACE + " "):
        return [""]
    spaced = braille.replace(BRAILLE_SPACE, " ")
    lines = textwrap.wrap(spaced, LINE_CELLS, break_long_words=True, break_on_hyphens=False)
    return [line.replace(" ", BRAILLE_SPACE) for line in lines]


def to_braille(text: str, *, table: str = SWEDISH_TABLE, timeout: float = 60.0) -> str:
    """The text in braille cells, line for line: `ToolMissing` when liblouis is absent."""
    louis_table_path(table)
    louis_table_path(DISPLAY_TABLE)
    source_lines = text.splitlines()
    chunked = [_chunks(line) for line in source_lines]
    stdin = "\n".join(c for chunks in chunked for c in chunks) + "\n"
    out = run_tool(
        ["lou_translate", "--forward", f"{DISPLAY_TABLE},{table}"],
        stdin=stdin.encode("utf-8"),
        timeout=timeout,
    ).decode("utf-8")
    translated = out.split("\n")
    if out.count("\n") < sum(len(c) for c in chunked):
        # lou_translate exits 0 even when its table does not compile, and prints nothing.
        raise ToolFailed("lou_translate", f"no translation with table {table}")
    result: list[str] = []
    position = 0
    for chunks in chunked:
        pieces = translated[position : position + len(chunks)]
        position += len(chunks)
        result.extend(_wrap(BRAILLE_SPACE.join(p for p in pieces if p)))
    return "\n".join(result) + "\n"
