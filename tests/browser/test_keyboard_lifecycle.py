"""The whole lifecycle of a SIP with the keyboard alone: Tab, Shift+Tab, Enter, Space, the arrow
keys and typing. The only page.goto calls open the login page, once per user."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page

from tests.browser.conftest import PASSWORD, ContextFactory, Server, headings_in_order, path_of
from tests.browser.keyboard import (
    active,
    assert_focus_visible,
    check_box,
    choose_option,
    choose_radio,
    press_and_wait,
    tab_to,
    type_date,
    type_datetime,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PERSON = "Dmytro Demenko"


def keyboard_login(page: Page, username: str) -> None:
    page.goto("/login/")
    # The first Tab stop is the skip link, and it moves focus to the main content.
    page.keyboard.press("Tab")
    first = active(page)
    assert first["text"] == "Hoppa till innehållet", first
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    assert active(page)["id"] == "main"
    tab_to(page, "Användarnamn", where="label")
    page.keyboard.type(username)
    tab_to(page, "Lösenord", where="label")
    page.keyboard.type(PASSWORD)
    press_and_wait(page)
    assert "/login/" not in page.url
    headings_in_order(page)


def follow(page: Page, text: str, *, backwards: bool = False) -> None:
    """Tab to a link or button by its text and press Enter; check the new page's headings."""
    tab_to(page, text, where="text", backwards=backwards)
    press_and_wait(page)
    headings_in_order(page)


def submit(page: Page, button: str) -> None:
    follow(page, button)


def assert_errors_announced(page: Page) -> None:
    """The error summary is an alert and has the focus; every invalid field is described by
    its error text."""
    summary = page.locator("main .error-summary")
    assert summary.get_attribute("role") == "alert"
    assert page.evaluate("() => document.activeElement.classList.contains('error-summary')")
    invalid = page.evaluate(
        """() => Array.from(document.querySelectorAll('[aria-invalid=true]')).map(e => {
             const holder = e.getAttribute('aria-describedby') ? e : e.closest('fieldset');
             const ids = (holder && holder.getAttribute('aria-describedby') || '').split(' ');
             return ids.map(id => document.getElementById(id))
                       .filter(el => el && el.classList.contains('errorlist'))
                       .map(el => el.innerText.trim()).join(' ');
           })"""
    )
    assert invalid, "no field is marked aria-invalid"
    assert all(invalid), f"an invalid field is not described by its error: {invalid}"


def expect_message(page: Page, text: str) -> None:
    messages = page.locator("#messages").inner_text()
    errors = page.locator("main .error-summary").all_inner_texts()
    assert text in messages, f"{page.url}: expected {text!r}; messages {messages!r}, {errors}"


