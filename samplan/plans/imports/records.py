"""Reading one line of an import file into a checked `PlanRecord`, or refusing it.

This checks the file's own form: required values, personnummer, dates, the words for plan
type, state and reasons, the units named. What the plan's content must satisfy (lengths,
choices, dates in relation to each other) is left to the plan services, which check it for
every caller alike; a line they refuse is refused whole (`load.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone

from samplan.directory.identity import parse_person_number
from samplan.directory.models import Unit
from samplan.plans.imports import columns as c
from samplan.plans.imports.refusals import PERSON_NUMBER_PROBLEMS, LineRefused
from samplan.plans.models import InitiativeReason, PlanType


@dataclass(frozen=True)
class InterventionRecord:
    unit: Unit
    status: str
    description: str
    start_date: date | None = None
    end_date: date | None = None


@dataclass
class PlanRecord:
    line: int
    source_id: str
    identifier: str  # twelve digits
    given_name: str
    family_name: str
    plan_type: str
    outcome: str  # columns.DRAFT or columns.CLOSED
    original_state: str
    initiated_on: date
    established_on: date | None = None
    closed_on: date | None = None
    closure_reason: str = ""
    reasons: list[str] = field(default_factory=list)
    reasons_given: bool = True
    title: str = ""
    description: str = ""
    lss_decision_date: date | None = None
    existing_plan_reference: str = ""
    participants: list[Unit] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)
    interventions: list[InterventionRecord] = field(default_factory=list)


class UnitIndex:
    """The active units, found by HSA-id or by exact name (case aside). Read once per file."""

    def __init__(self) -> None:
        self.by_hsa: dict[str, Unit] = {}
        self.by_name: dict[str, list[Unit]] = {}
        for unit in Unit.objects.filter(is_active=True).select_related("organisation"):
            if unit.hsa_id:
                self.by_hsa[unit.hsa_id.upper()] = unit
            self.by_name.setdefault(unit.name.casefold(), []).append(unit)

    def find(self, reference: str, column: str) -> Unit:
        found = self.by_hsa.get(reference.strip().upper())
        if found is not None:
            return found
        named = self.by_name.get(reference.strip().casefold(), [])
        if len(named) > 1:
            raise LineRefused("ambiguous_unit", column)
        if not named:
            raise LineRefused("unknown_unit", column)
        return named[0]


def parse_line(line: int, cells: dict[str, str], units: UnitIndex) -> PlanRecord:
    """The line as a record, or LineRefused with the first problem found."""
    today = timezone.localdate()
    for name in c.REQUIRED_VALUES:
        if not cells.get(name, "").strip():
            raise LineRefused("missing_value", name)
    plan_type = c.PLAN_TYPES.get(c.fold(cells["plantyp"]))
    if plan_type is None:
        raise LineRefused("unknown_plan_type", "plantyp")
    outcome = c.STATES.get(c.fold(cells["status"]))
    if outcome is None:
        raise LineRefused("unknown_state", "status")
    record = PlanRecord(
        line=line,
        source_id=cells["plan_id"].strip(),
        identifier=_person_number(cells["personnummer"]),
        given_name=cells.get("fornamn", "").strip(),
        family_name=cells.get("efternamn", "").strip(),
        plan_type=plan_type,
        outcome=outcome,
        original_state=cells["status"].strip(),
        initiated_on=_required_date(cells, "initierad", today),
        established_on=_date(cells, "upprattad", today),
        closed_on=_date(cells, "avslutad", today),
        title=cells.get("rubrik", "").strip(),
        description=cells.get("beskrivning", "").strip(),
        lss_decision_date=_date(cells, "lss_beslut", today),
        existing_plan_reference=cells.get("befintlig_plan", "").strip(),
    )
    if plan_type == PlanType.LSS_IP and record.lss_decision_date is None:
        raise LineRefused("missing_value", "lss_beslut")
    if (
        plan_type in (PlanType.HABILITATION, PlanType.REHABILITATION)
        and not record.existing_plan_reference
    ):
        raise LineRefused("missing_value", "befintlig_plan")
    record.reasons, record.reasons_given = _reasons(cells.get("skal", ""))
    if outcome == c.CLOSED:
        reason = c.CLOSURE_REASONS.get(c.fold(cells.get("avslutsorsak", "")))
        if reason is None:
            raise LineRefused("closure_reason", "avslutsorsak")
        record.closure_reason = reason
    record.participants = [
        units.find(ref, "deltagare") for ref in _items(cells.get("deltagare", ""))
    ]
    record.goals = _items(cells.get("mal", ""))
    record.interventions = [
        _intervention(item, units) for item in _items(cells.get("insatser", ""))
    ]
    return record


def _items(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(c.ITEM_SEPARATOR) if item.strip()]


def _person_number(raw: str) -> str:
    try:
        return parse_person_number(raw).number
    except ValidationError as exc:
        sv, en = PERSON_NUMBER_PROBLEMS.get(exc.code or "format", PERSON_NUMBER_PROBLEMS["format"])
        raise LineRefused("personnummer", "personnummer", what_sv=sv, what_en=en) from None


_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:[ T].*)?$")


def _parse_date(raw: str, column: str, today: date) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    match = _DATE.match(raw)
    try:
        if match is None:
            raise ValueError(raw)
        value = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise LineRefused("bad_date", column) from None
    if value > today:
        raise LineRefused("future_date", column)
    return value


def _date(cells: dict[str, str], column: str, today: date) -> date | None:
    return _parse_date(cells.get(column, ""), column, today)


def _required_date(cells: dict[str, str], column: str, today: date) -> date:
    value = _date(cells, column, today)
    if value is None:
        raise LineRefused("missing_value", column)
    return value


def _reasons(cell: str) -> tuple[list[str], bool]:
    """The initiative's reasons. An export without them gets the reason every SIP has by
    law, that the person needs interventions from several services; the note says so."""
    words = _items(cell)
    if not words:
        return [InitiativeReason.SEVERAL_SERVICES], False
    reasons = [c.INITIATIVE_REASONS.get(c.fold(w)) for w in words]
    if any(r is None for r in reasons):
        raise LineRefused("unknown_reason", "skal")
    return sorted({r for r in reasons if r is not None}), True


def _intervention(item: str, units: UnitIndex) -> InterventionRecord:
    """`enhet;status;beskrivning` or `enhet;status;start;slut;beskrivning`."""
    parts = [p.strip() for p in item.split(c.PART_SEPARATOR, 4)]
    start = end = None
    if len(parts) == 5 and all(not p or _DATE.match(p) for p in parts[2:4]):
        # An intervention's dates are plans: they may lie ahead.
        start = _parse_date(parts[2], "insatser", date.max) if parts[2] else None
        end = _parse_date(parts[3], "insatser", date.max) if parts[3] else None
        description = parts[4]
    else:
        parts = [p.strip() for p in item.split(c.PART_SEPARATOR, 2)]
        if len(parts) != 3:
            raise LineRefused("bad_item", "insatser")
        description = parts[2]
    if not parts[0] or not description:
        raise LineRefused("bad_item", "insatser")
    status = c.INTERVENTION_STATUSES.get(c.fold(parts[1]))
    if status is None:
        raise LineRefused("unknown_intervention_status", "insatser")
    return InterventionRecord(
        unit=units.find(parts[0], "insatser"),
        status=status,
        description=description,
        start_date=start,
        end_date=end,
    )
