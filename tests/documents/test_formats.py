"""Braille (liblouis, Swedish table) and audio (espeak-ng, Ogg/Opus), and what happens when
their tools are missing."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from mutagen.oggopus import OggOpus

from samplan.documents import braille as braille_module
from samplan.documents import tools
from samplan.documents.braille import LINE_CELLS, SWEDISH_TABLE, to_braille
from samplan.documents.content import document_content
from samplan.documents.lix import words
from samplan.documents.plain import plain_sections, plain_text
from samplan.documents.render import document_kinds_for, render_document
from samplan.documents.tools import ToolMissing
from samplan.plans.models import Plan
from tests.documents.helpers import needs_tools

BRAILLE_CELLS = range(0x2800, 0x2900)

needs_louis = needs_tools("lou_translate")
needs_speech = needs_tools("espeak-ng", "opusenc")


def is_braille(text: str) -> bool:
    return all(ord(ch) in BRAILLE_CELLS for ch in text if ch != "\n")


@needs_louis
def test_swedish_table_is_installed() -> None:
    assert tools.louis_table_path(SWEDISH_TABLE).is_file()


@needs_louis
def test_braille_of_a_plan(established_plan: Plan, all_kinds: frozenset[str]) -> None:
    document = render_document(plan=established_plan, kind="braille", kinds=all_kinds)
    assert document.media_type.startswith("text/plain")
    text = document.content.decode("utf-8")
    assert text.strip()
    assert is_braille(text)
    assert max(len(line) for line in text.splitlines()) <= LINE_CELLS
    # The person's name, put into braille on its own, is in the document.
    name = to_braille(established_plan.person.given_name).strip()
    assert name
    assert name in text.replace("\n", "")
    # Much more than a name: the whole plan.
    assert len(text.replace("\n", "")) > 500


@needs_louis
def test_braille_follows_the_swedish_table() -> None:
    # Swedish braille: "ö" is dots 2-4-6 (⠪), "å" dots 1-6 (⠡), "ä" dots 3-4-5 (⠜);
    # a capital letter is preceded by dot 6 (⠠); digits by the number sign (⠼).
    assert to_braille("ö å ä").strip() == "⠪⠀⠡⠀⠜"
    assert to_braille("Ove").strip() == "⠠⠕⠧⠑"
    assert to_braille("12").strip().startswith("⠼")
    source = "Hej på dig"
    assert to_braille(source).strip() != source


@needs_louis
def test_braille_keeps_lines_and_wraps_long_ones() -> None:
    text = "Rubrik\n\n" + "ett ord " * 40
    lines = to_braille(text).splitlines()
    assert lines[1] == ""
    assert len(lines) > 3
    assert all(len(line) <= LINE_CELLS for line in lines)


@needs_speech
def test_audio_of_a_plan(established_plan: Plan, all_kinds: frozenset[str]) -> None:
    document = render_document(plan=established_plan, kind="audio", kinds=all_kinds)
    data = document.content
    assert data[:4] == b"OggS"
    assert b"OpusHead" in data[:100]
    assert document.media_type.startswith("audio/ogg")
    audio = OggOpus(io.BytesIO(data))
    assert audio.info is not None
    assert audio.tags is not None
    content = document_content(plan=established_plan, kinds=all_kinds)
    sections = plain_sections(content)
    spoken_words = len(words(plain_text(content)))
    # espeak-ng at 150 words a minute is 0.4 s a word; numbers, names and the pauses
    # between sentences and sections make it longer, never three times as long.
    seconds_per_word = audio.info.length / spoken_words
    assert 0.25 < seconds_per_word < 1.2, (audio.info.length, spoken_words)
    # One chapter per section, in order, the first at the start.
    assert audio.tags["CHAPTER001"] == ["00:00:00.000"]
    names = [audio.tags[f"CHAPTER{n:03d}NAME"][0] for n in range(1, len(sections) + 1)]
    assert names == [s.heading for s in sections]
    starts = [audio.tags[f"CHAPTER{n:03d}"][0] for n in range(1, len(sections) + 1)]
    assert starts == sorted(starts)
    assert audio.tags["LANGUAGE"] == ["sv"]


def test_missing_tools_name_their_package(
    established_plan: Plan, all_kinds: frozenset[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ToolMissing) as braille:
        render_document(plan=established_plan, kind="braille", kinds=all_kinds)
    assert braille.value.package == "liblouis-bin"
    with pytest.raises(ToolMissing) as audio:
        render_document(plan=established_plan, kind="audio", kinds=all_kinds)
    assert audio.value.package == "espeak-ng"
    options = {o.kind: o for o in document_kinds_for(plan=established_plan, kinds=all_kinds)}
    assert options["braille"].available is False
    assert options["braille"].missing_package == "liblouis-bin"
    assert options["audio"].missing_package == "espeak-ng"
    # The rest keeps working.
    assert options["plan"].available is True
    document = render_document(plan=established_plan, kind="plain_language", kinds=all_kinds)
    assert established_plan.person.full_name in document.content.decode()


def test_missing_table_names_liblouis_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools, "_LOUIS_TABLE_DIRS", ("/nonexistent",))
    monkeypatch.delenv("LOUIS_TABLEPATH", raising=False)
    with pytest.raises(ToolMissing) as missing:
        to_braille("Hej")
    assert missing.value.package == "liblouis-data"


@needs_speech
def test_a_failing_tool_is_reported(tmp_path: Path) -> None:
    with pytest.raises(tools.ToolFailed, match="exit status"):
        tools.run_tool(["opusenc", str(tmp_path / "missing.wav"), str(tmp_path / "x.opus")])
    with pytest.raises(tools.ToolFailed, match="timed out"):
        tools.run_tool(
            ["espeak-ng", "-v", "sv", "--stdout", "--stdin"], stdin=b"ord " * 5000, timeout=0.01
        )


@needs_louis
def test_a_table_that_does_not_compile_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    # lou_translate exits 0 and prints nothing for a table it cannot compile.
    monkeypatch.setattr(braille_module, "louis_table_path", lambda table: Path(table))
    with pytest.raises(tools.ToolFailed):
        to_braille("Hej", table="no-such-table.utb")
