"""`make bench`: one run on PostgreSQL (when reachable) with SQLite as a second column.

For each scale (BENCH_SCALE, default "town,region": both in one run): a fresh database,
`samplan generate`, the pages' server-side timings, query counts and the time of their SQL run
directly (bench/pages.py); `samplan audit seal` and `samplan audit verify`; on PostgreSQL,
throughput over loopback with wrk at 1, 16 and 64 connections for the audited FHIR
`CarePlan/{id}` read and the REST plan read (`samplan serve`) and the floor (bench/floor.py,
the same gunicorn settings); ratios to the floor; worker RSS. Writes bench/results/latest.json
and the Markdown table, printed and put in docs/performance.md between its markers.

Environment: BENCH_SCALE (town,region), BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/
samplan_bench; the database is dropped and made again), BENCH_WORLD_<SCALE> (a PostgreSQL URL
of a world `samplan generate --scale <scale> --seed 1` made earlier: used as it is, migrated,
not generated again; its generation is then not timed in this run; with
BENCH_WORLD_<SCALE>_PREPARED=1 the steps after loading, PREPARE, are taken as done),
BENCH_SQLITE_SCALES (the scales also measured on SQLite: town; empty for none),
BENCH_SECONDS (10 per
wrk run), BENCH_CONNECTIONS (1,16,64), BENCH_WORKERS (0: from the cores, as `samplan serve`),
BENCH_RUNS (20), BENCH_SERVERS (the server candidates compared: gthread,sync,granian; empty:
none),
BENCH_SERVER_SECONDS (6 per candidate and app).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import floor_sql, load, report

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/samplan_bench"
# Run after a world is loaded, before its pages are measured.
PREPARE: list[tuple[str, ...]] = [("statistics", "rebuild")]


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _pg_ready(url: str) -> bool:
    import psycopg

    base, _, _name = url.rpartition("/")
    try:
        with psycopg.connect(f"{base}/postgres", connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _pg_recreate(url: str) -> None:
    import psycopg
    from psycopg import sql

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _samplan(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "samplan.cli", *args, "--skip-checks"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    if done.returncode:
        _say(done.stderr[-3000:])
        raise SystemExit(f"samplan {' '.join(args)} failed ({done.returncode})")
    return done.stdout


def _world(env: dict[str, str], scale: str) -> dict[str, Any]:
    _samplan(env, "migrate", "-v0")
    started = time.perf_counter()
    out = _samplan(env, "generate", "--scale", scale, "--seed", "1")
    seconds = time.perf_counter() - started
    rows = {}
    for line in out.splitlines()[1:]:
        table, _, n = line.strip().rpartition(" ")
        if table:
            rows[table.strip()] = int(n.replace(",", ""))
    return {"seconds": round(seconds, 1), "rows": rows, "total_rows": sum(rows.values())}


def _seal_and_verify(env: dict[str, str]) -> dict[str, float]:
    """Seal the generated audit events (so that the sealer `samplan serve` starts seals only
    what the load writes, as it would in use), then verify every seal and event."""
    out = {}
    for step in ("seal", "verify"):
        _say(f"  audit {step}")
        started = time.perf_counter()
        _samplan(env, "audit", step)
        out[f"{step}_seconds"] = round(time.perf_counter() - started, 1)
    return out


def _prepare(env: dict[str, str]) -> dict[str, float]:
    """What a deployment runs once after loading a world, before the pages are measured
    (timed)."""
    took = {}
    for command in PREPARE:
        _say(f"  samplan {' '.join(command)}")
        started = time.perf_counter()
        _samplan(env, *command)
        took[" ".join(command)] = round(time.perf_counter() - started, 1)
    return took


def _pages(env: dict[str, str]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.pages", out],
        cwd=ROOT,
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "samplan.settings"},
        check=True,
        capture_output=True,
    )
    data: dict[str, Any] = json.loads(Path(out).read_text())
    os.unlink(out)
    return data


def _throughput(env: dict[str, str], fixtures: dict[str, Any], url: str) -> dict[str, Any]:
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    conns = [int(c) for c in os.environ.get("BENCH_CONNECTIONS", "1,16,64").split(",")]
    workers = int(os.environ.get("BENCH_WORKERS", "0"))  # 0: as samplan serve chooses
    plans = fixtures["plans"]
    token = fixtures["token"]
    targets = {
        "FHIR CarePlan/{id}": ("samplan", [f"/fhir/CarePlan/{p}" for p in plans]),
        "REST plan": ("samplan", [f"/api/v1/plans/{p}" for p in plans]),
        "plan page": ("samplan", [f"/plans/{p}/" for p in plans]),
        "floor": ("floor", [f"/plan/{p}" for p in plans]),
    }
    # The plan page is the signed-in coordinator's (the session's cookie), the reads the token's.
    cookies = {"plan page": fixtures.get("cookie", "")}
    result: dict[str, Any] = {"workers": workers, "seconds": seconds, "targets": {}}
    floor_env = {"FLOOR_DATABASE_URL": url, "FLOOR_ACTOR": fixtures["floor_actor"]}
    samplan_names = ["FHIR CarePlan/{id}", "REST plan"] + (
        ["plan page"] if cookies["plan page"] else []
    )
    for kind, names in (("samplan", samplan_names), ("floor", ["floor"])):
        server_env = env if kind == "samplan" else floor_env
        with load.server(kind, workers=workers, env=server_env) as srv:
            for name in names:
                paths = targets[name][1]
                cookie = cookies.get(name, "")
                _say(f"  load: {name}, warming up")
                statuses = load.warm_up(srv["port"], paths, token=token, cookie=cookie)
                if set(statuses) != {200}:
                    _say(f"  load: {name} answers {sorted(set(statuses))}, not only 200")
                load.wrk(srv["port"], paths, connections=16, seconds=2, token=token, cookie=cookie)
                runs = {}
                for c in conns:
                    _say(f"  load: {name}, {c} connections, {seconds} s")
                    runs[str(c)] = load.wrk(
                        srv["port"],
                        paths,
                        connections=c,
                        seconds=seconds,
                        token=token,
                        cookie=cookie,
                    )
                result["targets"][name] = {"runs": runs}
        for name in names:
            result["targets"][name]["worker_rss_mb"] = srv.get("worker_rss_mb")
    floor = result["targets"]["floor"]["runs"]
    for name in samplan_names:
        runs = result["targets"][name]["runs"]
        result["targets"][name]["ratio_to_floor"] = {
            c: round(runs[c]["rps"] / floor[c]["rps"], 3) if floor[c]["rps"] else None for c in runs
        }
    return result


def _servers(env: dict[str, str], fixtures: dict[str, Any], url: str) -> dict[str, Any]:
    """The server candidates (BENCH_SERVERS), each serving Samplan's FHIR CarePlan/{id} read
    and the floor the same way (workers from the core count, as `samplan serve` chooses), at
    16 connections for BENCH_SERVER_SECONDS: which server `samplan serve` should use."""
    from samplan.core.management.commands import serve

    seconds = int(os.environ.get("BENCH_SERVER_SECONDS", "6"))
    names = os.environ.get("BENCH_SERVERS", ",".join(serve.SERVERS)).split(",")
    token = fixtures["token"]
    floor_env = {"FLOOR_DATABASE_URL": url, "FLOOR_ACTOR": fixtures["floor_actor"]}
    result: dict[str, Any] = {"seconds": seconds, "connections": 16, "candidates": {}}
    for name in [n.strip() for n in names if n.strip()]:
        row: dict[str, Any] = {"workers": serve.default_workers(name)}
        for kind, paths, server_env in (
            ("samplan", [f"/fhir/CarePlan/{p}" for p in fixtures["plans"]], env),
            ("floor", [f"/plan/{p}" for p in fixtures["plans"]], floor_env),
        ):
            _say(f"  server {name}: {kind}, 16 connections, {seconds} s")
            with load.server(kind, workers=0, env=server_env, server=name) as srv:
                load.warm_up(srv["port"], paths, token=token)
                load.wrk(srv["port"], paths, connections=16, seconds=2, token=token)
                row[kind] = load.wrk(
                    srv["port"], paths, connections=16, seconds=seconds, token=token
                )
            row[f"{kind}_rss_mb"] = srv.get("worker_rss_mb")
        floor_rps = row["floor"]["rps"]
        row["ratio_to_floor"] = round(row["samplan"]["rps"] / floor_rps, 3) if floor_rps else None
        result["candidates"][name] = row
    return result


def _machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().split()[1]
        memory = f"{int(mem) / 1024 / 1024:.0f} GB"
    except OSError:
        memory = ""
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _pg_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else ""


def main() -> int:
    named = os.environ.get("BENCH_SCALE", "town,region")
    scales = [s.strip() for s in named.split(",") if s.strip()]
    pg_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
    use_pg = _pg_ready(pg_url)
    use_sqlite = os.environ.get("BENCH_SQLITE", "1") != "0"
    has_wrk = load.wrk_available()
    if not use_pg:
        _say(f"NOTE: PostgreSQL is not reachable at {pg_url}: SQLite only, no throughput.")
    if not has_wrk:
        _say(load.WRK_MISSING)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "floor_statements": floor_sql.STATEMENTS,
        "scales": {},
    }
    sqlite_scales = os.environ.get("BENCH_SQLITE_SCALES", "town").split(",")
    for scale in scales:
        per: dict[str, Any] = {}
        if use_pg:
            reuse = os.environ.get(f"BENCH_WORLD_{scale.upper()}", "")
            url = reuse or pg_url
            data = tempfile.mkdtemp(prefix="samplan-bench-")
            env = {"DATABASE_URL": url, "SAMPLAN_DATA_DIR": data, "SAMPLAN_DEBUG": "false"}
            if reuse:
                _say(f"{scale} on PostgreSQL: the world made earlier, {reuse.rpartition('/')[2]}")
                env["SAMPLAN_DATA_DIR"] = os.environ.get(f"BENCH_WORLD_{scale.upper()}_DATA", data)
                _samplan(env, "migrate", "-v0")
                per["postgresql"] = {"world": {"reused": True, "rows": {}, "total_rows": 0}}
            else:
                _say(f"{scale} on PostgreSQL: generating")
                _pg_recreate(pg_url)
                per["postgresql"] = {"world": _world(env, scale)}
            results["machine"]["postgresql"] = _pg_version(url)
            if not (reuse and os.environ.get(f"BENCH_WORLD_{scale.upper()}_PREPARED")):
                per["postgresql"]["world"]["prepare_seconds"] = _prepare(env)
            _say(f"{scale} on PostgreSQL: pages")
            pages = _pages(env)
            per["postgresql"]["pages"] = pages["pages"]
            _say(f"{scale} on PostgreSQL: sealing and verifying the audit trail")
            per["postgresql"]["world"] |= _seal_and_verify(env)
            if has_wrk:
                _say(f"{scale} on PostgreSQL: throughput")
                per["postgresql"]["throughput"] = _throughput(env, pages["load"], url)
                if os.environ.get("BENCH_SERVERS", "x"):
                    _say(f"{scale} on PostgreSQL: server candidates")
                    per["postgresql"]["servers"] = _servers(env, pages["load"], url)
        if use_sqlite and scale in sqlite_scales:
            _say(f"{scale} on SQLite: generating")
            data = tempfile.mkdtemp(prefix="samplan-bench-")
            env = {"SAMPLAN_DATA_DIR": data, "SAMPLAN_DEBUG": "false", "DATABASE_URL": ""}
            per["sqlite"] = {"world": _world(env, scale)}
            per["sqlite"]["world"]["prepare_seconds"] = _prepare(env)
            _say(f"{scale} on SQLite: pages")
            per["sqlite"]["pages"] = _pages(env)["pages"]
        results["scales"][scale] = per
    results["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    table = report.markdown(results)
    sys.stdout.write(table + "\n")
    report.write_docs(table, ROOT / "docs" / "performance.md")
    _say(f"Wrote {RESULTS.relative_to(ROOT)} and docs/performance.md (latest run).")
    return 0
