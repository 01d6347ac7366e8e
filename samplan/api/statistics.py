"""A manager's figures (issue 13): seed 004's table, and every table of the statistics page.

Only a manager of the acting organisation (or, for a manager who works in no unit, of the
organisation he or she manages) gets an answer; anyone else the same 404 as for something
that does not exist, audited. Counts hidden by small-cell protection come as the string "<N"
(N the threshold in force, SAMPLAN_STATISTICS_SMALL_CELL, 5 by default).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from samplan.authz.access.statistics import access_attendance, access_statistics
from samplan.statistics.tables import Cell, Protected, Table

from . import out
from .common import ERRORS, actor_of
from .schemas import MAX_ID, PlanSummaryOut

router = Router(tags=["statistics"])

COUNT_DESCRIPTION = (
    'A count, or "<N" where small-cell protection hides it: a count below N (the threshold, '
    "5 by default) about another organisation's units. Counts about another organisation "
    "that are shown are rounded to a multiple of N; the own organisation's are exact."
)
Count = int | str
# The query's parameters (django-ninja declares Query a generic alias to type checkers).
FROM: Any = Query(..., alias="from", description="The period's first day, YYYY-MM-DD.")  # type: ignore[type-arg]
TO: Any = Query(..., alias="to", description="The period's last day, YYYY-MM-DD.")  # type: ignore[type-arg]
ORGANISATION: Any = Query(  # type: ignore[type-arg]
    None, ge=1, le=MAX_ID, description="Only rows about this organisation."
)


class AttendanceRowOut(Schema):
    calling_organisation: str = Field(
        description="The principal that called: the plan's lead organisation (before one is "
        "named, the initiating unit's organisation)."
    )
    invited_organisation: str
    quarter: str = Field(description='The quarter the meeting started in, e.g. "2026-Q1".')
    invited: Count = Field(description=COUNT_DESCRIPTION)
    answered: Count = Field(description=COUNT_DESCRIPTION)
    accepted: Count = Field(description=COUNT_DESCRIPTION)
    declined: Count = Field(description=COUNT_DESCRIPTION)
    represented: Count = Field(description=COUNT_DESCRIPTION)
    attended: Count = Field(description=COUNT_DESCRIPTION)
    no_answer: Count = Field(description=COUNT_DESCRIPTION)


class AttendanceOut(Schema):
    period_from: date
    period_to: date
    threshold: int = Field(description="The small-cell threshold in force.")
    rows: list[AttendanceRowOut]


class ColumnOut(Schema):
    key: str
    label: str
    numeric: bool


class TableOut(Schema):
    key: str
    title: str
    columns: list[ColumnOut]
    rows: list[list[int | float | str | None]] = Field(
        description="Cells in the order of the columns; a protected count is the string "
        '"<N" (see the attendance resource).'
    )
    notes: list[str]


class StatisticsOut(Schema):
    period_from: date
    period_to: date
    previous_from: date
    previous_to: date
    threshold: int
    organisation_id: int | None = Field(description="The organisation filter in force.")
    tables: list[TableOut]
    previous: list[TableOut] = Field(description="The same tables for the period before.")
    back_and_forth: list[PlanSummaryOut] = Field(
        description="Plans sent back and forth in the period that the caller may see."
    )
    back_and_forth_hidden: Count = Field(
        description="How many more such plans there are, which the caller may not see."
    )


def _cell(cell: Cell) -> int | float | str | None:
    return str(cell) if isinstance(cell, Protected) else cell


def _period_errors(exc: ValidationError) -> ValidationError:
    """The access helper names the fields period_from/period_to; here they are from/to."""
    names = {"period_from": "from", "period_to": "to"}
    return ValidationError({names.get(k, k): v for k, v in exc.message_dict.items()})


def _table(table: Table) -> dict[str, Any]:
    return {
        "key": table.key,
        "title": table.title,
        "columns": [{"key": c.key, "label": c.label, "numeric": c.numeric} for c in table.columns],
        "rows": [[_cell(c) for c in row] for row in table.rows],
        "notes": list(table.notes),
    }


@router.get("/statistics/attendance", response={200: AttendanceOut, **ERRORS})
def attendance(
    request: HttpRequest,
    period_from: date = FROM,
    period_to: date = TO,
) -> Any:
    """Seed 004's table: the invitations to the meetings each organisation called, by the
    invited organisation and quarter: invited, answered, accepted, declined, represented by
    someone else, attended, no answer. For managers; figures name no one."""
    try:
        table = access_attendance(
            actor=actor_of(request), period_from=period_from, period_to=period_to
        )
    except ValidationError as exc:
        raise _period_errors(exc) from exc
    return {
        "period_from": period_from,
        "period_to": period_to,
        "threshold": settings.STATISTICS_SMALL_CELL,
        "rows": [{k: _cell(v) for k, v in row.items()} for row in table.as_dicts()],
    }


@router.get("/statistics", response={200: StatisticsOut, **ERRORS})
def statistics(
    request: HttpRequest,
    period_from: date = FROM,
    period_to: date = TO,
    organisation: int | None = ORGANISATION,
) -> Any:
    """Every table of the statistics page for the period and the period before, and the plans
    sent back and forth (listed where the caller may see them, audited; counted otherwise)."""
    try:
        view = access_statistics(
            actor=actor_of(request),
            period_from=period_from,
            period_to=period_to,
            organisation_id=organisation,
        )
    except ValidationError as exc:
        raise _period_errors(exc) from exc
    hidden = view.back_and_forth_hidden
    return {
        "period_from": view.period_from,
        "period_to": view.period_to,
        "previous_from": view.previous_from,
        "previous_to": view.previous_to,
        "threshold": view.threshold,
        "organisation_id": view.organisation.pk if view.organisation else None,
        "tables": [_table(t) for t in view.tables],
        "previous": [_table(t) for t in view.previous],
        "back_and_forth": [out.plan_summary(p) for p in view.back_and_forth],
        "back_and_forth_hidden": str(hidden) if isinstance(hidden, Protected) else hidden,
    }
