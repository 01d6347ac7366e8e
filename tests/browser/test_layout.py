"""Layout from 320 px to desktop and at 200 % zoom, the language switch, the start page's
worklist, and the screenshots in docs/screenshots/.

The screenshots of every run go to pytest's temporary folder; with UPDATE_SCREENSHOTS=1 the
1280 px ones are also written to docs/screenshots/ (committed, shown by the README). The
variable has no SAMPLAN_ prefix on purpose: Samplan refuses unknown SAMPLAN_* settings."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import ROOT, ContextFactory, Server, headings_in_order, login

World = dict[str, object]
SCREENSHOTS = ROOT / "docs" / "screenshots"
UPDATE = os.environ.get("UPDATE_SCREENSHOTS") == "1"

# name: (user or None for the login page, path)
PAGES: dict[str, tuple[str | None, Callable[[dict], str]]] = {
    "login": (None, lambda w: "/login/"),
    "home": ("karin.holm", lambda w: "/"),
    "organisation": ("admin.ekbacka", lambda w: f"/organisations/{w['organisation']['id']}/"),
    "person": ("karin.holm", lambda w: f"/persons/{w['states']['established']['person']}/"),
    "plan": ("karin.holm", lambda w: f"/plans/{w['states']['established']['plan']}/"),
    "form": (
        "karin.holm",
        lambda w: f"/plans/{w['states']['established']['plan']}/deviations/new/",
    ),
    "my_plan": ("ove.demosson", lambda w: f"/my/plans/{w['own']['ove.demosson']['plan']}/"),
}


def _open(new_context: ContextFactory, server: Server, name: str, **options: object) -> Page:
    user, path = PAGES[name]
    page = new_context(**options).new_page()
    target = path(server.world)
    if user:
        login(page, user, target)
    else:
        page.goto(target)
    assert page.url.endswith(target), page.url
    return page


def _no_horizontal_scroll(page: Page, width: int) -> None:
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width + 1, f"{page.url}: {scroll} px wide in a {width} px window"


def _controls_inside(page: Page, width: int, *, in_tables: bool) -> None:
    """Every visible control lies within the window's width. Data tables may scroll sideways
    in their own box (WCAG 1.4.10 allows it for tables): with in_tables=False their controls
    are left out; the plan page is checked with everything."""
    outside = page.evaluate(
        """([width, inTables]) => Array.from(
              document.querySelectorAll('button, .button, input, select'))
            .filter(e => e.offsetParent !== null)
            .filter(e => inTables || !e.closest('.table-wrap'))
            .map(e => [e.innerText || e.name || e.id, e.getBoundingClientRect()])
            .filter(([, r]) => r.left < -1 || r.right > width + 1)
            .map(([name, r]) => `${name}: ${Math.round(r.left)}–${Math.round(r.right)}`)""",
        [width, in_tables],
    )
    assert not outside, f"{page.url}: controls outside the {width} px window: {outside}"


@pytest.mark.parametrize("name", list(PAGES))
def test_page_reflows_at_320_px_and_200_percent_zoom(
    name: str, server: Server, new_context: ContextFactory, tmp_path_factory: pytest.TempPathFactory
) -> None:
    shots = tmp_path_factory.getbasetemp() / "screenshots"
    shots.mkdir(exist_ok=True)
    narrow = _open(new_context, server, name, viewport={"width": 320, "height": 640})
    _no_horizontal_scroll(narrow, 320)
    _controls_inside(narrow, 320, in_tables=name == "plan")
    headings_in_order(narrow)
    narrow.screenshot(path=str(shots / f"{name}-320.png"), full_page=True)

    # 1280 px at 200 % zoom: 640 CSS px, drawn at twice the density.
    zoomed = _open(
        new_context,
        server,
        name,
        viewport={"width": 640, "height": 400},
        device_scale_factor=2,
    )
    _no_horizontal_scroll(zoomed, 640)
    _controls_inside(zoomed, 640, in_tables=name == "plan")

    wide = _open(new_context, server, name, viewport={"width": 1280, "height": 800})
    _no_horizontal_scroll(wide, 1280)
    wide.screenshot(path=str(shots / f"{name}-1280.png"), full_page=True)
    if UPDATE and name != "form":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        wide.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_language_switch_to_english_and_back(server: Server, new_context: ContextFactory) -> None:
    page = new_context().new_page()
    login(page, "karin.holm", "/persons/")
    assert page.locator("h1").inner_text() == "Personer"
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() != "Personer"
    with page.expect_navigation():
        page.get_by_role("button", name="Svenska").click()
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.locator("h1").inner_text() == "Personer"


def test_start_page_shows_what_needs_doing_today(
    server: Server, new_context: ContextFactory
) -> None:
    page = new_context().new_page()
    login(page, "karin.holm")
    today = page.locator("section[aria-labelledby=h-today]")
    assert today.get_by_role("heading", name="Att göra i dag").count() == 1
    # The demo world has an overdue follow-up and drafts with missing items for Karin.
    text = today.inner_text()
    assert "Försenad uppföljning" in text
    assert "Utkast" in text
    assert today.get_by_role("link", name="Alla mina uppgifter").count() == 1


def test_screenshots_are_committed() -> None:
    for name in ("login", "home", "organisation", "person", "plan", "my_plan"):
        assert (SCREENSHOTS / f"{name}.png").is_file(), f"docs/screenshots/{name}.png is missing"
