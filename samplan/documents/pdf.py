"""PDF documents from the project's templates, through WeasyPrint.

Every PDF is tagged as PDF/UA-1 (WeasyPrint writes the structure tree, the document's
language from `<html lang="sv">` and its title from `<title>`), with real, searchable text.
Templates autoescape everything they are given. WeasyPrint fetches resources only through
`StaticOnlyFetcher`: the project's own static files (samplan/*/static) under the
`samplan-static:` scheme, and nothing else: no file paths, no network, no data: URLs."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

import samplan

STATIC_SCHEME = "samplan-static:"
STYLESHEET = f"{STATIC_SCHEME}documents/print.css"
PDF_VARIANT = "pdf/ua-1"


def static_roots() -> tuple[Path, ...]:
    """The project's own static folders: samplan/<app>/static."""
    base = Path(samplan.__file__).resolve().parent
    return tuple(sorted(p.resolve() for p in base.glob("*/static") if p.is_dir()))


def static_file(url: str) -> Path | None:
    """The file a `samplan-static:` URL names, if it is one of the project's static files;
    otherwise None. Absolute paths, "..", backslashes and other schemes are refused."""
    if not url.startswith(STATIC_SCHEME):
        return None
    relative = url[len(STATIC_SCHEME) :].split("?", 1)[0].split("#", 1)[0]
    parts = relative.split("/")
    if (
        not relative
        or relative.startswith("/")
        or "\\" in relative
        or "\x00" in relative
        or any(part in ("", ".", "..") for part in parts)
    ):
        return None
    for root in static_roots():
        candidate = (root / relative).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
    return None


class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]
    """WeasyPrint's fetcher, cut down to the project's static files. What it served and
    what it refused are kept (for tests and for the log)."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = static_file(url)
        if path is None:
            self.refused.append(url)
            raise ValueError(f"Samplan's documents load only their own static files: {url!r}")
        self.served.append(url)
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": media_type})


def render_html(template: str, context: dict[str, Any]) -> str:
    """The template as Swedish HTML (autoescaped, as Django templates are)."""
    with translation.override("sv"):
        return render_to_string(template, {"stylesheet": STYLESHEET, **context})


def html_to_pdf(html: str, *, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    fetcher = fetcher or StaticOnlyFetcher()
    document = HTML(string=html, base_url=None, url_fetcher=fetcher)
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    assert isinstance(pdf, bytes)
    return pdf


def render_pdf(
    template: str, context: dict[str, Any], *, fetcher: StaticOnlyFetcher | None = None
) -> bytes:
    """A template rendered to a tagged PDF."""
    return html_to_pdf(render_html(template, context), fetcher=fetcher)
