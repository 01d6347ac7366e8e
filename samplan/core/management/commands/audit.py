"""`samplan audit seal | verify | keygen | retain`: the audit log's seals (samplan/audit/
seal.py) and retention (samplan/audit/retention.py)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from samplan.audit import retention
from samplan.audit import seal as sealing
from samplan.audit import verify as verifying

SHOWN = 50  # findings printed per kind; the count says how many more


class Command(BaseCommand):
    help = (
        "Audit log tools. `seal` signs the committed events not yet sealed (`--loop SECONDS` "
        "keeps sealing, and seals once more when stopped); `verify` checks every seal and "
        "event; `keygen` writes a new signing key; `retain` removes the whole months before "
        "--before YYYY-MM (default: the retention period, SAMPLAN_AUDIT_RETENTION_MONTHS, back "
        "from this month) when every event in them is sealed, and records it, signed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", choices=["seal", "verify", "keygen", "retain"])
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="seal: keep sealing every SECONDS until stopped (SIGTERM, SIGINT).",
        )
        parser.add_argument(
            "--batch", type=int, default=sealing.BATCH, help="seal: events per seal."
        )
        parser.add_argument(
            "--path",
            type=Path,
            help="keygen: where to write the key (default: SAMPLAN_AUDIT_KEY_FILE).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=verifying.default_workers(),
            help="verify: processes reading the events on PostgreSQL (default: one per core).",
        )
        parser.add_argument(
            "--before",
            metavar="YYYY-MM",
            help="retain: remove the events before this month (Stockholm time); default: the "
            "oldest month the retention period allows.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        operation = options["operation"]
        try:
            if operation == "seal":
                self._seal(options["loop"], options["batch"])
            elif operation == "keygen":
                self._keygen(options["path"] or settings.AUDIT_SEAL_KEY_FILE)
            elif operation == "retain":
                self._retain(options["before"])
            else:
                self._verify(options["workers"])
        except sealing.SealKeyError as exc:
            raise CommandError(str(exc)) from exc

    def _seal(self, loop: float | None, batch: int) -> None:
        if batch <= 0 or (loop is not None and loop <= 0):
            raise CommandError("--batch and --loop take a positive number.")
        if loop is None:
            sealing.keep_partitions_ahead()  # PostgreSQL: months ahead (cron runs this)
            run = sealing.seal_pending(batch=batch)
            self.stdout.write(f"Sealed {run.events} audit events in {run.seals} seals.")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"Sealing every {loop:g} s; stop with SIGTERM or Ctrl-C.")
        total = sealing.run_sealer(loop, stop, batch)
        self.stdout.write(f"Stopped after sealing {total} audit events.")

    def _keygen(self, path: Path) -> None:
        try:
            key = sealing.write_new_key(path)
        except FileExistsError:
            raise CommandError(
                f"{path} exists; a key is never overwritten. Move it away first, and keep its "
                "public key in SAMPLAN_AUDIT_TRUSTED_KEYS so that older seals can be checked."
            ) from None
        public = sealing.public_hex(key)
        self.stdout.write(f"Wrote {path} (mode 0600). Key id {sealing.key_id(public)}.")
        self.stdout.write(f"Public key: {public}")

    def _retain(self, before: str | None) -> None:
        try:
            month = retention.parse_month(before) if before else retention.latest_cutoff()
            done = retention.retain(month)
        except retention.RetentionError as exc:
            raise CommandError(str(exc)) from exc
        if done.record is None:
            self.stdout.write(
                f"Inga logghändelser före {month:%Y-%m}; inget ändrades. / "
                f"No audit events before {month:%Y-%m}; nothing was changed."
            )
            return
        where = f" ({len(done.partitions)} partitions dropped)" if done.partitions else ""
        self.stdout.write(
            f"Removed {done.events} audit events before {month:%Y-%m}{where} and {done.seals} "
            f"seals; retention record {done.record.number} signed (key id "
            f"{done.record.key_id}). / Gallrade {done.events} logghändelser före {month:%Y-%m}."
        )

    def _verify(self, workers: int) -> None:
        if workers <= 0:
            raise CommandError("--workers takes a positive number.")
        report = verifying.verify(workers=workers, keep=SHOWN)
        self.stdout.write(verifying.summary(report))
        if report.key_problem:
            self.stdout.write(f"Key: {report.key_problem}")
        for finding in report.findings:  # the first SHOWN of each kind
            self.stdout.write(f"  {finding.kind}: {finding.message}")
        for kind, count in sorted(report.counts.items()):
            if count > SHOWN:
                self.stdout.write(f"  {kind}: {count - SHOWN} more")
        if report.intact:
            self.stdout.write("OK: every seal and every event checked; the log is intact.")
            return
        raise CommandError(
            f"NOT INTACT: {report.found} findings ({', '.join(sorted(report.counts))}). / "
            "Loggen är inte intakt."
        )
