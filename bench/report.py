"""The bench's Markdown: pages, throughput and ratios to the floor, memory, and which of the
issue's targets hold in this run; written into docs/performance.md between its markers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

START = "<!-- bench:latest:start -->"
END = "<!-- bench:latest:end -->"

# The targets that one run can tell (issue 12, "Targets").
FHIR_RATIO = 0.5
REST_RATIO = 0.4
PLAN_PAGE_QUERIES = 15
PLAN_PAGE_RATIO = 0.15
RSS_MB = 250
PAGE_PER_SQL = 3.0
REGION_PER_TOWN = 1.3
VERIFY_SECONDS = 300  # 20 million events (the region)
STATISTICS_MS = 1000  # issue 13: every statistics page, region scale


def _page_rows(per: dict[str, Any]) -> list[str]:
    pg = per.get("postgresql", {}).get("pages", {})
    lite = per.get("sqlite", {}).get("pages", {})
    names = list(pg) or list(lite)
    rows = [
        (
            "| page | PostgreSQL p50 / p95 (ms) | queries | its SQL run directly (ms) | "
            "page ÷ SQL | SQLite p50 / p95 (ms) | queries |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in names:
        cells = []
        for side in (pg, lite):
            m = side.get(name)
            if m is None:
                cells += ["–", "–"] + (["–", "–"] if side is pg else [])
                continue
            status = "" if m["status"] in (200, 201) else f" (HTTP {m['status']})"
            cells += [f"{m['p50_ms']:.1f} / {m['p95_ms']:.1f}{status}", str(m["queries"])]
            if side is pg:
                cells += [_num(m.get("sql_ms")), _num(m.get("page_per_sql"))]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return rows


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _scale_rows(results: dict[str, Any]) -> list[str]:
    """Region against town, page by page (PostgreSQL)."""
    town = results["scales"].get("town", {}).get("postgresql", {}).get("pages", {})
    region = results["scales"].get("region", {}).get("postgresql", {}).get("pages", {})
    if not town or not region:
        return []
    rows = [
        "| page | town p50 (ms) | region p50 (ms) | region ÷ town | queries town / region |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, r in region.items():
        t = town.get(name)
        if t is None:
            continue
        ratio = r["p50_ms"] / t["p50_ms"] if t["p50_ms"] else 0
        rows.append(
            f"| {name} | {t['p50_ms']:.1f} | {r['p50_ms']:.1f} | {ratio:.2f} | "
            f"{t['queries']} / {r['queries']} |"
        )
    return rows


def _scale_targets(results: dict[str, Any]) -> list[str]:
    town = results["scales"].get("town", {}).get("postgresql", {}).get("pages", {})
    region = results["scales"].get("region", {}).get("postgresql", {}).get("pages", {})
    if not town or not region:
        return []
    shared = [n for n in region if n in town]
    over = [
        f"{n} {region[n]['p50_ms'] / town[n]['p50_ms']:.1f}"
        for n in shared
        if town[n]["p50_ms"] and region[n]["p50_ms"] / town[n]["p50_ms"] > REGION_PER_TOWN
    ]
    grown = [n for n in shared if region[n]["queries"] != town[n]["queries"]]
    lines = [
        _line(
            not over,
            f"region ÷ town ≤ {REGION_PER_TOWN} for every page"
            + (f" (over: {', '.join(over)})" if over else ""),
        ),
        _line(
            not grown,
            "query counts the same at both scales"
            + (f" (differ: {', '.join(grown)})" if grown else ""),
        ),
    ]
    stats = [n for n in region if n.startswith("statistics")]
    slow = [
        f"{n} {region[n]['p50_ms']:.0f} ms" for n in stats if region[n]["p50_ms"] >= STATISTICS_MS
    ]
    if stats:
        lines.append(
            _line(
                not slow,
                f"every statistics page < {STATISTICS_MS} ms at region scale (issue 13)"
                + (f" (not: {'; '.join(slow)})" if slow else ""),
            )
        )
    return lines


def _line(ok: bool, text: str) -> str:
    return f"- {'holds' if ok else 'not yet'}: {text}"


def _throughput_rows(tp: dict[str, Any], pages: dict[str, Any], statements: int) -> list[str]:
    conns = list(tp["targets"]["floor"]["runs"])
    head = " | ".join(f"{c} conn." for c in conns)
    rows = [
        f"| request (requests/s) | {head} | ratio to floor at 16 | queries | worker RSS |",
        "| --- | " + " | ".join("---" for _ in conns) + " | --- | --- | --- |",
    ]
    for name, t in tp["targets"].items():
        cells = []
        for c in conns:
            run = t["runs"][c]
            bad = f" ({run['non_2xx']} non-2xx)" if run["non_2xx"] else ""
            cells.append(f"{run['rps']:.0f}{bad}")
        ratio = t.get("ratio_to_floor", {}).get("16")
        queries = (
            f"{statements} + commit" if name == "floor" else pages.get(name, {}).get("queries")
        )
        rss = t.get("worker_rss_mb")
        rows.append(
            f"| {name} | " + " | ".join(cells) + f" | {'1' if name == 'floor' else ratio} | "
            f"{queries} | {rss} MB |"
        )
    return rows


def _server_rows(servers: dict[str, Any]) -> list[str]:
    rows = [
        (
            "| server | workers | FHIR CarePlan/{id} (requests/s) | floor (requests/s) | ratio | "
            "worker RSS (Samplan) |"
        ),
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in servers["candidates"].items():
        threads = {"gthread": " × 4 threads", "granian": " × 4 blocking threads"}.get(name, "")
        rows.append(
            f"| {name} | {row['workers']}{threads} | {row['samplan']['rps']:.0f} | "
            f"{row['floor']['rps']:.0f} | {row['ratio_to_floor']} | "
            f"{row.get('samplan_rss_mb')} MB |"
        )
    return rows


def _targets(per: dict[str, Any], scale: str) -> list[str]:
    pg = per.get("postgresql", {})
    tp = pg.get("throughput")
    pages = pg.get("pages", {})
    lines = []

    def say(ok: bool, text: str) -> None:
        lines.append(f"- {'holds' if ok else 'not yet'}: {text}")

    if tp:
        t = tp["targets"]
        fr = t["FHIR CarePlan/{id}"]["ratio_to_floor"].get("16") or 0
        rr = t["REST plan"]["ratio_to_floor"].get("16") or 0
        say(fr >= FHIR_RATIO, f"FHIR CarePlan/{{id}} ≥ {FHIR_RATIO} × floor (is {fr})")
        say(rr >= REST_RATIO, f"REST plan read ≥ {REST_RATIO} × floor (is {rr})")
        if "plan page" in t:
            pr = t["plan page"]["ratio_to_floor"].get("16") or 0
            say(pr >= PLAN_PAGE_RATIO, f"signed-in plan page ≥ {PLAN_PAGE_RATIO} × floor (is {pr})")
        for name in ("FHIR CarePlan/{id}", "REST plan"):
            runs = t[name]["runs"]
            if {"1", "16", "64"} <= set(runs):
                one, sixteen, many = (runs[c]["rps"] for c in ("1", "16", "64"))
                say(
                    sixteen >= 3 * one and many >= sixteen,
                    f"{name} scales: 16 conn. ≥ 3 × 1 and 64 ≥ 16 "
                    f"({one:.0f} → {sixteen:.0f} → {many:.0f} requests/s)",
                )
        rss = [x.get("worker_rss_mb") or 0 for x in t.values()]
        say(max(rss) < RSS_MB, f"worker RSS < {RSS_MB} MB (largest {max(rss)} MB)")
    plan_page = pages.get("plan page")
    if plan_page:
        q = plan_page["queries"]
        say(q <= PLAN_PAGE_QUERIES, f"plan page ≤ {PLAN_PAGE_QUERIES} queries (is {q})")
    over = [
        f"{n} {m['page_per_sql']}"
        for n, m in pages.items()
        if m.get("page_per_sql") is not None and m["page_per_sql"] > PAGE_PER_SQL
    ]
    if pages:
        say(
            not over,
            f"every page ≤ {PAGE_PER_SQL:g} × its SQL run directly"
            + (f" (over: {', '.join(over)})" if over else ""),
        )
    verify = pg.get("world", {}).get("verify_seconds")
    if scale == "region" and verify is not None:
        say(
            verify < VERIFY_SECONDS,
            f"`samplan audit verify` of the region's trail < 5 min ({verify} s)",
        )
    return lines


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    intro = (
        f"Run {results['date']} on {m['cores']} cores ({m['cpu']}), {m['memory']} RAM, "
        f"Python {m['python']}, PostgreSQL {m.get('postgresql', '–')}; load average "
        f"{m['load_average']} before and {m.get('load_average_after')} after (the machine "
        "is shared: compare rows of one run, not runs)."
    )
    out = [intro, ""]
    for scale, per in results["scales"].items():
        out.append(f"### {scale}")
        out.append("")
        worlds = []
        for db in ("postgresql", "sqlite"):
            w = per.get(db, {}).get("world")
            if w:
                sealed = f", sealed in {w['seal_seconds']} s" if "seal_seconds" in w else ""
                verified = (
                    f", verified (`samplan audit verify`) in {w['verify_seconds']} s"
                    if "verify_seconds" in w
                    else ""
                )
                made = (
                    "made earlier (generation not timed in this run)"
                    if w.get("reused")
                    else f"{w['total_rows']:,} rows in {w['seconds']} s"
                )
                prepared = "".join(
                    f", `samplan {command}` in {took} s"
                    for command, took in w.get("prepare_seconds", {}).items()
                )
                worlds.append(f"{db}: {made}{prepared}{sealed}{verified}")
        out.append("`samplan generate --scale " + scale + "`: " + "; ".join(worlds) + ".")
        out.append("")
        out.append("Server-side, in process (Django test client), p50 / p95 of the runs:")
        out.append("")
        out += _page_rows(per)
        out.append("")
        tp = per.get("postgresql", {}).get("throughput")
        if tp:
            workers = f"{tp['workers']} workers" if tp["workers"] else "workers from the cores"
            out.append(
                f"Throughput over loopback (wrk, {tp['seconds']} s a run, `samplan serve`'s "
                f"default server (gunicorn gthread, 4 threads) with {workers} for both Samplan "
                "and the floor; PostgreSQL; Samplan with the audit sealer `samplan serve` "
                "starts, every 5 s):"
            )
            out.append("")
            out += _throughput_rows(
                tp, per["postgresql"]["pages"], results.get("floor_statements", 2)
            )
            out.append("")
        else:
            out.append("Throughput: not measured (needs PostgreSQL and wrk).")
            out.append("")
        servers = per.get("postgresql", {}).get("servers")
        if servers:
            out.append(
                f"Server candidates (wrk, 16 connections, {servers['seconds']} s each, "
                "Samplan and the floor served the same way, workers from the core count):"
            )
            out.append("")
            out += _server_rows(servers)
            out.append("")
        targets = _targets(per, scale)
        if targets:
            out.append("Targets this run can tell:")
            out.append("")
            out += targets
            out.append("")
    scale_rows = _scale_rows(results)
    if scale_rows:
        out.append("### region against town")
        out.append("")
        out += scale_rows
        out.append("")
        out.append("Targets across the scales:")
        out.append("")
        out += _scale_targets(results)
        out.append("")
    return "\n".join(out).rstrip()


def write_docs(table: str, path: Path) -> None:
    """Put the table between the markers in docs/performance.md (the rest stays)."""
    text = path.read_text(encoding="utf-8")
    block = f"{START}\n{table}\n{END}"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        _old, after = rest.split(END, 1)
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n## Latest `make bench`\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
