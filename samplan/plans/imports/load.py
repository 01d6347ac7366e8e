"""Loading an import file's lines as draft plans, each through the plan services in its own
savepoint: all of a plan or nothing of it, and the next line goes on.

Every write is a service call with the importing actor (a user acting through a unit), so it
is checked and audited like the same step taken in a page: the person registered
(`directory.services.person_create`) or looked up with a reason (`person_lookup`), the plan
initiated, its goals and interventions added, its title set, a closed plan closed. The old
tool's state and dates go into the initiative's note: Samplan records no consent, meeting or
established version it did not see.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, Q
from django.utils import translation

from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.directory import services as directory
from samplan.directory.models import LookupReason, Person
from samplan.plans import services as plans
from samplan.plans.imports import columns as c
from samplan.plans.imports.records import PlanRecord, UnitIndex, parse_line
from samplan.plans.imports.refusals import LineRefused, Refusal
from samplan.plans.imports.tables import Table
from samplan.plans.models import OPEN_STATES, InitiativeReason, Plan

type RefusalHook = Callable[[Refusal], None]
type DeniedHook = Callable[[authz.Denied], None]


@dataclass
class ImportReport:
    """What was read, imported and refused. Line numbers, Samplan's plan ids and reasons:
    nothing from the file's cells."""

    file: str
    kind: str
    dry_run: bool
    lines_read: int = 0
    imported: list[tuple[int, int]] = field(default_factory=list)  # (line, plan id)
    refused: list[Refusal] = field(default_factory=list)
    persons_created: int = 0
    persons_found: int = 0
    plans_closed: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.kind,
            "dry_run": self.dry_run,
            "lines_read": self.lines_read,
            "imported": len(self.imported),
            "refused": len(self.refused),
            "persons_created": self.persons_created,
            "persons_found": self.persons_found,
            "plans_closed": self.plans_closed,
            "ignored_columns": self.ignored_columns,
            "imported_lines": [{"line": line, "plan": pk} for line, pk in self.imported],
            "refused_lines": [r.as_dict() for r in self.refused],
        }


@dataclass
class _Seen:
    """Plans imported earlier in this run: open ones by (person, type), all by their date."""

    open: set[tuple[str, str]] = field(default_factory=set)
    all: set[tuple[str, str, Any]] = field(default_factory=set)

    def add(self, record: PlanRecord) -> None:
        if record.outcome == c.DRAFT:
            self.open.add((record.identifier, record.plan_type))
        self.all.add((record.identifier, record.plan_type, record.initiated_on))

    def has(self, record: PlanRecord) -> bool:
        same = (record.identifier, record.plan_type, record.initiated_on) in self.all
        return same or (
            record.outcome == c.DRAFT and (record.identifier, record.plan_type) in self.open
        )


def import_table(
    *,
    actor: Actor,
    table: Table,
    path: Path,
    dry_run: bool = False,
    on_refused: RefusalHook | None = None,
    on_denied: DeniedHook | None = None,
) -> ImportReport:
    """Import every line of `table`. A dry run does all of it and rolls it back, so that its
    report says what a real run would do."""
    report = ImportReport(
        file=path.name, kind=table.kind, dry_run=dry_run, ignored_columns=table.ignored_columns
    )
    units = UnitIndex()
    seen = _Seen()
    # Each line is its own transaction; a dry run holds them all in one, rolled back at the end.
    with transaction.atomic() if dry_run else nullcontext():
        for line, cells in table.lines:
            report.lines_read += 1
            refusal = _import_line(actor, line, cells, units, seen, report, on_denied)
            if refusal is not None:
                report.refused.append(refusal)
                if on_refused is not None:
                    on_refused(refusal)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _import_line(
    actor: Actor,
    line: int,
    cells: dict[str, str],
    units: UnitIndex,
    seen: _Seen,
    report: ImportReport,
    on_denied: DeniedHook | None,
) -> Refusal | None:
    try:
        record = parse_line(line, cells, units)
        if seen.has(record):
            raise LineRefused("duplicate_in_file")
        if _in_samplan(record):
            raise LineRefused("duplicate_in_samplan")
        with transaction.atomic():  # a savepoint: the plan whole, or nothing of it
            plan, created = _load(actor, record)
    except LineRefused as exc:
        return exc.at(line)
    except ValidationError as exc:
        return _rejected(line, exc)
    except authz.Denied as exc:
        if on_denied is not None:
            on_denied(_outside_savepoint(exc))
        return Refusal(line=line, code="not_allowed")
    except IntegrityError:
        # A constraint the services did not foresee (another writer registered the person at
        # the same moment): the savepoint took the plan back; the next line goes on.
        return Refusal(line=line, code="constraint")
    seen.add(record)
    report.imported.append((line, plan.pk))
    report.persons_created += created
    report.persons_found += not created
    report.plans_closed += record.outcome == c.CLOSED
    return None


