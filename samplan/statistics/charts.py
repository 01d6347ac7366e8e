"""SVG charts of a `Table`, drawn on the server: bars for a table, lines over quarters, and the
period before beside the period shown.

A chart draws the numbers the table holds and computes none: the page prints the same numbers
as an HTML table beside it (screen readers read the table; the chart is `role="img"` with a
`<title>` and a `<desc>` that say so). A protected count ("<5") gets no bar and no point, only
its text, so that its size cannot be measured off the drawing. No CSS and no script: the
presentation attributes pass the Content-Security-Policy and WeasyPrint alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from samplan.statistics.tables import Cell, Column, Protected, Table

# Columns whose values are periods (the x axis of a line chart, left out when rows of two
# periods are matched).
PERIOD_KEYS = frozenset({"quarter", "month", "year", "period", "week"})
MAX_SERIES = 8
MAX_BARS = 40  # a longer table is drawn in part; the table beside it holds every row
LABEL_CHARS = 28

WIDTH = 640
LABEL_WIDTH = 240
VALUE_ROOM = 56
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
INK = "#1b1b1f"
LINE = "#c9ccd4"
CURRENT = "#0b5394"  # the page's brand colour: 7.9:1 on white
PREVIOUS = "#6b6f78"  # 5.1:1 on white; also thinner, so that colour is not the only cue
# Series of a line chart: colour and marker both differ (WCAG 1.4.1), each ≥ 3:1 on white.
SERIES = (
    ("#0b5394", "circle"),
    ("#a4161a", "square"),
    ("#1d6b35", "diamond"),
    ("#7a4b00", "triangle"),
    ("#5b2a86", "circle"),
    ("#1b1b1f", "square"),
    ("#00607a", "diamond"),
    ("#8a2c5b", "triangle"),
)


def cell_text(cell: Cell) -> str:
    """A cell as it is shown on pages, in charts and in the PDF (localised numbers)."""
    if cell is None:
        return "–"
    if isinstance(cell, Protected):
        return str(cell)
    if isinstance(cell, bool):
        return _("ja") if cell else _("nej")
    if isinstance(cell, float):
        return formats.number_format(cell, decimal_pos=1, use_l10n=True)
    if isinstance(cell, int):
        return formats.number_format(cell, use_l10n=True, force_grouping=True)
    return str(cell)


def _drawable(cell: Cell) -> float | None:
    if isinstance(cell, bool) or not isinstance(cell, int | float):
        return None
    return float(cell)


def first_numeric(table: Table) -> Column | None:
    return next((c for c in table.columns if c.numeric), None)


def _label_indexes(table: Table, *, without_period: bool = False) -> list[int]:
    return [
        i
        for i, c in enumerate(table.columns)
        if not c.numeric and not (without_period and c.key in PERIOD_KEYS)
    ]


def _period_index(table: Table) -> int | None:
    return next(
        (i for i, c in enumerate(table.columns) if not c.numeric and c.key in PERIOD_KEYS), None
    )


def _label(row: Sequence[Cell], indexes: Sequence[int]) -> str:
    return ", ".join(cell_text(row[i]) for i in indexes)


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class Bar:
    label: str
    current: Cell
    previous: Cell = None
    has_previous: bool = False


def bars(table: Table, *, previous: Table | None = None, column: str | None = None) -> list[Bar]:
    """The bars of a table's column (its first numeric one unless named), each with the same
    row of the period before when there is one (matched by the row's labels; a quarter column
    is left out of the match when that keeps the rows apart)."""
    columns = [c.key for c in table.columns]
    chosen = column or (c.key if (c := first_numeric(table)) else None)
    if chosen is None or chosen not in columns:
        return []
    value_at = columns.index(chosen)
    labels = _label_indexes(table)
    same_shape = previous is not None and [c.key for c in previous.columns] == columns
    if not labels:
        if len(table.rows) == 1:
            # One row of figures (a median, a 90th percentile …): a bar per column.
            row = table.rows[0]
            before_row = previous.rows[0] if previous and same_shape and previous.rows else None
            return [
                Bar(c.label, row[i], before_row[i] if before_row else None, previous is not None)
                for i, c in enumerate(table.columns)
                if c.numeric
            ]
        return [Bar(str(n), row[value_at]) for n, row in enumerate(table.rows, 1)]
    match = _match_indexes(table, previous)
    before: dict[str, Cell] = {}
    if previous is not None and same_shape:
        before = {_label(row, match): row[value_at] for row in previous.rows}
    out = [
        Bar(
            _label(row, labels),
            row[value_at],
            before.pop(_label(row, match), None),
            previous is not None,
        )
        for row in table.rows
    ]
    # Rows only the period before had: shown, with nothing for this period.
    out.extend(Bar(key, None, value, True) for key, value in before.items())
    return out


def _match_indexes(table: Table, previous: Table | None) -> list[int]:
    without = _label_indexes(table, without_period=True)
    if previous is None or len(without) == len(_label_indexes(table)) or not without:
        return _label_indexes(table)
    for t in (table, previous):
        keys = [_label(row, without) for row in t.rows]
        if len(keys) != len(set(keys)):
            return _label_indexes(table)
    return without


def _svg_open(chart_id: str, height: int, title: str, desc: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="{FONT}" '
        f'font-size="13" fill="{INK}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", **extra: str) -> str:
    attributes = "".join(f" {k.replace('_', '-')}={quoteattr(v)}" for k, v in extra.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{attributes}>{escape(text)}</text>'


def bar_chart(
    table: Table,
    *,
    previous: Table | None = None,
    column: str | None = None,
    chart_id: str | None = None,
) -> SafeString | None:
    """A horizontal bar chart, or None when the table has nothing to draw."""
    drawn = bars(table, previous=previous, column=column)
    if not drawn:
        return None
    left_out = max(0, len(drawn) - MAX_BARS)
    drawn = drawn[:MAX_BARS]
    chart_id = chart_id or f"chart-{table.key}"
    numeric = next((c for c in table.columns if c.key == column), first_numeric(table)) or Column(
        "", ""
    )
    compare = any(b.has_previous for b in drawn)
    values = [
        v
        for b in drawn
        for v in (_drawable(b.current), _drawable(b.previous) if compare else None)
        if v is not None
    ]
    top = max([0.0, *values])
    legend = 26 if compare else 0
    row_h = 38 if compare else 28
    height = legend + row_h * len(drawn) + 8
    title = _("Diagram: %(title)s") % {"title": table.title}
    if compare:
        desc = _(
            "Liggande staplar för %(column)s per rad: mörkblå för perioden, smalare grå för "
            "perioden före. Samma siffror finns i tabellen."
        ) % {"column": numeric.label}
    else:
        desc = _("Liggande staplar för %(column)s per rad. Samma siffror finns i tabellen.") % {
            "column": numeric.label
        }
    if left_out:
        desc += " " + _(
            "Diagrammet visar de första %(shown)s raderna; tabellen har alla %(all)s."
        ) % {"shown": MAX_BARS, "all": MAX_BARS + left_out}
    parts = [_svg_open(chart_id, height, title, desc)]
    if compare:
        parts.append(f'<rect x="{LABEL_WIDTH}" y="6" width="14" height="12" fill="{CURRENT}"/>')
        parts.append(_text(LABEL_WIDTH + 20, 16, _("Perioden")))
        parts.append(
            f'<rect x="{LABEL_WIDTH + 120}" y="9" width="14" height="7" fill="{PREVIOUS}"/>'
        )
        parts.append(_text(LABEL_WIDTH + 140, 16, _("Perioden före")))
    span = WIDTH - LABEL_WIDTH - VALUE_ROOM
    for n, bar in enumerate(drawn):
        y = legend + n * row_h
        parts.append(
            _text(LABEL_WIDTH - 8, y + 18, _short(bar.label), anchor="end", font_size="12")
        )
        series = [(bar.current, CURRENT, 16, 4)]
        if compare:
            series.append((bar.previous, PREVIOUS, 9, 23))
        for cell, colour, thickness, offset in series:
            value = _drawable(cell)
            length = span * value / top if value and top else 0.0
            if length:
                parts.append(
                    f'<rect x="{LABEL_WIDTH}" y="{y + offset}" width="{length:.1f}" '
                    f'height="{thickness}" fill="{colour}"/>'
                )
            parts.append(
                _text(LABEL_WIDTH + length + 4, y + offset + thickness - 2, cell_text(cell))
            )
    parts.append(
        f'<line x1="{LABEL_WIDTH}" y1="{legend}" x2="{LABEL_WIDTH}" y2="{height - 4}" '
        f'stroke="{LINE}"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


@dataclass(frozen=True)
class Series:
    label: str
    points: tuple[Cell, ...]  # one per period, None where the series has no row


def line_series(
    table: Table, *, previous: Table | None = None, column: str | None = None
) -> tuple[list[str], list[Series]]:
    """The periods (x axis: the period before first, then this one) and a series per row
    label, for a table with a quarter (or month …) column; empty when there is none."""
    period_at = _period_index(table)
    chosen = column or (c.key if (c := first_numeric(table)) else None)
    keys = [c.key for c in table.columns]
    if period_at is None or chosen is None or chosen not in keys:
        return [], []
    value_at = keys.index(chosen)
    labels = _label_indexes(table, without_period=True)
    rows = list(table.rows)
    if previous is not None and [c.key for c in previous.columns] == keys:
        rows = list(previous.rows) + rows
    periods = sorted({cell_text(row[period_at]) for row in rows})
    by_series: dict[str, dict[str, Cell]] = {}
    for row in rows:
        by_series.setdefault(_label(row, labels), {})[cell_text(row[period_at])] = row[value_at]
    series = [
        Series(label or table.title, tuple(values.get(p) for p in periods))
        for label, values in by_series.items()
    ]
    return periods, series


def line_chart(
    table: Table,
    *,
    previous: Table | None = None,
    column: str | None = None,
    chart_id: str | None = None,
) -> SafeString | None:
    """Lines over the periods (two or more), one per row label, or None."""
    periods, series = line_series(table, previous=previous, column=column)
    if len(periods) < 2 or not series or len(series) > MAX_SERIES:
        return None
    chart_id = chart_id or f"line-{table.key}"
    numeric = next((c for c in table.columns if c.key == column), first_numeric(table)) or Column(
        "", ""
    )
    values = [v for s in series for p in s.points if (v := _drawable(p)) is not None]
    top = max([1.0, *values])
    left, right, plot_top, plot_h = 48, WIDTH - 16, 12, 200
    legend_top = plot_top + plot_h + 34
    height = legend_top + 20 * len(series) + 4
    step = (right - left) / (len(periods) - 1)

    def xy(i: int, value: float) -> tuple[float, float]:
        return left + i * step, plot_top + plot_h - plot_h * value / top

    title = _("Diagram: %(title)s") % {"title": table.title}
    desc = _(
        "Linjer för %(column)s per kvartal, en linje per rad, från %(first)s till %(last)s. "
        "Samma siffror finns i tabellen."
    ) % {"column": numeric.label, "first": periods[0], "last": periods[-1]}
    parts = [_svg_open(chart_id, height, title, desc)]
    parts.append(
        f'<line x1="{left}" y1="{plot_top + plot_h}" x2="{right}" y2="{plot_top + plot_h}" '
        f'stroke="{LINE}"/>'
    )
    parts.append(
        _text(
            left - 6, plot_top + 5, cell_text(int(top) if top.is_integer() else top), anchor="end"
        )
    )
    parts.append(_text(left - 6, plot_top + plot_h + 4, "0", anchor="end"))
    for i, period in enumerate(periods):
        parts.append(_text(left + i * step, plot_top + plot_h + 18, period, anchor="middle"))
    for n, one in enumerate(series):
        colour, marker = SERIES[n % len(SERIES)]
        run: list[str] = []
        for i, cell in enumerate(one.points):
            value = _drawable(cell)
            if value is None:  # a protected or missing point breaks the line
                if len(run) > 1:
                    parts.append(_polyline(run, colour))
                run = []
                continue
            x, y = xy(i, value)
            run.append(f"{x:.1f},{y:.1f}")
            parts.append(_marker(marker, x, y, colour))
        if len(run) > 1:
            parts.append(_polyline(run, colour))
        ly = legend_top + 20 * n
        parts.append(_marker(marker, left + 6, ly - 4, colour))
        parts.append(_text(left + 18, ly, _short(one.label) if len(one.label) > 60 else one.label))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _polyline(points: list[str], colour: str) -> str:
    return (
        f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
    )


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    if kind == "diamond":
        return (
            f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} '
            f'{x - 5:.1f},{y:.1f}" fill="{colour}"/>'
        )
    if kind == "triangle":
        return (
            f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} '
            f'{x - 5:.1f},{y + 4:.1f}" fill="{colour}"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{colour}"/>'


@dataclass(frozen=True)
class TableChart:
    """What a page or the report shows for one table: the table, its chart (or None), and the
    comparison with the period before as a table of its own (the chart's numbers)."""

    table: Table
    chart: SafeString | None
    comparison: Table | None


def chart_for(table: Table, *, previous: Table | None = None) -> TableChart:
    """A line chart over quarters when the table runs over two or more of them, otherwise bars
    of its first numeric column, each row beside the same row of the period before."""
    chart = line_chart(table, previous=previous)
    if chart is None:
        chart = bar_chart(table, previous=previous)
    return TableChart(table, chart, comparison_table(table, previous))


def comparison_table(table: Table, previous: Table | None) -> Table | None:
    """The charted column of this period and the period before, row by row, as a table."""
    numeric = first_numeric(table)
    if previous is None or numeric is None:
        return None
    drawn = bars(table, previous=previous)
    if not any(b.has_previous for b in drawn):
        return None
    by_column = not _label_indexes(table) and len(table.rows) == 1
    return Table(
        key=f"{table.key}-comparison",
        title=_("%(title)s jämfört med perioden före") % {"title": table.title},
        columns=(
            Column("label", _("Mått") if by_column else _("Rad"), numeric=False),
            Column(
                "current",
                _("Perioden")
                if by_column
                else _("%(column)s, perioden") % {"column": numeric.label},
            ),
            Column(
                "previous",
                _("Perioden före")
                if by_column
                else _("%(column)s, perioden före") % {"column": numeric.label},
            ),
        ),
        rows=tuple((b.label, b.current, b.previous) for b in drawn),
        period_from=table.period_from,
        period_to=table.period_to,
    )
