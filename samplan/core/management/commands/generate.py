"""`samplan generate --scale town|region [--seed N] [--append|--reset]`: a generated world."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from samplan.demo.generate import PUBLIC_SCALES, Progress, check_arguments, timed
from samplan.demo.generate_load import GenerateError


class _Bar(Progress):
    """A progress bar on stderr (rich), one line per stage."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        self.bar = RichProgress(
            "{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self.bar.start()

    def stage(self, label: str, total: int) -> Callable[[int], None]:
        task = self.bar.add_task(label, total=total)
        return lambda n: self.bar.advance(task, n)

    def done(self) -> None:
        self.bar.stop()


class Command(BaseCommand):
    help = (
        "Generate a plausible world in bulk: town (1/100 of a region) or region (about "
        "300,000 persons, 250,000 plans, 20 million audit events). Refuses a database that "
        "already holds data unless --append or --reset is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # The scale is checked by the generator, so that a wrong one gets its own message.
        parser.add_argument("--scale", required=True, help=" | ".join(PUBLIC_SCALES))
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--until", help="the last day of the history (default today)")
        parser.add_argument("--scale-factor", type=float, default=None, help=argparse.SUPPRESS)
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--append", action="store_true", help="add to what is there")
        group.add_argument("--reset", action="store_true", help="empty the database first")

    def handle(self, *args: Any, **options: Any) -> None:
        from datetime import date

        try:
            factor = check_arguments(
                scale=options["scale"], factor=options["scale_factor"], seed=options["seed"]
            )
            until = date.fromisoformat(options["until"]) if options["until"] else None
        except ValueError as exc:
            raise CommandError(f"Ogiltigt datum / invalid date: {exc}") from exc
        except GenerateError as exc:
            raise CommandError(str(exc)) from exc
        mode = "append" if options["append"] else "reset" if options["reset"] else "fresh"
        show = options["verbosity"] > 0 and sys.stderr.isatty()
        progress = _Bar() if show else Progress()
        try:
            rows, seconds = timed(
                factor=factor, seed=options["seed"], mode=mode, until=until, progress=progress
            )
        except GenerateError as exc:
            raise CommandError(f"{exc}\nInget skrevs / nothing was written.") from exc
        finally:
            progress.done()
        if options["verbosity"] > 0:
            total = sum(rows.values())
            self.stdout.write(f"Genererat / generated {total:,} rows in {seconds:.1f} s:")
            for table, n in sorted(rows.items(), key=lambda kv: -kv[1]):
                self.stdout.write(f"  {table:<40} {n:>12,}")
