"""The one shape every figure takes on its way to a page, an export, a chart or the API.

A `Table` is a title, its columns and its rows of cells. A cell is a number, a text or a
`Protected` count (below the small-cell threshold outside the manager's own units, shown as
"<5"). Pages render it as an HTML table beside its SVG chart, exports write it to CSV/XLSX, the
PDF report prints it; none of them computes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Protected:
    """A count hidden by small-cell protection: shown as "<{threshold}"."""

    threshold: int

    def __str__(self) -> str:
        return f"<{self.threshold}"


Cell = int | float | str | Protected | None


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # already translated (gettext) for display
    numeric: bool = True


@dataclass(frozen=True)
class Table:
    key: str  # stable id, used in URLs of exports and in the API
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    period_from: date | None = None
    period_to: date | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dicts(self) -> list[dict[str, Cell]]:
        return [dict(zip((c.key for c in self.columns), row, strict=True)) for row in self.rows]