def test_whole_lifecycle_with_the_keyboard(server: Server, new_context: ContextFactory) -> None:
    karin = new_context().new_page()
    keyboard_login(karin, "karin.holm")

    # Find the person: nobody at Karin's unit has a relation with him yet, so a look-up by the
    # whole number, with a reason.
    follow(karin, "Personer")
    follow(karin, "Slå upp en person")
    choose_radio(karin, "Varför slår du upp personen?", "Starta en SIP")
    tab_to(karin, "Personnummer, samordningsnummer eller reservnummer", where="label")
    karin.keyboard.type(server.world["lookup"]["number"])
    submit(karin, "Slå upp")
    assert PERSON in karin.content()

    # Start a SIP: the initiative.
    follow(karin, "Starta SIP")
    check_box(karin, "Behov av insatser från flera verksamheter")
    submit(karin, "Registrera initiativet")
    assert "/plans/" in path_of(karin)
    plan_path = path_of(karin).split("#")[0]

    # Consent: sent empty once, the errors are announced and tied to their fields.
    follow(karin, "Registrera samtycke")
    submit(karin, "Registrera")
    assert_errors_announced(karin)
    choose_radio(karin, "Personens beslut", "Samtycker")
    choose_radio(karin, "Hur lämnades beslutet", "Muntligt")
    check_box(karin, "Ekbacka kommun")
    check_box(karin, "Region Sjöland")
    check_box(karin, "Planens innehåll")
    submit(karin, "Registrera")

    # Call a meeting, inviting Öppenpsykiatri Sjöstad. It starts in ten minutes.
    follow(karin, "Kalla till möte")
    starts = (datetime.now(STOCKHOLM) + timedelta(minutes=10)).replace(second=0, microsecond=0)
    ends = starts + timedelta(hours=1)
    tab_to(karin, "Börjar", where="label")
    type_datetime(karin, starts)
    tab_to(karin, "Slutar", where="label")
    type_datetime(karin, ends)
    choose_radio(karin, "Form", "Fysiskt")
    tab_to(karin, "Plats", where="label")
    karin.keyboard.type("Kommunhuset, rum 3")
    check_box(karin, "Öppenpsykiatri Sjöstad")
    submit(karin, "Skicka kallelse")
    expect_message(karin, "Kallelsen är skickad")

    # Omar answers the invitation from his start page.
    omar = new_context().new_page()
    keyboard_login(omar, "omar.haddad")
    follow(omar, "Svara")
    choose_radio(omar, "Svar", "Vi kommer")
    submit(omar, "Skicka svar")
    expect_message(omar, "Svaret är registrerat")

    # Karin records the meeting as held.
    follow(karin, "Registrera att mötet är hållet")
    check_box(karin, "Öppenpsykiatri Sjöstad")
    submit(karin, "Spara")

    # The plan: needs, goal, one intervention for the municipality and one for the region.
    add_item(karin, "Lägg till behov", [("Beskrivning", "Stöd att komma ut ur lägenheten")])
    add_item(karin, "Lägg till mål", [("Gemensamt mål", "Gå till dagverksamheten två dagar")])
    add_item(
        karin,
        "Lägg till insats",
        [("Insats", "Boendestöd tre dagar i veckan")],
        organisation="Ekbacka kommun",
    )
    add_item(
        karin,
        "Lägg till insats",
        [("Insats", "Läkemedelsuppföljning var fjärde vecka")],
        organisation="Region Sjöland",
    )

    # Details: lead organisation, coordinator, contact, time plan, evaluation plan.
    follow(karin, "Ändra ansvar, samordnare och tidsplan")
    tab_to(karin, "Huvudansvarig huvudman", where="label")
    choose_option(karin, "Ekbacka kommun")
    tab_to(karin, "Samordnare", where="label")
    choose_option(karin, "Karin Holm")
    tab_to(karin, "Samordnarens telefon", where="label")
    karin.keyboard.type("08-123 456 78")
    tab_to(karin, "Samordnarens e-post", where="label")
    karin.keyboard.type("karin.holm@ekbacka.example")
    tab_to(karin, "Tidsplan", where="label")
    karin.keyboard.type("Boendestöd från nästa vecka.")
    tab_to(karin, "Vad som följs upp", where="label")
    karin.keyboard.type("Målen följs upp om en månad.")
    submit(karin, "Spara")
    expect_message(karin, "Ändringarna är sparade")

    # A follow-up in a month.
    follow(karin, "Planera uppföljning")
    tab_to(karin, "Datum", where="label")
    type_date(karin, (datetime.now(STOCKHOLM) + timedelta(days=30)).date())
    tab_to(karin, "Vad som följs upp", where="label")
    karin.keyboard.type("Hur boendestödet fungerar")
    submit(karin, "Spara")

    # Establish.
    assert "Inget saknas" in karin.locator("#completeness").inner_text()
    follow(karin, "Upprätta planen")
    submit(karin, "Upprätta planen")
    expect_message(karin, "version 1")

    # Record the follow-up.
    follow(karin, "Registrera uppföljning")
    tab_to(karin, "Resultat", where="label")
    karin.keyboard.type("Boendestödet fungerar bra.")
    choose_radio(karin, "Måluppfyllelse", "Delvis")
    submit(karin, "Spara")
    expect_message(karin, "Uppföljningen är registrerad")

    # Close.
    follow(karin, "Avsluta planen")
    choose_radio(karin, "Skäl för avslut", "Målen")
    submit(karin, "Avsluta planen")
    expect_message(karin, "Planen är avslutad")
    assert path_of(karin).startswith(plan_path)
    info = server.probe("plan", plan_path.strip("/").split("/")[1])
    assert info["state"] == "closed"
    assert info["versions"] == 1


def add_item(
    page: Page, summary: str, fields: list[tuple[str, str]], *, organisation: str = ""
) -> None:
    """Open an "add" disclosure on the plan page with Enter, fill it in and send it: htmx
    puts the item in place without leaving the page."""
    tab_to(page, summary, where="text")
    is_open = "() => document.activeElement.closest('details').open"
    if not page.evaluate(is_open):
        page.keyboard.press("Enter")
    assert page.evaluate(is_open)
    for label, value in fields:
        tab_to(page, label, where="label")
        page.keyboard.type(value)
    if organisation:
        tab_to(page, "Ansvarig organisation", where="label")
        choose_option(page, organisation)
    tab_to(page, "Lägg till", where="text")
    before = page.url
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.keyboard.press("Enter")
    page.get_by_text(fields[0][1]).first.wait_for()
    # The fresh form takes the focus back, ready for the next item.
    page.wait_for_function("() => !!document.activeElement.closest('form[id$=-add-form]')")
    assert page.url == before
    assert "är tillag" in page.locator("#messages").inner_text()
