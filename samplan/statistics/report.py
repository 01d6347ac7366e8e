"""The statistics as a printable PDF report, for a manager to take to the committee.

The same tables and charts as the page, in Swedish, with the period, the period before, the
organisation and the small-cell threshold on the first page. The report names no one: the plans
"sent back and forth" are counted, never listed (the page lists them to those who may see
them). Rendered by WeasyPrint through `samplan.documents.pdf`, which fetches only the project's
own static files; nothing here checks access or audits (the access helper did, before).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils import translation

from samplan.documents import pdf
from samplan.statistics.charts import TableChart, cell_text, chart_for
from samplan.statistics.tables import Protected, Table

TEMPLATE = "statistics/report.html"
STYLESHEET = f"{pdf.STATIC_SCHEME}statistics/report.css"


@dataclass(frozen=True)
class ReportContent:
    """What the report prints; built by the interface from the access helper's answer."""

    period_from: date
    period_to: date
    previous_from: date
    previous_to: date
    organisation: str  # the manager's organisation, whose plans the figures cover
    threshold: int
    tables: tuple[Table, ...]
    previous: tuple[Table, ...]
    back_and_forth_shown: int
    back_and_forth_hidden: int | Protected
    created: date
    selection: str = ""  # the organisation the figures are narrowed to, if any
    notes: tuple[str, ...] = field(default_factory=tuple)


def sections(content: ReportContent) -> list[TableChart]:
    """Each table with its chart and its comparison with the period before (matched by key)."""
    before = {t.key: t for t in content.previous}
    return [chart_for(table, previous=before.get(table.key)) for table in content.tables]


def filename(content: ReportContent) -> str:
    return f"statistik-{content.period_from:%Y%m%d}-{content.period_to:%Y%m%d}.pdf"


def render_html(content: ReportContent) -> str:
    with translation.override("sv"):
        return pdf.render_html(
            TEMPLATE,
            {
                "content": content,
                "sections": sections(content),
                "report_stylesheet": STYLESHEET,
                "hidden": cell_text(content.back_and_forth_hidden),
            },
        )


def render_pdf(content: ReportContent, *, fetcher: pdf.StaticOnlyFetcher | None = None) -> bytes:
    return pdf.html_to_pdf(render_html(content), fetcher=fetcher)
