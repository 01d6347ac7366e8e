"""Serve the floor as `samplan serve` serves Samplan (samplan/core/management/commands/
serve.py): the same server (gunicorn gthread or sync, or granian's WSGI interface), workers,
threads and access log.

python -m bench.serve_floor --port 8100 --workers 4 --server gthread
"""

from __future__ import annotations

import argparse
from typing import Any

from samplan.core.management.commands.serve import (
    DEFAULT_SERVER,
    SERVERS,
    THREADS,
    default_workers,
)


def _gunicorn(options: argparse.Namespace, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    from bench.floor import application

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{options.host}:{options.port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", THREADS if options.server == "gthread" else 1)
            self.cfg.set("worker_class", options.server)
            self.cfg.set("control_socket_disable", True)
            self.cfg.set("accesslog", "-")

        def load(self) -> Any:
            return application

    Server().run()


def _granian(options: argparse.Namespace, workers: int) -> None:
    from granian.constants import Interfaces
    from granian.server import Server

    Server(
        "bench.floor:application",
        address=options.host,
        port=options.port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=THREADS,
        log_access=True,
    ).serve()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--server", choices=SERVERS, default=DEFAULT_SERVER)
    options = parser.parse_args()
    workers = options.workers or default_workers(options.server)
    if options.server == "granian":
        _granian(options, workers)
    else:
        _gunicorn(options, workers)


if __name__ == "__main__":
    main()
