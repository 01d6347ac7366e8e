"""Hand-made `Table`s for the tests of charts, exports, the report and the pages: the shapes the
statistics take (labels and counts, one row of durations, quarters), with protected cells."""

from __future__ import annotations

from datetime import date

from samplan.statistics.tables import Column, Protected, Table

PERIOD = (date(2026, 7, 1), date(2026, 9, 30))
BEFORE = (date(2026, 4, 1), date(2026, 6, 30))


def by_state(
    counts: tuple[int, int, int | Protected], *, period: tuple[date, date] = PERIOD
) -> Table:
    return Table(
        key="plans_by_state",
        title="Planer per tillstånd",
        columns=(Column("state", "Tillstånd", numeric=False), Column("plans", "Planer")),
        rows=(("Initierad", counts[0]), ("Upprättad", counts[1]), ("Avslutad", counts[2])),
        period_from=period[0],
        period_to=period[1],
    )


def lead_times(median: float, p90: float) -> Table:
    return Table(
        key="lead_times",
        title="Tid från initiativ till första möte (dagar)",
        columns=(Column("median", "Median"), Column("p90", "90:e percentilen")),
        rows=((median, p90),),
        period_from=PERIOD[0],
        period_to=PERIOD[1],
    )


ATTENDANCE_COLUMNS = (
    Column("calling_organisation", "Kallande organisation", numeric=False),
    Column("invited_organisation", "Inbjuden organisation", numeric=False),
    Column("quarter", "Kvartal", numeric=False),
    Column("invited", "Inbjudna"),
    Column("attended", "Deltog"),
)


def attendance(rows: tuple[tuple[str, str, str, int | Protected, int | Protected], ...]) -> Table:
    return Table(
        key="attendance",
        title="Kallelser och närvaro",
        columns=ATTENDANCE_COLUMNS,
        rows=rows,
        period_from=PERIOD[0],
        period_to=PERIOD[1],
    )


def hostile() -> Table:
    """Every cell and header a spreadsheet would run if it were not escaped."""
    return Table(
        key="deviations",
        title='=HYPERLINK("http://evil.example";"klicka")',
        columns=(
            Column("kind", "=1+1", numeric=False),
            Column("org", "+SUM(A1)", numeric=False),
            Column("count", "-2+3"),
            Column("days", "@cmd"),
        ),
        rows=(
            ("=cmd|' /C calc'!A0", "\tTab", -3, 2.5),
            ("\rCR", "@SUM(1)", Protected(5), None),
            ("Vanlig text", "Region Sjöland", 0, -1.25),
        ),
        period_from=PERIOD[0],
        period_to=PERIOD[1],
        notes=("-en anteckning",),
    )
