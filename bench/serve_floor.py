"""Serve the floor with gunicorn, configured as `samplan serve` configures Samplan
(samplan/core/management/commands/serve.py: bind, workers, 4 threads, access log on stdout).
Keep SETTINGS in step with that command.

python -m bench.serve_floor --port 8100 --workers 4
"""

from __future__ import annotations

import argparse
from typing import Any

from bench.floor import application

# As samplan serve sets them, besides bind and workers.
SETTINGS: dict[str, Any] = {"threads": 4, "accesslog": "-"}


def main() -> None:
    from gunicorn.app.base import BaseApplication

    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{options.host}:{options.port}")
            self.cfg.set("workers", options.workers)
            for key, value in SETTINGS.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    Server().run()


if __name__ == "__main__":
    main()
