"""The statistics page in the browser, as a demo manager: the charts with their tables, the
period form with bad input (the message next to the field), axe on both, reflow at 320 px, and
the screenshots docs/screenshots/statistics.png and statistics-attendance.png (the seed-004
table), written with UPDATE_SCREENSHOTS=1."""

from __future__ import annotations

import os
from datetime import date

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.conftest import ROOT, ContextFactory, Server, headings_in_order, login

MANAGER = "chef.ekbacka"  # samplan demo --json lists the demo managers with role "manager"
URL = "/statistics/"
SCREENSHOT = ROOT / "docs" / "screenshots" / "statistics.png"
ATTENDANCE_SCREENSHOT = ROOT / "docs" / "screenshots" / "statistics-attendance.png"
UPDATE = os.environ.get("UPDATE_SCREENSHOTS") == "1"
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def _violations(page: Page) -> list[str]:
    response = Axe().run(page, options=AXE_OPTIONS).response
    return [
        f"{v['id']} ({v['impact']}) at {node['target']}: {v['help']}"
        for v in response["violations"]
        for node in v["nodes"]
    ]


def _open(new_context: ContextFactory, **options: object) -> Page:
    page = new_context(**options).new_page()
    login(page, MANAGER, URL)
    assert page.url.endswith(URL), page.url
    return page


def test_the_manager_sees_charts_with_their_tables_and_no_axe_violations(
    server: Server, new_context: ContextFactory
) -> None:
    page = _open(new_context, viewport={"width": 1280, "height": 900})
    assert page.locator("h1").inner_text() == "Statistik"
    headings_in_order(page)
    charts = page.locator("svg[role=img]")
    assert charts.count() >= 1
    # Each chart is named by its title and described; its table is in the same section.
    first = charts.first
    assert first.get_attribute("aria-labelledby")
    section = page.locator("section", has=first).first
    assert section.locator("table").count() >= 1
    assert page.get_by_role("img", name="Diagram: ", exact=False).count() == charts.count()
    attendance = page.locator("#table-attendance")
    assert attendance.count() == 1
    assert page.get_by_role("link", name="Rapport att skriva ut (PDF)").count() == 1
    assert not _violations(page), "\n".join(_violations(page))
    if UPDATE:
        # The top of the page down to the first chart, and the seed-004 table (calls and
        # attendance per quarter).
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SCREENSHOT),
            full_page=True,
            clip={"x": 0, "y": 0, "width": 1280, "height": 1500},
        )
        # Seed 004's table over the demo's two years of meetings, quarter by quarter.
        today = date.today()
        start = date(today.year - 2, 3 * ((today.month - 1) // 3) + 1, 1)
        page.goto(f"{server.url}{URL}?period_from={start.isoformat()}&period_to={today}")
        attendance = page.locator("#table-attendance")
        page.locator("section", has=attendance).screenshot(path=str(ATTENDANCE_SCREENSHOT))


def test_a_period_in_the_wrong_order_is_shown_next_to_the_field(
    server: Server, new_context: ContextFactory
) -> None:
    page = _open(new_context)
    page.get_by_label("Från och med").fill("2026-09-30")
    page.get_by_label("Till och med").fill("2026-07-01")
    with page.expect_navigation():
        page.get_by_role("button", name="Visa").click()
    summary = page.locator(".error-summary")
    assert "Slutdatumet kan inte ligga före startdatumet." in summary.inner_text()
    field = page.get_by_label("Till och med")
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby") or ""
    assert any(
        "Slutdatumet kan inte ligga före startdatumet." in page.locator(f"#{i}").inner_text()
        for i in described.split()
    )
    # The figures of the default quarter are still there: no error page.
    assert page.locator("h1").inner_text() == "Statistik"
    assert not _violations(page), "\n".join(_violations(page))


def test_the_page_reflows_at_320_px(server: Server, new_context: ContextFactory) -> None:
    page = _open(new_context, viewport={"width": 320, "height": 640})
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= 321, f"{scroll} px wide in a 320 px window"
    widest_chart = page.evaluate(
        "() => Math.max(...Array.from(document.querySelectorAll('svg.chart'))"
        ".map(s => s.getBoundingClientRect().right))"
    )
    assert widest_chart <= 321
