"""`samplan serve`: run Samplan over HTTP, static files served by WhiteNoise.

The server was chosen by measurement (`make bench`, docs/performance.md "Choosing the
server"): gunicorn with threads (gthread) by default; `--server sync` (gunicorn, one request
per process) and `--server granian` (granian's WSGI interface) are the measured alternatives.
The worker count follows the cores (`default_workers`). Each gunicorn server has a control
socket of its own (named by its port), so two servers on one host do not take each other's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

SERVERS = ("gthread", "sync", "granian")
DEFAULT_SERVER = "gthread"
THREADS = 4  # per gthread worker; granian's blocking threads per worker
# How long the server waits at shutdown for its sealer and workers before it kills them.
STOP_SECONDS = 30.0


def default_workers(server: str, cores: int | None = None) -> int:
    """Workers from the core count: a request to Samplan is CPU-bound (Python and the ORM)
    with short waits for the database, so about two per core for gunicorn, one more for one
    request per process (sync); granian, whose workers serve from threads of their own, one
    per core (as it advises)."""
    cores = cores or os.cpu_count() or 1
    if server == "granian":
        return cores
    return 2 * cores + 1 if server == "sync" else 2 * cores


def control_socket_path(host: str, port: int) -> str:
    """gunicorn's control socket for the server on host:port, in the data directory (a Unix
    socket path has at most 107 bytes: in the temporary directory if the data directory's is
    longer). gunicorn's default is one path for every server of the user."""
    name = f"gunicorn-{host}-{port}.ctl"
    path = Path(settings.DATA_DIR) / "run" / name
    if len(str(path).encode()) > 100:
        path = Path(tempfile.gettempdir()) / f"samplan-{os.getuid()}" / name
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return str(path)


def stop_processes(processes: list[subprocess.Popen[bytes]], seconds: float) -> None:
    """SIGTERM to all at once (the sealer seals once more before it stops); whatever has not
    stopped after `seconds` is killed, so that none is left running after the server."""
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + seconds
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Command(BaseCommand):
    help = "Serve Samplan over HTTP (gunicorn with threads by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=0,
            help="Worker processes; 0 (the default): from the core count.",
        )
        parser.add_argument("--server", choices=SERVERS, default=DEFAULT_SERVER)
        parser.add_argument(
            "--seal-every",
            type=float,
            default=5.0,
            help="Seconds between audit seals by a sealer process started with the server "
            "(`samplan audit seal --loop`); 0: none (run the sealer elsewhere).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        server: str = options["server"]
        workers: int = options["workers"] or default_workers(server)
        host: str = options["host"]
        port: int = options["port"]
        seal_every: float = options["seal_every"]
        sealer: list[subprocess.Popen[bytes]] = []

        def start_sealer(_server: object = None) -> None:
            # A process of its own, not a thread in the server's master: workers are forked
            # from the master, and a thread holding a lock at the fork would leave it held.
            if seal_every > 0:
                command = [sys.executable, "-m", "samplan.cli", "audit", "seal"]
                loop = ["--loop", f"{seal_every:g}"]
                sealer.append(subprocess.Popen([*command, *loop]))  # noqa: S603 - our own command
            # FHIR Subscriptions' notifications (samplan/subscriptions), sent every 5 seconds.
            deliver = ["subscriptions", "deliver", "--loop", "5"]
            sealer.append(subprocess.Popen([sys.executable, "-m", "samplan.cli", *deliver]))  # noqa: S603
            # The managers' pre-computed figures, refreshed from the plan events every 10
            # seconds (samplan/statistics/aggregates.py; until then the page reads live).
            refresh = ["statistics", "refresh", "--loop", "10"]
            sealer.append(subprocess.Popen([sys.executable, "-m", "samplan.cli", *refresh]))  # noqa: S603

        def stop_sealer(_server: object = None) -> None:
            stop_processes(sealer, STOP_SECONDS)

        self.stdout.write(f"Samplan: http://{host}:{port}/ ({server}, {workers} workers)")
        if server == "granian":
            self._granian(host, port, workers, start_sealer, stop_sealer)
        else:
            self._gunicorn(server, host, port, workers, start_sealer, stop_sealer)

    def _gunicorn(
        self,
        server: str,
        host: str,
        port: int,
        workers: int,
        start: Callable[[object], None],
        stop: Callable[[object], None],
    ) -> None:
        from django.core.handlers.wsgi import WSGIHandler
        from gunicorn.app.base import BaseApplication

        from samplan.wsgi import application

        control_socket = control_socket_path(host, port)

        # gunicorn has no type hints: its base class is Any to mypy.
        class Server(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                self.cfg.set("bind", f"{host}:{port}")
                self.cfg.set("workers", workers)
                self.cfg.set("threads", THREADS if server == "gthread" else 1)
                self.cfg.set("worker_class", server)
                self.cfg.set("control_socket", control_socket)
                # Access logs would carry URLs; Samplan's URLs hold ids, never personal data.
                self.cfg.set("accesslog", "-")
                self.cfg.set("when_ready", start)
                self.cfg.set("on_exit", stop)

            def load(self) -> WSGIHandler:
                return application

        Server().run()

    def _granian(
        self,
        host: str,
        port: int,
        workers: int,
        start: Callable[[], None],
        stop: Callable[[], None],
    ) -> None:
        from granian.constants import Interfaces
        from granian.server import Server

        server = Server(
            "samplan.wsgi:application",
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            blocking_threads=THREADS,
            log_access=True,
        )
        start()
        try:
            server.serve()
        finally:
            stop()
