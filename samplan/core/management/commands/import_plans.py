"""`samplan import_plans FILE --user USERNAME --unit UNIT [--dry-run] [--report FILE.json]`:
plans from another SIP tool's export (CSV or Excel) as drafts, each plan all or nothing, with
a report of what was read and refused (docs/import.md).

`samplan import_plans --make-sample N FILE` writes a sample export with planted refusals.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from samplan.accounts.models import User
from samplan.audit.actions import AuditAction
from samplan.authz import access
from samplan.authz.actor import Actor
from samplan.directory.models import Unit
from samplan.plans.imports import ImportFileError, ImportReport, Refusal, import_table, read_table


class Command(BaseCommand):
    help = (
        "Import plans from another SIP tool's export (.csv or .xlsx, format in docs/import.md) "
        "as drafts, through the plan services as USERNAME acting through UNIT (HSA-id or id). "
        "Each plan is imported whole or not at all; the report names refused lines and why."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the export, .csv or .xlsx")
        parser.add_argument("--user", help="the importing user's username")
        parser.add_argument("--unit", help="the unit the user acts through: HSA-id or id")
        parser.add_argument(
            "--dry-run", action="store_true", help="read and check everything, write nothing"
        )
        parser.add_argument("--report", help="write the report as JSON to this file")
        parser.add_argument(
            "--make-sample",
            type=int,
            metavar="N",
            help="write a sample export of N plans to FILE instead (refusals planted)",
        )
        parser.add_argument("--seed", type=int, default=14, help="the sample's random seed")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if options["make_sample"] is not None:
            self._make_sample(path, options["make_sample"], options["seed"])
            return
        actor = _actor(options["user"], options["unit"])
        try:
            table = read_table(path)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None

        def audit_refused(refusal: Refusal) -> None:
            # A refused line is bad input to a plan's start: audited by column, never value.
            # (A step the policy refused is audited as that refusal: on_denied below.)
            if refusal.code == "not_allowed":
                return
            access.audit_invalid(
                actor=actor,
                action=AuditAction.PLAN_INITIATE,
                fields=[refusal.column or refusal.code],
            )

        report = import_table(
            actor=actor,
            table=table,
            path=path,
            dry_run=options["dry_run"],
            on_refused=audit_refused,
            on_denied=access.ensure_refusal_audited,
        )
        if options["report"]:
            try:
                Path(options["report"]).write_text(
                    json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n",
                    encoding="utf-8",
                )
            except OSError as exc:
                self._summary(report, options["verbosity"])
                raise CommandError(
                    f"Rapporten kunde inte skrivas / the report could not be written: "
                    f"{exc.strerror}"
                ) from None
        self._summary(report, options["verbosity"])

    def _summary(self, report: ImportReport, verbosity: int) -> None:
        if verbosity == 0:
            return
        dry = " (provkörning, inget sparat / dry run, nothing saved)" if report.dry_run else ""
        self.stdout.write(
            f"Lästa rader / lines read: {report.lines_read}; importerade / imported: "
            f"{len(report.imported)} (varav avslutade / of which closed: {report.plans_closed}); "
            f"avvisade / refused: {len(report.refused)}{dry}"
        )
        self.stdout.write(
            f"Personer registrerade / persons registered: {report.persons_created}; "
            f"redan kända / already known: {report.persons_found}"
        )
        if report.ignored_columns:
            self.stdout.write(
                "Okända kolumner, ej lästa / unknown columns, not read: "
                + ", ".join(report.ignored_columns)
            )
        for refusal in report.refused:
            sv, en = refusal.words()
            self.stdout.write(f"  rad / line {refusal.line}: {sv} / {en}")

    def _make_sample(self, path: Path, plans: int, seed: int) -> None:
        from samplan.demo.sample_export import SampleError, write_sample_export

        if path.suffix.lower() not in (".csv", ".xlsx"):
            raise CommandError("Filen ska sluta på .csv eller .xlsx. / FILE must be .csv or .xlsx.")
        if plans < 1:
            raise CommandError("N ska vara minst 1. / N must be at least 1.")
        try:
            sample = write_sample_export(path, plans=plans, seed=seed)
        except SampleError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Skrev / wrote {sample.plans} planer / plans to {path}; "
            f"planterade avvisningar / planted refusals: {len(sample.planted)}"
        )
        for line, code in sorted(sample.planted.items()):
            self.stdout.write(f"  rad / line {line}: {code}")


def _actor(username: str | None, unit_ref: str | None) -> Actor:
    if not username or not unit_ref:
        raise CommandError(
            "Ange --user och --unit: importen görs av en användare genom en enhet. / "
            "Give --user and --unit: the import is made by a user acting through a unit."
        )
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"Ingen aktiv användare {username}. / No active user {username}.")
    unit = Unit.objects.filter(hsa_id__iexact=unit_ref, is_active=True).first()
    if unit is None and unit_ref.isdigit():
        unit = Unit.objects.filter(pk=int(unit_ref), is_active=True).first()
    actor = Actor.for_user(user, unit_id=unit.pk if unit else None)
    if unit is None or actor.unit is None or actor.unit.pk != unit.pk:
        raise CommandError(
            f"{username} arbetar inte i en aktiv enhet {unit_ref}. / "
            f"{username} does not work in an active unit {unit_ref}."
        )
    return actor
