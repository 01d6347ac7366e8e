"""`{{ cell|statistics_cell }}`: a table cell as pages and the report show it ("<5" for a
protected count, localised numbers), and `|statistics_numeric` for right-aligned cells."""

from __future__ import annotations

from django import template

from samplan.statistics.charts import cell_text
from samplan.statistics.tables import Cell, Protected

register = template.Library()


@register.filter
def statistics_cell(cell: Cell) -> str:
    return cell_text(cell)


@register.filter
def statistics_numeric(cell: Cell) -> bool:
    """Numbers and protected counts line up on the right."""
    return isinstance(cell, int | float | Protected) and not isinstance(cell, bool)
