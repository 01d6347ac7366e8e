"""Reading what the documents hold: a PDF's text and font sizes (pypdf)."""

from __future__ import annotations

import io
import math
import os
import shutil
from typing import Any

import pypdf
import pytest


def needs_tools(*tools: str) -> pytest.MarkDecorator:
    """Skip where a system tool is missing, but not on CI: there scripts/sysdeps.sh installs
    it, so a missing tool fails the test instead of hiding behind a skip."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    return pytest.mark.skipif(
        bool(missing) and os.environ.get("CI") != "true",
        reason=f"not installed: {', '.join(missing)} (scripts/sysdeps.sh installs them)",
    )


def pdf_reader(content: bytes) -> pypdf.PdfReader:
    assert content.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(content))


def pdf_text(content: bytes) -> str:
    """The PDF's text, with runs of whitespace made single spaces (a table cell may wrap).

    When a character has no glyph in any installed font (an emoji without an emoji font),
    WeasyPrint gives the font its own two-byte CMap, which pypdf 7 decodes with a NUL
    before each character; poppler's pdftotext reads the same file cleanly. The NULs are
    dropped here: the text itself is in the PDF."""
    reader = pdf_reader(content)
    text = " ".join(page.extract_text() for page in reader.pages).replace("\x00", "")
    return " ".join(text.split())


def flat(text: str) -> str:
    return " ".join(text.split())


def font_sizes(content: bytes) -> list[tuple[float, str]]:
    """(size in points, text) of every text run that shows something."""
    sizes: list[tuple[float, str]] = []
    for page in pdf_reader(content).pages:

        def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
            if text.strip():
                scale = math.hypot(tm[0], tm[1]) * math.hypot(cm[0], cm[1])
                sizes.append((size * scale, text))

        page.extract_text(visitor_text=visit)
    return sizes
