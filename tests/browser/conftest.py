"""The browser suite: the real server on loopback, Debian's Chromium, the demo world.

A session fixture builds a fresh data folder (migrate, demo) and serves it with
`samplan serve`; the tests drive the pages through the browser only. They do not use
pytest-django's database (its flush would hit the audit table's append-only trigger): what a
test needs to know about the server's database it asks `probe.py` in a separate process.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = Path(sys.executable).parent
SAMPLAN = str(BIN / "samplan")
PASSWORD = "samplan-demo-2026"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCALE = "sv-SE"
TIMEZONE = "Europe/Stockholm"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class Server:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path
    _world: dict[str, Any] = field(default_factory=dict)

    def probe(self, *args: str) -> Any:
        result = subprocess.run(
            [sys.executable, str(HERE / "probe.py"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        if result.returncode:
            raise AssertionError(f"probe {args} failed:\n{result.stderr}")
        return json.loads(result.stdout)

    @property
    def world(self) -> dict[str, Any]:
        if not self._world:
            self._world = self.probe("world")
        return self._world


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    # Only this suite's settings: an operator's SAMPLAN_* or DATABASE_URL must not leak in.
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("SAMPLAN_") and k != "DATABASE_URL"
    }
    env.update(
        {
            "SAMPLAN_DATA_DIR": str(data_dir),
            "SAMPLAN_EMAIL": "file",
            "SAMPLAN_LOG_LEVEL": "warning",
            "DJANGO_SETTINGS_MODULE": "samplan.settings",
            **extra,
        }
    )
    return env


@contextlib.contextmanager
def running_server(**extra: str) -> Iterator[Server]:
    with tempfile.TemporaryDirectory(prefix="samplan-browser-") as tmp:
        data_dir = Path(tmp)
        env = _server_env(data_dir, **extra)
        for command in (["migrate", "--no-input", "-v0"], ["demo"]):
            subprocess.run(
                [SAMPLAN, *command], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
            )
        port = _free_port()
        log = data_dir / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [SAMPLAN, "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(url=f"http://127.0.0.1:{port}", env=env, process=process, log=log)
        try:
            _wait_until_up(server)
            yield server
        finally:
            _stop(process)
            errors = [line for line in log.read_text().splitlines() if "Traceback" in line]
            if errors:
                sys.stderr.write(log.read_text())


def _wait_until_up(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"samplan serve stopped:\n{server.log.read_text()}")
        try:
            with urllib.request.urlopen(server.url + "/login/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"samplan serve did not answer:\n{server.log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # The server's own process group (start_new_session): gunicorn and its workers.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    with running_server() as srv:
        yield srv


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


ContextFactory = Callable[..., BrowserContext]


@pytest.fixture
def new_context(browser: Browser, server: Server) -> Iterator[ContextFactory]:
    """Fresh browser contexts (own cookies), closed after the test."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        options.setdefault("locale", LOCALE)
        options.setdefault("timezone_id", TIMEZONE)
        options.setdefault("base_url", server.url)
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def login(page: Page, username: str, next_path: str = "") -> None:
    """Log in through the login page (typing, then Enter)."""
    page.goto("/login/" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_label("Lösenord").press("Enter")
    page.wait_for_load_state()
    assert "/login/" not in page.url, f"login as {username} failed"


def headings_in_order(page: Page) -> list[int]:
    """The levels of the page's visible headings; fails if a level is skipped."""
    levels: list[int] = page.evaluate(
        """() => Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6'))
            .filter(h => h.offsetParent !== null || h.getClientRects().length)
            .map(h => Number(h.tagName[1]))"""
    )
    assert levels, f"{page.url}: no headings"
    assert levels[0] == 1, f"{page.url}: first heading is not h1: {levels}"
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"{page.url}: heading level skipped: {levels}"
    return levels


def path_of(page: Page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)
