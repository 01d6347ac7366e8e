"""The SVG charts draw the table's own numbers, say what they show, and hide protected counts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from django.utils import translation

from samplan.statistics import charts
from samplan.statistics.tables import Column, Protected, Table
from tests.statistics.sample_tables import BEFORE, attendance, by_state, lead_times

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def swedish() -> Iterator[None]:
    with translation.override("sv"):
        yield


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_a_bar_chart_is_an_image_with_a_title_and_a_description_screen_readers_read() -> None:
    svg = charts.bar_chart(by_state((4, 12, 8)))
    assert svg is not None
    root = parse(svg)
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None
    assert desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "Diagram: Planer per tillstånd"
    assert "Planer" in (desc.text or "")
    assert "tabellen" in (desc.text or "")


def test_bars_are_as_long_as_their_counts_and_labelled_with_the_same_numbers() -> None:
    root = parse(charts.bar_chart(by_state((4, 12, 8))) or "")
    widths = [float(r.get("width", 0)) for r in root.iter(f"{SVG}rect")]
    span = charts.WIDTH - charts.LABEL_WIDTH - charts.VALUE_ROOM
    assert widths == pytest.approx([span * 4 / 12, span, span * 8 / 12], abs=0.1)
    assert {"Initierad", "Upprättad", "Avslutad", "4", "12", "8"} <= set(texts(root))


def test_a_protected_count_gets_no_bar_only_its_text() -> None:
    root = parse(charts.bar_chart(by_state((4, 12, Protected(5)))) or "")
    assert len(list(root.iter(f"{SVG}rect"))) == 2
    assert "<5" in texts(root)


def test_the_period_before_is_drawn_beside_each_row_and_given_as_a_table() -> None:
    now = by_state((4, 12, 8))
    before = by_state((6, 10, Protected(5)), period=BEFORE)
    root = parse(charts.bar_chart(now, previous=before) or "")
    previous = [
        float(r.get("width", 0))
        for r in root.iter(f"{SVG}rect")
        if r.get("fill") == charts.PREVIOUS and r.get("height") == "9"
    ]
    span = charts.WIDTH - charts.LABEL_WIDTH - charts.VALUE_ROOM
    assert previous == pytest.approx([span * 6 / 12, span * 10 / 12], abs=0.1)
    assert {"Perioden", "Perioden före"} <= set(texts(root))

    comparison = charts.comparison_table(now, before)
    assert comparison is not None
    assert comparison.rows == (
        ("Initierad", 4, 6),
        ("Upprättad", 12, 10),
        ("Avslutad", 8, Protected(5)),
    )


def test_rows_only_the_period_before_had_are_still_compared() -> None:
    now = Table("t", "T", (Column("k", "K", numeric=False), Column("n", "N")), (("a", 1),))
    before = Table("t", "T", (Column("k", "K", numeric=False), Column("n", "N")), (("b", 2),))
    assert [(b.label, b.current, b.previous) for b in charts.bars(now, previous=before)] == [
        ("a", 1, None),
        ("b", None, 2),
    ]


def test_one_row_of_figures_is_drawn_as_a_bar_per_column() -> None:
    table = lead_times(12.5, 40.0)
    drawn = charts.bars(table)
    assert [(b.label, b.current) for b in drawn] == [("Median", 12.5), ("90:e percentilen", 40.0)]
    root = parse(charts.bar_chart(table) or "")
    assert "12,5" in texts(root)  # Swedish decimal comma, as in the table
    before = charts.comparison_table(table, lead_times(10.0, 30.0))
    assert before is not None
    assert before.rows == (("Median", 12.5, 10.0), ("90:e percentilen", 40.0, 30.0))


def test_quarters_are_drawn_as_lines_from_the_period_before() -> None:
    now = attendance(
        (
            ("Ekbacka kommun", "Region Sjöland", "2026-Q3", 10, 7),
            ("Strandvik kommun", "Region Sjöland", "2026-Q3", 6, Protected(5)),
        )
    )
    before = attendance(
        (
            ("Ekbacka kommun", "Region Sjöland", "2026-Q2", 8, 8),
            ("Strandvik kommun", "Region Sjöland", "2026-Q2", 9, 5),
        )
    )
    periods, series = charts.line_series(now, previous=before)
    assert periods == ["2026-Q2", "2026-Q3"]
    assert [(s.label, s.points) for s in series] == [
        ("Ekbacka kommun, Region Sjöland", (8, 10)),
        ("Strandvik kommun, Region Sjöland", (9, 6)),
    ]
    shown = charts.chart_for(now, previous=before)
    root = parse(shown.chart or "")
    assert len(list(root.iter(f"{SVG}polyline"))) == 2
    assert root.get("role") == "img"
    # Without the quarter the rows of the two periods match: the comparison table pairs them.
    assert shown.comparison is not None
    assert shown.comparison.rows[1] == ("Strandvik kommun, Region Sjöland, 2026-Q3", 6, 9)


def test_a_protected_point_breaks_the_line() -> None:
    now = attendance(
        (
            ("Ekbacka kommun", "Region Sjöland", "2026-Q1", 10, 7),
            ("Ekbacka kommun", "Region Sjöland", "2026-Q2", Protected(5), 1),
            ("Ekbacka kommun", "Region Sjöland", "2026-Q3", 9, 7),
        )
    )
    root = parse(charts.line_chart(now) or "")
    assert list(root.iter(f"{SVG}polyline")) == []  # no two neighbouring points to join
    markers = [e for e in root.iter() if e.tag in (f"{SVG}circle",)]
    assert len(markers) == 3  # two points and the legend's marker


def test_nothing_to_draw_gives_no_chart() -> None:
    words = Table("w", "Ord", (Column("w", "Ord", numeric=False),), (("a",),))
    empty = by_state((0, 0, 0))
    assert charts.bar_chart(words) is None
    assert charts.bar_chart(Table("e", "Tom", empty.columns, ())) is None
    # Zero everywhere: the chart is drawn, without bars.
    root = parse(charts.bar_chart(empty) or "")
    assert list(root.iter(f"{SVG}rect")) == []


def test_labels_and_titles_are_escaped() -> None:
    table = Table(
        "x",
        "<script>alert(1)</script>",
        (Column("k", "K&K", numeric=False), Column("n", "N")),
        (("<b>fet</b>", 3),),
    )
    svg = charts.bar_chart(table) or ""
    assert "<script>" not in svg
    assert "<b>" not in svg
    root = parse(svg)
    assert "<b>fet</b>" in texts(root)


def test_cell_text_is_what_the_table_shows() -> None:
    assert charts.cell_text(Protected(5)) == "<5"
    assert charts.cell_text(None) == "–"
    assert charts.cell_text(1234) == "1\xa0234"
    assert charts.cell_text(2.5) == "2,5"


def test_a_long_table_is_drawn_in_part_and_says_so() -> None:
    rows = tuple((f"Enhet {n}", n) for n in range(1, 61))
    columns = (Column("u", "Enhet", numeric=False), Column("n", "Planer"))
    table = Table("u", "Enheter", columns, rows)
    root = parse(charts.bar_chart(table) or "")
    assert len(list(root.iter(f"{SVG}rect"))) == charts.MAX_BARS
    desc = root.find(f"{SVG}desc")
    assert desc is not None
    assert "de första 40 raderna; tabellen har alla 60" in (desc.text or "")