def _outside_savepoint(exc: authz.Denied) -> authz.Denied:
    """The refusal without its object if the object was made in the rolled-back savepoint (a
    person registered for the plan): its audit row, written again, cannot name it."""
    obj = exc.obj
    if isinstance(obj, Model) and not type(obj)._default_manager.filter(pk=obj.pk).exists():
        exc.obj = None
    return exc


def _in_samplan(record: PlanRecord) -> bool:
    """The same plan imported before (person, type and initiative date), or, for an open plan,
    an open plan of the same type for the person."""
    same = Q(initiated_on=record.initiated_on)
    if record.outcome == c.DRAFT:
        same |= Q(state__in=OPEN_STATES)
    return Plan.objects.filter(
        same, person__identifier=record.identifier, plan_type=record.plan_type
    ).exists()


def _load(actor: Actor, record: PlanRecord) -> tuple[Plan, bool]:
    person, created = _person(actor, record)
    plan = plans.plan_initiate(
        actor=actor,
        person=person,
        reasons=record.reasons,
        initiated_on=record.initiated_on,
        note=_note(record),
        plan_type=record.plan_type,
        lss_decision_date=record.lss_decision_date,
        existing_plan_reference=record.existing_plan_reference,
    )
    for goal in record.goals:
        plans.goal_add(actor=actor, plan=plan, shared_goal=goal)
    for item in record.interventions:
        plans.intervention_add(
            actor=actor,
            plan=plan,
            description=item.description,
            responsible_organisation=item.unit.organisation,
            responsible_unit=item.unit,
            status=item.status,
            start_date=item.start_date,
            end_date=item.end_date,
        )
    if record.title:
        plans.plan_update_details(actor=actor, plan=plan, title=record.title)
    if record.outcome == c.CLOSED:
        closed = f" {record.closed_on.isoformat()}" if record.closed_on else ""
        plans.plan_close(
            actor=actor,
            plan=plan,
            reason=record.closure_reason,
            note=f"Avslutad{closed} i tidigare system.",
        )
    return plan, created


def _person(actor: Actor, record: PlanRecord) -> tuple[Person, bool]:
    """The person in the registry by personnummer: registered if absent, else looked up with
    the reason "start a plan" where the acting unit has no relation with him or her yet."""
    person = Person.objects.filter(identifier=record.identifier).first()
    if person is None:
        for column, value in (("fornamn", record.given_name), ("efternamn", record.family_name)):
            if not value:
                raise LineRefused("missing_value", column)
        person = directory.person_create(
            actor=actor,
            identifier=record.identifier,
            given_name=record.given_name,
            family_name=record.family_name,
        )
        return person, True
    if not authz.briefly_visible_persons(actor).filter(pk=person.pk).exists():
        directory.person_lookup(
            actor=actor,
            query=directory.LookupQuery(identifier=record.identifier),
            reason=LookupReason.START_PLAN,
        )
    return person, False


def _note(record: PlanRecord) -> str:
    """The initiative's note: where the plan came from, its state and dates there."""
    dates = [f"initierad {record.initiated_on.isoformat()}"]
    if record.established_on:
        dates.append(f"upprättad {record.established_on.isoformat()}")
    if record.closed_on:
        dates.append(f"avslutad {record.closed_on.isoformat()}")
    parts = [
        f"Importerad från tidigare system (plan-id där: {record.source_id}).",
        f"Status där: {record.original_state}; {', '.join(dates)}.",
    ]
    if not record.reasons_given:
        label = InitiativeReason(InitiativeReason.SEVERAL_SERVICES).label
        parts.append(f"Skäl saknades i exporten; angivet: {str(label).lower()}.")
    if record.participants:
        names = "; ".join(str(unit) for unit in record.participants)
        parts.append(f"Deltagande enheter där: {names}.")
    note = " ".join(parts)
    return f"{note}\n\n{record.description}" if record.description else note


# A value quoted in a message (Django's "Value 'x' is not a valid choice") is left out of the
# report: it came from the file.
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|«[^»]*»")


def _rejected(line: int, exc: ValidationError) -> Refusal:
    fields = sorted(exc.message_dict) if hasattr(exc, "error_dict") else []

    def words(language: str) -> str:
        with translation.override(language):
            return _QUOTED.sub("…", " ".join(str(m) for m in exc.messages))

    return Refusal(
        line=line,
        code="rejected",
        column=fields[0] if fields else "",
        params=(
            ("fields", ", ".join(fields) or "-"),
            ("message_en", words("en")),
            ("message_sv", words("sv")),
        ),
    )
