"""`samplan demo`: seed the demo world (once) and print the demo logins."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from samplan.demo import world


class Command(BaseCommand):
    help = "Seed the demo world if it is not there, and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print demo users as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        created = False
        if not world.demo_exists():
            world.build()
            created = True
        users = world.demo_users()
        if options["json"]:
            payload = [
                {
                    "username": u.username,
                    "password": world.DEMO_PASSWORD,
                    "name": u.name,
                    "organisation": u.organisation,
                    "unit": u.unit,
                    "role": u.role,
                }
                for u in users
            ]
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self.stdout.write("Demovärlden skapades." if created else "Demovärlden finns redan.")
        self.stdout.write(f"Demo logins (password for all: {world.DEMO_PASSWORD}):")
        for u in users:
            self.stdout.write(f"  {u.username:<18} {u.role:<30} {u.unit}, {u.organisation}")
