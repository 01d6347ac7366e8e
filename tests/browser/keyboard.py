"""Keyboard-only helpers: reach an element with Tab, check that focus is visible, fill fields
by typing and with arrow keys. No mouse, no locator.click()."""

from __future__ import annotations

from datetime import date, datetime

from playwright.sync_api import Page

ACTIVE = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return {tag: "BODY", text: "", label: "", id: "", type: ""};
  const labels = e.labels ? Array.from(e.labels).map(l => l.innerText).join(" ") : "";
  const legend = e.closest("fieldset") && e.closest("fieldset").querySelector("legend");
  return {
    tag: e.tagName,
    text: (e.innerText || e.value || "").trim(),
    label: (labels + " " + (e.getAttribute("aria-label") || "")).trim(),
    legend: legend ? legend.innerText.trim() : "",
    id: e.id || "",
    type: (e.getAttribute("type") || "").toLowerCase(),
  };
}"""

FOCUS_VISIBLE = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return false;
  const s = getComputedStyle(e);
  const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
  return outline || (s.boxShadow && s.boxShadow !== "none");
}"""


def active(page: Page) -> dict[str, str]:
    result: dict[str, str] = page.evaluate(ACTIVE)
    return result


def assert_focus_visible(page: Page) -> None:
    info = active(page)
    assert page.evaluate(FOCUS_VISIBLE), f"no visible focus indicator on {info}"


def tab_to(
    page: Page,
    text: str,
    *,
    where: str = "any",
    backwards: bool = False,
    limit: int = 150,
) -> dict[str, str]:
    """Press Tab (or Shift+Tab) until the focused element's text, label or legend contains
    `text`; `where` narrows it to "text" (links and buttons), "label" or "legend"."""
    key = "Shift+Tab" if backwards else "Tab"
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        info = active(page)
        fields = {
            "text": [info["text"]],
            "label": [info["label"]],
            "legend": [info.get("legend", "")],
            "any": [info["text"], info["label"]],
        }[where]
        if any(text in value for value in fields):
            assert_focus_visible(page)
            return info
        seen.append(info["text"][:30] or info["label"][:30])
    raise AssertionError(f"{page.url}: Tab never reached {text!r}; passed {seen}")


def press_and_wait(page: Page, key: str = "Enter") -> None:
    """Press a key that sends a form or follows a link, and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press(key)
    page.wait_for_load_state()


def choose_option(page: Page, option_text: str, limit: int = 60) -> None:
    """On a focused <select>: arrow down (wrapping to the top once) until the option shows."""
    page.keyboard.press("Home")
    for _ in range(limit):
        current = page.evaluate("() => document.activeElement.selectedOptions[0]?.text || ''")
        if option_text in current:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option {option_text!r}")


def check_box(page: Page, label: str) -> None:
    """Tab to a checkbox by its label and tick it with Space."""
    tab_to(page, label, where="label")
    if not page.evaluate("() => document.activeElement.checked"):
        page.keyboard.press("Space")
    assert page.evaluate("() => document.activeElement.checked")


def choose_radio(page: Page, legend: str, label: str, limit: int = 12) -> None:
    """Tab into a radio group and move with the arrow keys to the wanted choice."""
    info = tab_to(page, legend, where="legend")
    assert info["type"] == "radio", info
    for _ in range(limit):
        if label in active(page)["label"]:
            page.keyboard.press("Space")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"radio {label!r} not found in {legend!r}")


def type_date(page: Page, value: date) -> None:
    """Type into a focused date field. Chromium's date fields follow the browser's own
    language (en-US here: month, day, year), whatever the page's language."""
    page.keyboard.type(value.strftime("%m%d%Y"))
    typed = page.evaluate("() => document.activeElement.value")
    assert typed == value.isoformat(), typed


def type_datetime(page: Page, value: datetime) -> None:
    """Type into a focused datetime-local field: month, day, year, Tab, hour, minute, AM/PM."""
    page.keyboard.type(value.strftime("%m%d%Y"))
    page.keyboard.press("Tab")
    page.keyboard.type(value.strftime("%I%M"))
    page.keyboard.type("A" if value.hour < 12 else "P")
    typed = page.evaluate("() => document.activeElement.value")
    assert typed == value.strftime("%Y-%m-%dT%H:%M"), typed
