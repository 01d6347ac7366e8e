"""`samplan audit verify`: recompute the audit hash chain and report the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from samplan.audit.chain import verify_chain


class Command(BaseCommand):
    help = "Audit log tools. `verify` recomputes the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = verify_chain()
        if broken is None:
            self.stdout.write(f"OK: {checked} audit events, the chain is intact.")
            return
        raise CommandError(
            f"BROKEN after {checked} intact events: event {broken.event_id} is "
            f"{broken.reason}. / Kedjan är bruten vid händelse {broken.event_id}."
        )
