"""`samplan statistics rebuild|refresh`: the managers' pre-computed figures
(samplan/statistics/aggregates.py, docs/statistics.md "Speed").

rebuild: count every organisation's every day again, summed per month, quarter and year (after
`samplan generate`, a restore, or anything that changed plans without the plan services; each
kind of row read once, with a progress line). refresh: count again the months the plan events
since the last refresh may have touched; `--loop N` every N seconds (started by `samplan
serve`).
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from samplan.statistics import aggregates


class Command(BaseCommand):
    help = "Rebuild or refresh the managers' pre-computed figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=("rebuild", "refresh"))
        parser.add_argument(
            "--loop", type=float, default=0.0, help="refresh: every N seconds, until stopped."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rebuild":
            summary = aggregates.rebuild(progress=lambda line: self.stderr.write(line))
            self.stdout.write(json.dumps(summary))
            return
        every: float = options["loop"]
        while True:
            done = aggregates.refresh()
            while done.events == aggregates.BATCH:
                done = aggregates.refresh()
            if not every:
                self.stdout.write(json.dumps(done.__dict__))
                return
            time.sleep(every)
