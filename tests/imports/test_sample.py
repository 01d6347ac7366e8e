"""Issue 14's done-when: the import loads the project's sample export of 500 plans, and its
report matches what was planted, refused lines included (line numbers and reasons)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from samplan.audit.models import AuditEvent, Outcome
from samplan.demo.sample_export import PLANTS, write_sample_export
from samplan.directory.models import Person
from samplan.plans.models import Plan, PlanState

pytestmark = pytest.mark.django_db


def _imported_plans() -> Any:
    return Plan.objects.filter(initiative_note__startswith="Importerad från tidigare system")


def test_the_500_plan_sample_imports_as_planted(tmp_path: Path, run_import: Any) -> None:
    sample = write_sample_export(tmp_path / "export.csv", plans=500)
    # Every kind of refusal is planted, five times each.
    assert sorted(set(sample.planted.values())) == sorted(PLANTS)
    assert len(sample.planted) == 50
    persons_before = Person.objects.count()

    run = run_import(sample.path)

    report = run.report
    assert report["lines_read"] == 500
    assert run.refused == sample.planted
    assert report["imported"] == sample.expected_imported == 450
    assert report["plans_closed"] == sample.closed
    assert report["persons_found"] == sample.existing_persons > 0
    assert Person.objects.count() == persons_before + report["persons_created"]
    assert _imported_plans().count() == 450
    assert _imported_plans().filter(state=PlanState.CLOSED).count() == sample.closed
    assert (
        _imported_plans().exclude(state=PlanState.CLOSED).filter(state=PlanState.INITIATED).count()
        == 450 - sample.closed
    )
    # Each refused line says why, in Swedish and English.
    for refused in report["refused_lines"]:
        assert refused["reason_sv"]
        assert refused["reason_en"]
        assert refused["reason_sv"] != refused["reason_en"]
    # A plan refused by a service after its goals and interventions were written left nothing:
    # not the plan, not the person registered for it.
    assert sample.rejected_identifiers
    assert not Person.objects.filter(identifier__in=sample.rejected_identifiers).exists()
    # Nothing from the file's cells reaches the report or the output: no personnummer.
    text = run.stdout + str(report)
    assert not re.search(r"\d{8}-?\d{4}", text)
    # Refused lines are audited as bad input to a plan's start, by column.
    assert (
        AuditEvent.objects.filter(
            action="plan.initiate", outcome=Outcome.INVALID, actor__username="karin.holm"
        ).count()
        == 50
    )
