"""Forms under real conditions: htmx edits in place (and the same without JavaScript), a
double submit, the back button, two people editing at once, a session that ends mid-form, and
the warning that lets an idle session be extended."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import Page

from tests.browser.conftest import ContextFactory, Server, login, path_of


def _meeting_held(server: Server) -> tuple[str, int]:
    state = server.world["states"]["meeting_held"]
    return state["user"], int(state["plan"])


def _needs(server: Server, plan: int) -> list[str]:
    needs: list[str] = server.probe("plan", str(plan))["needs"]
    return needs


def _open_need_form(page: Page) -> Any:
    page.get_by_text("Lägg till behov, förutsättning eller intresse").click()
    return page.locator("#need-add-form")


def test_plan_page_adds_a_need_in_place_with_htmx(
    server: Server, new_context: ContextFactory
) -> None:
    user, plan = _meeting_held(server)
    page = new_context().new_page()
    login(page, user, f"/plans/{plan}/")
    page.evaluate("() => { window.samplanStillHere = 'yes'; }")
    form = _open_need_form(page)
    form.get_by_label("Beskrivning").fill("Behov tillagt med htmx")
    form.get_by_role("button", name="Lägg till").click()
    page.locator("#needs-list").get_by_text("Behov tillagt med htmx").wait_for()
    # No navigation: the variable set before is still there.
    assert page.evaluate("() => window.samplanStillHere") == "yes"
    assert "Behovet är tillagt" in page.locator("#messages").inner_text()


def test_plan_page_adds_a_need_without_javascript(
    server: Server, new_context: ContextFactory
) -> None:
    user, plan = _meeting_held(server)
    page = new_context(java_script_enabled=False).new_page()
    login(page, user, f"/plans/{plan}/")
    form = _open_need_form(page)
    form.get_by_label("Beskrivning").fill("Behov tillagt utan JavaScript")
    with page.expect_navigation():
        form.get_by_role("button", name="Lägg till").click()
    assert path_of(page).startswith(f"/plans/{plan}/")
    assert "Behov tillagt utan JavaScript" in page.locator("#needs-list").inner_text()
    assert "Behovet är tillagt" in page.locator("#messages").inner_text()


def test_pressing_add_need_twice_quickly_adds_one_need(
    server: Server, new_context: ContextFactory
) -> None:
    user, plan = _meeting_held(server)
    page = new_context().new_page()
    login(page, user, f"/plans/{plan}/")
    form = _open_need_form(page)
    form.get_by_label("Beskrivning").fill("Bara en gång")
    # Two presses in the same moment, before the first answer can come back.
    form.get_by_role("button", name="Lägg till").evaluate("b => { b.click(); b.click(); }")
    page.locator("#needs-list").get_by_text("Bara en gång").wait_for()
    page.wait_for_load_state("networkidle")
    assert _needs(server, plan).count("Bara en gång") == 1


def test_pressing_establish_twice_quickly_makes_one_version_and_back_is_refused(
    server: Server, new_context: ContextFactory
) -> None:
    draft = server.world["draft"]
    plan = int(draft["plan"])
    before = server.probe("plan", str(plan))["versions"]
    page = new_context().new_page()
    # The demo's revision lacks only a follow-up: plan one, then establish.
    login(page, draft["user"], f"/plans/{plan}/follow-ups/new/")
    page.get_by_label("Datum").fill((date.today() + timedelta(days=60)).isoformat())
    page.get_by_label("Vad som följs upp").fill("Hur revideringen fungerar")
    with page.expect_navigation():
        page.get_by_role("button", name="Spara").click()
    page.goto(f"/plans/{plan}/establish/")
    button = page.locator("main form").get_by_role("button", name="Upprätta planen")
    with page.expect_navigation():
        button.evaluate("b => { b.click(); b.click(); }")
    assert f"version {before + 1}" in page.locator("#messages").inner_text()
    assert server.probe("plan", str(plan))["versions"] == before + 1

    # Back to the establish page after the step, and "establish" once more: a clear message,
    # no second version.
    page.go_back()
    page.wait_for_load_state()
    again = page.locator("main form").get_by_role("button", name="Upprätta planen")
    if again.count():
        with page.expect_navigation():
            again.click()
    assert "redan" in page.locator("main").inner_text()
    assert server.probe("plan", str(plan))["versions"] == before + 1


def test_two_people_editing_the_plan_at_once(server: Server, new_context: ContextFactory) -> None:
    user, plan = _meeting_held(server)
    first = new_context().new_page()
    second = new_context().new_page()
    login(first, user, f"/plans/{plan}/details/")
    login(second, user, f"/plans/{plan}/details/")
    first.get_by_label("Tidsplan för samordningen").fill("Den första tidsplanen")
    second.get_by_label("Tidsplan för samordningen").fill("Den andra tidsplanen")
    with first.expect_navigation():
        first.get_by_role("button", name="Spara").click()
    assert "Ändringarna är sparade" in first.locator("#messages").inner_text()
    with second.expect_navigation():
        second.get_by_role("button", name="Spara").click()
    summary = second.locator("main .error-summary")
    assert "Någon annan har ändrat planen" in summary.inner_text()
    # What the second person typed is still in the form.
    assert second.get_by_label("Tidsplan för samordningen").input_value() == "Den andra tidsplanen"
    assert server.probe("plan", str(plan))["time_plan"] == "Den första tidsplanen"


def test_text_typed_before_the_session_ended_is_kept(
    server: Server, new_context: ContextFactory
) -> None:
    user, plan = _meeting_held(server)
    context = new_context()
    page = context.new_page()
    login(page, user, f"/plans/{plan}/needs/new/")
    page.get_by_label("Beskrivning").fill("Skrivet innan sessionen tog slut")
    context.clear_cookies(name="sessionid")
    with page.expect_navigation():
        page.get_by_role("button", name="Lägg till").click()
    assert path_of(page).startswith("/login/")
    page.get_by_label("Användarnamn").fill(user)
    page.get_by_label("Lösenord").fill("samplan-demo-2026")
    with page.expect_navigation():
        page.get_by_label("Lösenord").press("Enter")
    assert path_of(page) == f"/plans/{plan}/needs/new/"
    assert page.get_by_label("Beskrivning").input_value() == "Skrivet innan sessionen tog slut"
    assert "ifyllt igen" in page.locator("#messages").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Lägg till").click()
    assert "Skrivet innan sessionen tog slut" in _needs(server, plan)
    # Sent: nothing of it stays in the browser.
    kept = page.evaluate(
        "() => Object.keys(sessionStorage).filter(k => k.startsWith('samplan-keep:'))"
    )
    assert kept == []


def _session_expiry(page: Page) -> float:
    cookies = page.context.cookies()
    return next(c["expires"] for c in cookies if c["name"] == "sessionid")


def test_idle_session_warning_offers_to_extend(server: Server, new_context: ContextFactory) -> None:
    page = new_context().new_page()
    page.clock.install()
    login(page, "karin.holm")
    dialog = page.locator("#session-warning")
    assert not dialog.is_visible()
    # Two minutes before the 30-minute idle timeout the warning opens, focus on "Förläng".
    page.clock.fast_forward("28:30")
    dialog.wait_for(state="visible")
    assert page.evaluate("() => document.activeElement.id") == "session-extend"
    assert "loggas snart ut" in dialog.inner_text()
    expires = _session_expiry(page)
    time.sleep(1.5)
    with page.expect_response(lambda r: r.url.endswith("/session/extend/")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 200
    dialog.wait_for(state="hidden")
    assert _session_expiry(page) > expires + 1
    assert "fortfarande inloggad" in page.locator("#messages").inner_text()
    # Left alone, the dialog says the session has ended and offers to log in again.
    page.clock.fast_forward("30:30")
    dialog.wait_for(state="visible")
    assert "loggats ut" in dialog.inner_text()
    assert page.get_by_role("link", name="Logga in igen").is_visible()
