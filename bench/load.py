"""Throughput over loopback: a server (`samplan serve`, or the floor under the same gunicorn
settings) loaded by wrk, a second process, at several connection counts; the workers' RSS
after the run."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

WRK_MISSING = (
    "wrk saknas: installera det med `sudo apt-get install wrk` (Debian). / wrk is missing: "
    "install it with `sudo apt-get install wrk` (Debian); throughput is not measured."
)


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"no server on port {port} after {timeout:.0f} s")


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@contextmanager
def server(
    kind: str, *, workers: int, env: dict[str, str], server: str = ""
) -> Iterator[dict[str, Any]]:
    """Start `samplan serve` (kind "samplan") or the floor (kind "floor") on a free port,
    with `server` (gthread, sync, granian; `samplan serve`'s default when empty) and
    `workers` (0: from the core count, as `samplan serve` chooses)."""
    port = _free_port()
    if kind == "samplan":
        cmd = [sys.executable, "-m", "samplan.cli", "serve", "--skip-checks"]
    else:
        cmd = [sys.executable, "-m", "bench.serve_floor"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    if server:
        cmd += ["--server", server]
    proc = subprocess.Popen(  # noqa: S603
        cmd,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    info: dict[str, Any] = {"port": port, "pid": proc.pid}
    try:
        _wait_for(port)
        time.sleep(1)
        yield info
    finally:
        workers_rss = [_rss_mb(c) for c in _children(proc.pid)]
        info["worker_rss_mb"] = round(max(workers_rss), 1) if workers_rss else None
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        # Nothing the server started outlives it (its sealer and other loops): the next
        # measurement runs on a machine as quiet as this one's.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


_LUA = """
local paths = {%(paths)s}
local i = 0
%(auth)s
wrk.headers["Host"] = "localhost"
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def _auth_headers(token: str, cookie: str) -> dict[str, str]:
    """A bearer token's header, or a signed-in session's cookie (`cookie`: name=value)."""
    return {"Cookie": cookie} if cookie else {"Authorization": f"Bearer {token}"}


def warm_up(
    port: int, paths: list[str], *, token: str, requests: int = 48, cookie: str = ""
) -> list[int]:
    """Requests from 8 threads until every worker has loaded what the path needs (the first
    FHIR request of a worker imports the FHIR models: seconds). Returns the statuses."""
    import http.client
    import urllib.error
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    def one(i: int) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{paths[i % len(paths)]}",
            headers={**_auth_headers(token, cookie), "Host": "localhost"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (http to loopback)
                response.read()
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except (OSError, http.client.HTTPException):
            # A worker restarted under load (a sync worker past its timeout): status 0.
            return 0

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(requests)))


def wrk(
    port: int,
    paths: list[str],
    *,
    connections: int,
    seconds: int,
    token: str,
    cookie: str = "",
) -> dict[str, Any]:
    """requests/s, latency p50/p99 and non-2xx answers of one wrk run, each request with
    the bearer token or, given a `cookie`, as the signed-in session."""
    auth = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in _auth_headers(token, cookie).items())
    lua = _LUA % {"paths": ", ".join(f'"{p}"' for p in paths), "auth": auth}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
        script = f.name
    try:
        wrk_bin = shutil.which("wrk") or "wrk"
        args = ["-t", str(min(connections, 2)), "-c", str(connections), "--timeout", "10s"]
        args += ["-d", f"{seconds}s", "--latency", "-s", script, f"http://127.0.0.1:{port}"]
        out = subprocess.run(  # noqa: S603
            [wrk_bin, *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    finally:
        os.unlink(script)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    total = re.search(r"(\d+) requests in", out)
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    return {
        "rps": round(rps, 1),
        "requests": int(total.group(1)) if total else 0,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "latency_p50": lat.get("50", ""),
        "latency_p99": lat.get("99", ""),
        "socket_errors": socket_errors.group(1).strip() if socket_errors else "",
    }
