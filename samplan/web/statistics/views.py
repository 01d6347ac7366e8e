"""The statistics pages: parse the period and the organisation, ask the access helper for the
figures (it refuses anyone who is not a manager with a 404, and says which input it cannot
take), render them as tables, charts, files and the report. Nothing here computes a figure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from samplan.authz import policy as authz
from samplan.authz.access.statistics import StatisticsView, access_statistics
from samplan.authz.actor import request_actor
from samplan.core.forms import apply_errors
from samplan.statistics import exports, report
from samplan.statistics.charts import TableChart, cell_text, chart_for
from samplan.statistics.tables import Table
from samplan.web.statistics.forms import PeriodForm, query


@dataclass
class Figures:
    """The access helper's answer and the form that asked for it (with its errors, if any)."""

    form: PeriodForm
    view: StatisticsView

    @property
    def status(self) -> int:
        return 400 if self.form.errors else 200

    @property
    def query(self) -> str:
        organisation = self.view.organisation
        return query(
            self.view.period_from, self.view.period_to, organisation.pk if organisation else None
        )


def _figures(request: HttpRequest, *, list_plans: bool = True) -> Figures:
    """The figures asked for; with bad input, those of the default quarter (or of the period
    asked for, without the organisation refused), and the form saying what was wrong. The
    access helper is asked either way, so that someone who is not a manager gets its 404
    whatever the input."""
    actor = request_actor(request)
    form = PeriodForm(request.GET or None, today=timezone.localdate())
    view: StatisticsView | None = None
    if not form.is_bound or form.is_valid():
        start, end = form.period()
        try:
            view = access_statistics(
                actor=actor,
                period_from=start,
                period_to=end,
                organisation_id=form.organisation_id(),
                list_plans=list_plans,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
    if view is None:
        start, end = form.period()
        view = access_statistics(
            actor=actor,
            period_from=start,
            period_to=end,
            organisation_id=None,
            list_plans=list_plans,
        )
    form.offer(view.organisations)
    return Figures(form, view)


@dataclass(frozen=True)
class Section:
    """A table of the page: the table, its chart and comparison, and the same table of the
    period before (shown whole, below the comparison)."""

    shown: TableChart
    previous: Table | None

    @property
    def table(self) -> Table:
        return self.shown.table


def _sections(view: StatisticsView) -> list[Section]:
    before = {t.key: t for t in view.previous}
    return [
        Section(chart_for(table, previous=before.get(table.key)), before.get(table.key))
        for table in view.tables
    ]


def _own_organisation(request: HttpRequest) -> str:
    """The organisation whose figures these are (the access helper has let the actor in)."""
    organisation = authz.statistics_organisation(request_actor(request))
    return organisation.name if organisation else ""


@login_required
@require_GET
@never_cache
def statistics_page(request: HttpRequest) -> HttpResponse:
    figures = _figures(request)
    view = figures.view
    context: dict[str, Any] = {
        "form": figures.form,
        "view": view,
        "sections": _sections(view),
        "query": figures.query,
        "own_organisation": _own_organisation(request),
        "hidden": cell_text(view.back_and_forth_hidden),
        "hidden_any": view.back_and_forth_hidden != 0,
        "formats": exports.FORMATS,
    }
    return render(request, "statistics/page.html", context, status=figures.status)


def _bad_input(figures: Figures) -> HttpResponse:
    """A file asked for with input the page would refuse: the sentences, as plain text."""
    return HttpResponse(
        " ".join(str(e) for errors in figures.form.errors.values() for e in errors),
        status=400,
        content_type="text/plain; charset=utf-8",
    )


@login_required
@require_GET
def statistics_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    if fmt not in exports.FORMATS:
        raise Http404("not found")
    figures = _figures(request, list_plans=False)
    table = next((t for t in figures.view.tables if t.key == key), None)
    if table is None:
        raise Http404("not found")
    if figures.form.errors:
        return _bad_input(figures)
    response = HttpResponse(exports.render(table, fmt), content_type=exports.CONTENT_TYPES[fmt])
    name = exports.filename(table, fmt, today=timezone.localdate())
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def statistics_report(request: HttpRequest) -> HttpResponse:
    figures = _figures(request, list_plans=False)
    if figures.form.errors:
        return _bad_input(figures)
    view = figures.view
    content = report.ReportContent(
        period_from=view.period_from,
        period_to=view.period_to,
        previous_from=view.previous_from,
        previous_to=view.previous_to,
        organisation=_own_organisation(request),
        selection=view.organisation.name if view.organisation else "",
        threshold=view.threshold,
        tables=view.tables,
        previous=view.previous,
        back_and_forth_shown=view.back_and_forth_visible,
        back_and_forth_hidden=view.back_and_forth_hidden,
        created=timezone.localdate(),
    )
    response = HttpResponse(report.render_pdf(content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.filename(content)}"'
    response["Cache-Control"] = "no-store"
    return response
