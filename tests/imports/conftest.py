"""The importing staff member: Karin Holm, case officer, acting through Socialpsykiatri
Ekbacka. Imports run through the `import_plans` command, as an operator would run them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from samplan.directory.models import Unit

USERNAME = "karin.holm"
UNIT_NAME = "Socialpsykiatri Ekbacka"


@dataclass
class Run:
    report: dict[str, Any]
    stdout: str

    @property
    def refused(self) -> dict[int, str]:
        return {r["line"]: r["code"] for r in self.report["refused_lines"]}


@pytest.fixture
def unit() -> Unit:
    return Unit.objects.get(name=UNIT_NAME)


@pytest.fixture
def run_import(tmp_path: Path, unit: Unit) -> Any:
    def run(path: Path, *extra: str) -> Run:
        report = tmp_path / f"report-{path.stem}.json"
        out = StringIO()
        call_command(
            "import_plans",
            str(path),
            "--user",
            USERNAME,
            "--unit",
            str(unit.pk),
            "--report",
            str(report),
            *extra,
            stdout=out,
        )
        return Run(json.loads(report.read_text(encoding="utf-8")), out.getvalue())

    return run
