"""The import command on small files: both formats, a missing column, running twice, a dry run,
what one imported plan holds, and the refusals the file's own form causes."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from samplan.audit.models import AuditEvent
from samplan.demo.sample_export import write_sample_export
from samplan.demo.world import person_number
from samplan.directory.models import Person, Unit
from samplan.plans.imports import write_table
from samplan.plans.imports.columns import COLUMNS
from samplan.plans.models import ClosureReason, Plan, PlanState
from tests.imports.conftest import USERNAME

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NEW_NUMBER = person_number(date(1971, 3, 14), 482)


def _row(**cells: str) -> list[str]:
    base = dict.fromkeys(COLUMNS, "")
    base.update(
        plan_id="A-1",
        personnummer=NEW_NUMBER,
        fornamn="Ines",
        efternamn="Importsson",
        plantyp="SIP",
        status="Initierad",
        initierad=(TODAY - timedelta(days=400)).isoformat(),
    )
    base.update(cells)
    return [base[c] for c in COLUMNS]


def _counts() -> tuple[int, int, int]:
    return Plan.objects.count(), Person.objects.count(), AuditEvent.objects.count()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_both_formats_import_as_planted(tmp_path: Path, run_import: Any, suffix: str) -> None:
    sample = write_sample_export(tmp_path / f"export{suffix}", plans=20, seed=3)
    assert sample.planted == {9: "personnummer", 19: "unknown_unit"}

    run = run_import(sample.path)

    assert run.report["format"] == suffix[1:]
    assert run.refused == sample.planted
    assert run.report["imported"] == sample.expected_imported


def test_a_missing_column_is_named_and_nothing_is_written(tmp_path: Path, unit: Unit) -> None:
    path = tmp_path / "export.csv"
    header = [c for c in COLUMNS if c != "personnummer"]
    write_table(path, header, [[v for c, v in zip(COLUMNS, _row(), strict=True) if c in header]])
    before = _counts()

    with pytest.raises(CommandError) as refused:
        call_command("import_plans", str(path), "--user", USERNAME, "--unit", str(unit.pk))

    assert "Kolumner saknas i filens första rad: personnummer" in str(refused.value)
    assert "Columns missing from the file's first line: personnummer" in str(refused.value)
    assert _counts() == before


def test_running_twice_refuses_every_plan_the_second_time(tmp_path: Path, run_import: Any) -> None:
    sample = write_sample_export(tmp_path / "export.csv", plans=30, seed=5)
    first = run_import(sample.path)
    assert first.refused == sample.planted
    assert sample.planted[29] == "duplicate_in_file"
    plans = Plan.objects.count()

    second = run_import(sample.path)

    assert second.report["imported"] == 0
    assert Plan.objects.count() == plans
    expected = dict.fromkeys(range(2, 32), "duplicate_in_samplan")
    for line, code in sample.planted.items():
        # A line refused the first time for its own form is refused for it again; a duplicate
        # of an earlier line is now a duplicate of the plan that line made.
        if code not in ("duplicate_in_file", "duplicate_in_samplan"):
            expected[line] = code
    assert second.refused == expected


def test_a_dry_run_reports_what_a_run_would_do_and_writes_nothing(
    tmp_path: Path, run_import: Any
) -> None:
    sample = write_sample_export(tmp_path / "export.csv", plans=12, seed=7)
    before = _counts()

    dry = run_import(sample.path, "--dry-run")

    assert _counts() == before
    assert dry.report["dry_run"] is True
    assert "inget sparat / dry run, nothing saved" in dry.stdout
    real = run_import(sample.path)
    assert dry.refused == real.refused == sample.planted
    assert dry.report["imported"] == real.report["imported"] == sample.expected_imported


def test_an_imported_plan_holds_the_file_s_content(
    tmp_path: Path, run_import: Any, unit: Unit
) -> None:
    path = tmp_path / "export.csv"
    other = Unit.objects.get(name="Öppenpsykiatri Sjöstad")
    initiated = TODAY - timedelta(days=700)
    closed_number = person_number(date(1950, 8, 1), 913)
    write_table(
        path,
        COLUMNS,
        [
            _row(
                status="Upprättad",
                upprattad=(initiated + timedelta(days=30)).isoformat(),
                initierad=initiated.isoformat(),
                rubrik="Stöd i vardagen",
                skal="Upprepade besök i vården|transition",
                deltagare=f"{unit.name}|{other.name}",
                mal="Bo kvar hemma|Ha en sysselsättning",
                insatser=(
                    f"{other.name};beslutad;2024-01-01;{TODAY.year + 1}-06-30;Samtal varannan vecka"
                    "|"
                    f"{unit.name};planerad;Boendestöd"
                ),
            ),
            _row(
                plan_id="A-2",
                personnummer=closed_number,
                status="Avslutad",
                avslutad=(TODAY - timedelta(days=10)).isoformat(),
                avslutsorsak="Flyttat",
            ),
        ],
    )

    run = run_import(path)

    assert run.refused == {}
    assert run.report["persons_created"] == 2
    plan = Plan.objects.get(person__identifier=NEW_NUMBER)
    assert plan.state == PlanState.INITIATED
    assert plan.initiated_on == initiated
    assert plan.initiating_unit == unit
    assert plan.title == "Stöd i vardagen"
    assert plan.reasons == ["repeated_visits", "transition"]
    assert "Status där: Upprättad" in plan.initiative_note
    assert f"upprättad {(initiated + timedelta(days=30)).isoformat()}" in plan.initiative_note
    assert other.name in plan.initiative_note
    assert plan.versions.count() == 0  # no version Samplan did not see established
    assert [g.shared_goal for g in plan.goals.all()] == ["Bo kvar hemma", "Ha en sysselsättning"]
    first, second = plan.interventions.all()
    assert (first.responsible_unit, first.responsible_organisation) == (other, other.organisation)
    assert (first.status, first.start_date, first.end_date) == (
        "decided",
        date(2024, 1, 1),
        date(TODAY.year + 1, 6, 30),  # an intervention's dates are plans: ahead is fine
    )
    assert (second.responsible_unit, second.status) == (unit, "planned")
    closed = Plan.objects.get(person__identifier=closed_number)
    assert closed.state == PlanState.CLOSED
    assert closed.closure_reason == ClosureReason.MOVED
    # Every write is audited as the importing user acting through the unit.
    actions = set(
        AuditEvent.objects.filter(
            person=plan.person, actor__username=USERNAME, actor_unit=unit
        ).values_list("action", flat=True)
    )
    assert {"person.create", "plan.initiate", "goal.add", "intervention.add"} <= actions
    assert AuditEvent.objects.filter(
        person=closed.person, action="plan.close", actor__username=USERNAME
    ).exists()


def test_a_known_person_is_looked_up_with_a_reason(
    tmp_path: Path, run_import: Any, unit: Unit
) -> None:
    known = Person.objects.exclude(plans__plan_type="SIP").filter(identifier_kind="personnummer")
    person = known.first()
    assert person is not None
    path = tmp_path / "export.csv"
    write_table(path, COLUMNS, [_row(personnummer=person.identifier, fornamn="", efternamn="")])

    run = run_import(path)

    assert run.report["persons_found"] == 1
    assert Plan.objects.filter(person=person, initiating_unit=unit).exists()
    assert AuditEvent.objects.filter(
        action="person.lookup", person=person, actor__username=USERNAME
    ).exists()


@pytest.mark.parametrize(
    ("cells", "code", "column"),
    [
        (
            {"personnummer": NEW_NUMBER[:-1] + str((int(NEW_NUMBER[-1]) + 1) % 10)},
            "personnummer",
            "personnummer",
        ),
        ({"personnummer": "1971031"}, "personnummer", "personnummer"),
        ({"plantyp": "Vårdplan"}, "unknown_plan_type", "plantyp"),
        ({"plantyp": "IP"}, "missing_value", "lss_beslut"),
        ({"plantyp": "HP"}, "missing_value", "befintlig_plan"),
        ({"initierad": "14/3 2020"}, "bad_date", "initierad"),
        ({"skal": "Okänt skäl"}, "unknown_reason", "skal"),
        ({"status": "Avslutad", "avslutsorsak": "Annat"}, "closure_reason", "avslutsorsak"),
        ({"deltagare": "SE2321000016-NONE"}, "unknown_unit", "deltagare"),
        ({"insatser": "Hemtjänst Ekbacka;beslutad"}, "bad_item", "insatser"),
        ({"insatser": "Hemtjänst Ekbacka;kanske;Hjälp"}, "unknown_intervention_status", "insatser"),
        ({"fornamn": ""}, "missing_value", "fornamn"),
    ],
)
def test_a_line_s_own_form_is_refused_with_the_column(
    tmp_path: Path, run_import: Any, cells: dict[str, str], code: str, column: str
) -> None:
    path = tmp_path / "export.csv"
    write_table(
        path,
        COLUMNS,
        [_row(**cells), _row(plan_id="A-2", personnummer=person_number(date(1990, 1, 2), 345))],
    )
    before = Person.objects.count()

    run = run_import(path)

    (refused,) = run.report["refused_lines"]
    assert (refused["line"], refused["code"], refused["column"]) == (2, code, column)
    assert column in refused["reason_sv"]
    assert column in refused["reason_en"]
    assert run.report["imported"] == 1  # the next line goes on
    assert Person.objects.count() == before + 1


def test_headers_are_matched_loosely(tmp_path: Path, run_import: Any) -> None:
    path = tmp_path / "export.csv"
    loose = {"plan_id": "Plan-ID", "fornamn": "Förnamn", "efternamn": "EFTERNAMN"}
    header = [loose.get(c, c) for c in COLUMNS] + ["Handläggare"]
    write_table(path, header, [[*_row(), "ignored"]])

    run = run_import(path)

    assert run.report["imported"] == 1
    assert run.report["ignored_columns"] == ["handlaggare"]


def test_the_user_must_work_in_the_unit(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    write_table(path, COLUMNS, [_row()])
    other = Unit.objects.get(name="Öppenpsykiatri Sjöstad")

    with pytest.raises(CommandError, match="arbetar inte i en aktiv enhet"):
        call_command("import_plans", str(path), "--user", USERNAME, "--unit", str(other.pk))
    assert not Person.objects.filter(identifier=NEW_NUMBER).exists()


def test_make_sample_writes_the_file_and_names_the_planted_lines(tmp_path: Path) -> None:
    from io import StringIO

    path = tmp_path / "sample.xlsx"
    out = StringIO()
    call_command("import_plans", str(path), "--make-sample", "20", stdout=out)
    assert path.exists()
    assert "rad / line 9: personnummer" in out.getvalue()


def test_the_example_in_the_docs_imports(tmp_path: Path, run_import: Any) -> None:
    docs = (Path(__file__).parents[2] / "docs" / "import.md").read_text(encoding="utf-8")
    example = docs.split("An example (CSV, `;`-separated):\n\n```\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.csv"
    path.write_text(example, encoding="utf-8")

    run = run_import(path)

    assert run.refused == {}
    assert run.report["imported"] == 2
    plan = Plan.objects.get(person__identifier="197103144825")
    assert plan.interventions.count() == 2
    assert plan.goals.count() == 2


def test_a_plan_refused_half_way_leaves_nothing_and_the_next_goes_on(
    tmp_path: Path, run_import: Any, unit: Unit
) -> None:
    path = tmp_path / "export.csv"
    other_number = person_number(date(1990, 1, 2), 345)
    write_table(
        path,
        COLUMNS,
        [
            # The title is checked last, after the goal and the intervention were added.
            _row(
                rubrik="x" * 250,
                mal="Ett mål som inte ska finnas kvar",
                insatser=f"{unit.name};planerad;En insats som inte ska finnas kvar",
            ),
            _row(plan_id="A-2", personnummer=other_number),
        ],
    )

    run = run_import(path)

    (refused,) = run.report["refused_lines"]
    assert (refused["line"], refused["code"], refused["column"]) == (2, "rejected", "title")
    assert "200" in refused["reason_sv"]
    assert "at most 200 characters" in refused["reason_en"]
    assert not Person.objects.filter(identifier=NEW_NUMBER).exists()
    assert not Plan.objects.filter(goals__shared_goal="Ett mål som inte ska finnas kvar").exists()
    assert Plan.objects.filter(person__identifier=other_number).count() == 1


def test_a_unit_name_that_fits_two_units_is_refused(tmp_path: Path, run_import: Any) -> None:
    strandvik = Unit.objects.get(name="Hemtjänst Strandvik").organisation
    Unit.objects.create(organisation=strandvik, name="Hemtjänst Ekbacka", kind="home_care")
    path = tmp_path / "export.csv"
    write_table(path, COLUMNS, [_row(insatser="hemtjänst ekbacka;beslutad;Hjälp")])

    run = run_import(path)

    assert run.refused == {2: "ambiguous_unit"}


def test_excel_cells_typed_as_dates_and_numbers_are_read(tmp_path: Path, run_import: Any) -> None:
    from openpyxl import Workbook

    path = tmp_path / "export.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(COLUMNS))
    cells: list[Any] = _row(plan_id="")
    cells[COLUMNS.index("plan_id")] = 4711
    cells[COLUMNS.index("personnummer")] = int(NEW_NUMBER)
    cells[COLUMNS.index("initierad")] = date(2022, 5, 17)
    sheet.append(cells)
    book.save(path)

    run = run_import(path)

    assert run.refused == {}
    assert Plan.objects.get(person__identifier=NEW_NUMBER).initiated_on == date(2022, 5, 17)


def test_a_csv_line_number_is_the_file_s_own_after_a_cell_spanning_lines(
    tmp_path: Path, run_import: Any
) -> None:
    path = tmp_path / "export.csv"
    bad = _row(plan_id="A-2", personnummer="19710314")
    write_table(path, COLUMNS, [_row(beskrivning="Första raden\nandra raden\ntredje"), bad])

    run = run_import(path)

    # The first plan's cell spans lines 2-4 of the file, so the second plan starts on line 5.
    assert run.refused == {5: "personnummer"}
    note = Plan.objects.get(person__identifier=NEW_NUMBER).initiative_note
    assert note.endswith("Första raden\nandra raden\ntredje")


def test_a_step_the_policy_refuses_is_a_refused_line_and_stays_audited(
    tmp_path: Path, run_import: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from samplan.audit.models import Outcome
    from samplan.authz import policy
    from samplan.plans import services

    def refused_initiative(*, actor: Any, person: Person, **_: Any) -> Plan:
        raise policy.refuse(actor, policy.Action.PLAN_INITIATE, person)

    monkeypatch.setattr(services, "plan_initiate", refused_initiative)
    path = tmp_path / "export.csv"
    write_table(path, COLUMNS, [_row()])

    run = run_import(path)

    assert run.refused == {2: "not_allowed"}
    assert not Person.objects.filter(identifier=NEW_NUMBER).exists()  # rolled back with it
    # The refusal's audit row went with the rolled-back plan; it was written again.
    assert AuditEvent.objects.filter(
        action="plan.initiate", outcome=Outcome.DENIED, actor__username=USERNAME
    ).exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "Ange --user och --unit"),
        (["--user", "nobody", "--unit", "1"], "Ingen aktiv användare nobody"),
        (["--user", USERNAME, "--unit", "SE0000000000-NONE"], "arbetar inte i en aktiv enhet"),
    ],
)
def test_the_command_needs_a_user_acting_through_a_unit(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    path = tmp_path / "export.csv"
    write_table(path, COLUMNS, [_row()])

    with pytest.raises(CommandError, match=message):
        call_command("import_plans", str(path), *arguments)


def test_a_file_that_is_not_csv_or_xlsx_is_refused(tmp_path: Path, unit: Unit) -> None:
    path = tmp_path / "export.txt"
    path.write_text("plan_id;personnummer\n", encoding="utf-8")

    with pytest.raises(CommandError, match=r"\.csv.*\.xlsx"):
        call_command("import_plans", str(path), "--user", USERNAME, "--unit", str(unit.pk))


def test_a_database_constraint_broken_half_way_refuses_that_plan_only(
    tmp_path: Path, run_import: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import IntegrityError

    from samplan.plans import services

    add_goal = services.goal_add

    def goal_add(**kwargs: Any) -> Any:
        if kwargs["shared_goal"] == "Bryter en regel":
            raise IntegrityError("constraint")
        return add_goal(**kwargs)

    monkeypatch.setattr(services, "goal_add", goal_add)
    path = tmp_path / "export.csv"
    other_number = person_number(date(1990, 1, 2), 345)
    write_table(
        path,
        COLUMNS,
        [
            _row(mal="Bryter en regel"),
            _row(plan_id="A-2", personnummer=other_number, mal="Ett vanligt mål"),
        ],
    )

    run = run_import(path)

    assert run.refused == {2: "constraint"}
    assert not Person.objects.filter(identifier=NEW_NUMBER).exists()
    assert Plan.objects.get(person__identifier=other_number).goals.count() == 1


def test_make_sample_needs_units_to_name(tmp_path: Path) -> None:
    Unit.objects.update(is_active=False)

    with pytest.raises(CommandError, match="samplan demo"):
        call_command("import_plans", str(tmp_path / "s.csv"), "--make-sample", "5")
