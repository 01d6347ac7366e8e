"""A plan with markup, "&", a right-to-left override, emoji, an 80-letter word and 200
interventions renders in every format: the markup shown as text, nothing fetched, nothing
run."""

from __future__ import annotations

import pytest

from samplan.documents import pdf as pdf_module
from samplan.documents.content import document_content
from samplan.documents.pdf import StaticOnlyFetcher
from samplan.documents.render import DocumentKind, render_document
from samplan.plans.models import Plan
from tests.documents.conftest import LONG_WORD, participating_organisation
from tests.documents.helpers import needs_tools, pdf_reader, pdf_text


@pytest.fixture
def fetchers(monkeypatch: pytest.MonkeyPatch) -> list[StaticOnlyFetcher]:
    made: list[StaticOnlyFetcher] = []

    class Recording(StaticOnlyFetcher):
        def __init__(self) -> None:
            super().__init__()
            made.append(self)

    monkeypatch.setattr(pdf_module, "StaticOnlyFetcher", Recording)
    return made


def test_content_drops_direction_marks(nasty_plan: Plan, all_kinds: frozenset[str]) -> None:
    content = document_content(plan=nasty_plan, kinds=all_kinds)
    assert len(content.interventions) == 200
    assert "\u202e" not in content.time_plan
    assert "<script>" in content.time_plan  # kept as typed: escaped when shown


@pytest.mark.parametrize("kind", ["plan", "record_copy", "large_print"])
def test_pdfs(
    nasty_plan: Plan, all_kinds: frozenset[str], fetchers: list[StaticOnlyFetcher], kind: str
) -> None:
    document = render_document(
        plan=nasty_plan,
        kind=kind,
        kinds=all_kinds,
        organisation=participating_organisation(nasty_plan),
    )
    text = pdf_text(document.content)
    # The script is text on the page, not markup: its tag and its body both show.
    assert "<script>alert('x')</script>" in text
    assert "Mat & dryck" in text
    assert "Insats 199 &" in text
    # The image tag is text too (pypdf may break the line inside the URL).
    assert '<img src="http://' in text
    # The long word wraps instead of running off the page: every letter is still there.
    assert LONG_WORD in text.replace(" ", "").replace("-", "")
    assert "\u202e" not in text
    assert len(pdf_reader(document.content).pages) > 5
    assert [f.served for f in fetchers] == [["samplan-static:documents/print.css"]]
    assert [f.refused for f in fetchers] == [[]]
    assert b"/JavaScript" not in document.content
    assert b"/JS" not in document.content


def test_plain_language(nasty_plan: Plan, all_kinds: frozenset[str]) -> None:
    document = render_document(plan=nasty_plan, kind="plain_language", kinds=all_kinds)
    text = document.content.decode("utf-8")
    assert "Mat & dryck" in text
    assert "Insats 199 &" in text
    assert "😀🏠" in text
    assert "\u202e" not in text


@needs_tools("lou_translate")
def test_braille(nasty_plan: Plan, all_kinds: frozenset[str]) -> None:
    document = render_document(plan=nasty_plan, kind="braille", kinds=all_kinds)
    text = document.content.decode("utf-8")
    cells = text.replace("\n", "")
    assert len(cells) > 20_000
    assert all(0x2800 <= ord(ch) < 0x2900 for ch in cells)


# About 90 minutes of speech: run in the SQLite pass of `make test` only (rendering does not
# depend on the database; see the Makefile's test-postgres).
@pytest.mark.render_only
@needs_tools("espeak-ng", "opusenc")
def test_audio(nasty_plan: Plan, all_kinds: frozenset[str]) -> None:
    document = render_document(plan=nasty_plan, kind="audio", kinds=all_kinds)
    assert document.content[:4] == b"OggS"
    assert len(document.content) > 100_000


def test_deidentified_summary(nasty_plan: Plan, all_kinds: frozenset[str]) -> None:
    document = render_document(
        plan=nasty_plan, kind="deidentified", kinds=all_kinds, made_by="Karin Holm"
    )
    text = document.content.decode()
    assert text.startswith("Avidentifierad sammanfattning, gjord av Karin Holm")
    assert "& dryck" in text  # plain text: kept as typed, nothing to escape
    assert "\u202e" not in text


def test_every_kind_is_covered_here() -> None:
    covered = {"plan", "record_copy", "large_print", "plain_language", "braille", "audio"}
    # The letter needs a coming meeting: test_pdf.py; the de-identified summary: above and
    # test_deidentify.py.
    assert covered | {"invitation_letter", "deidentified"} == {k.value for k in DocumentKind}
