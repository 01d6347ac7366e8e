"""`samplan serve`: run Samplan with gunicorn, static files served by WhiteNoise."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Samplan over HTTP (gunicorn)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        from django.core.handlers.wsgi import WSGIHandler
        from gunicorn.app.base import BaseApplication

        from samplan.wsgi import application

        bind = f"{options['host']}:{options['port']}"

        # gunicorn has no type hints: its base class is Any to mypy.
        class Server(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                self.cfg.set("bind", bind)
                self.cfg.set("workers", options["workers"])
                self.cfg.set("threads", 4)
                # Access logs would carry URLs; Samplan's URLs hold ids, never personal data.
                self.cfg.set("accesslog", "-")

            def load(self) -> WSGIHandler:
                return application

        self.stdout.write(f"Samplan: http://{bind}/")
        Server().run()
