"""`samplan subscriptions deliver [--loop SECONDS]`: notify FHIR subscribers of plan changes
(samplan/subscriptions/delivery.py). Without --loop: one pass (read new plan events, send
what is due) and a summary."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from samplan.subscriptions import delivery


class Command(BaseCommand):
    help = (
        "FHIR Subscriptions. `deliver` reads the plan events not yet read and sends the "
        "notifications that are due (`--loop SECONDS` keeps doing so until stopped)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", choices=["deliver"])
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="deliver: keep delivering every SECONDS until stopped (SIGTERM, SIGINT).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        loop: float | None = options["loop"]
        if loop is not None and loop <= 0:
            raise CommandError("--loop takes a positive number.")
        if loop is None:
            events, run = delivery.process()
            self.stdout.write(f"Read {events.events} plan events: {run}.")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"Delivering every {loop:g} s; stop with SIGTERM or Ctrl-C.")
        delivered = delivery.run_worker(loop, stop)
        self.stdout.write(f"Stopped after {delivered} notifications delivered.")
