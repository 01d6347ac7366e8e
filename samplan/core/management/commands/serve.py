"""`samplan serve`: run Samplan with gunicorn, static files served by WhiteNoise."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Samplan over HTTP (gunicorn)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument(
            "--seal-every",
            type=float,
            default=5.0,
            help="Seconds between audit seals by a sealer process started with the server "
            "(`samplan audit seal --loop`); 0: none (run the sealer elsewhere).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.core.handlers.wsgi import WSGIHandler
        from gunicorn.app.base import BaseApplication

        from samplan.wsgi import application

        bind = f"{options['host']}:{options['port']}"
        seal_every: float = options["seal_every"]
        sealer: list[subprocess.Popen[bytes]] = []

        def start_sealer(_server: object) -> None:
            # A process of its own, not a thread in gunicorn's master: workers are forked
            # from the master, and a thread holding a lock at the fork would leave it held.
            if seal_every > 0:
                command = [sys.executable, "-m", "samplan.cli", "audit", "seal"]
                loop = ["--loop", f"{seal_every:g}"]
                sealer.append(subprocess.Popen([*command, *loop]))  # noqa: S603 - our own command
            # FHIR Subscriptions' notifications (samplan/subscriptions), sent every 5 seconds.
            deliver = ["subscriptions", "deliver", "--loop", "5"]
            sealer.append(subprocess.Popen([sys.executable, "-m", "samplan.cli", *deliver]))  # noqa: S603

        def stop_sealer(_server: object) -> None:
            # SIGTERM: the sealer seals once more before it stops (shutdown).
            for process in sealer:
                process.terminate()
                process.wait(timeout=30)

        # gunicorn has no type hints: its base class is Any to mypy.
        class Server(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                self.cfg.set("bind", bind)
                self.cfg.set("workers", options["workers"])
                self.cfg.set("threads", 4)
                # Access logs would carry URLs; Samplan's URLs hold ids, never personal data.
                self.cfg.set("accesslog", "-")
                self.cfg.set("when_ready", start_sealer)
                self.cfg.set("on_exit", stop_sealer)

            def load(self) -> WSGIHandler:
                return application

        self.stdout.write(f"Samplan: http://{bind}/")
        Server().run()
