"""The plan in plain language (lättläst): the person's own goals first, then who does what
and when, whom to call, and what happens next. Short sentences, one to a line, in the
second person; the plan's own words (goals, interventions) are kept as they were written.

The text is Swedish whatever language is active (`translation.override("sv")`): it is a
document for the person. Its sections are also the audio version's chapters."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from samplan.documents.content import DocumentContent, InterventionItem
from samplan.documents.dates import clock, long_date, weekday_date


@dataclass(frozen=True)
class PlainSection:
    heading: str
    lines: tuple[str, ...]


def _sentence(text: str) -> str:
    """The plan's own words as a sentence: ends with a full stop unless it already ends."""
    text = " ".join(text.split())
    if not text:
        return text
    return text if text[-1] in ".!?:…" else text + "."


def _intro(content: DocumentContent) -> PlainSection:
    lines = [
        _("Det här är din plan, %(name)s.") % {"name": content.person_name},
        _("Den heter SIP."),
        _("Den visar vad du vill."),
        _("Den visar vem som gör vad."),
    ]
    if content.draft:
        lines.append(_("Planen är inte klar än."))
    else:
        lines.append(
            _("Det här är version %(number)s.") % {"number": content.version_number},
        )
        if content.established_at is not None:
            lines.append(_("Den blev klar %(date)s.") % {"date": long_date(content.established_at)})
    if content.narrowed:
        lines.append(_("En del av planen syns inte här."))
    return PlainSection(_("Din plan"), tuple(lines))


def _goals(content: DocumentContent) -> PlainSection:
    lines: list[str] = []
    for goal in content.goals:
        if goal.person_words:
            lines.append(_("Du sa: %(words)s") % {"words": _sentence(goal.person_words)})
        lines.append(_("Vi ska nå det här: %(goal)s") % {"goal": _sentence(goal.shared_goal)})
        if goal.target_date is not None:
            lines.append(_("Det ska vara klart %(date)s.") % {"date": long_date(goal.target_date)})
    if not lines:
        lines.append(_("Det finns inga mål i planen än."))
    return PlainSection(_("Dina mål"), tuple(lines))


def _intervention_lines(item: InterventionItem) -> list[str]:
    lines = [
        _("%(who)s ger dig det här: %(what)s")
        % {"who": item.organisation, "what": _sentence(item.description)}
    ]
    if item.unit:
        lines.append(_("Det gör %(unit)s.") % {"unit": item.unit})
    if item.staff:
        lines.append(_("Du får hjälp av %(name)s.") % {"name": item.staff})
    if item.start_date is not None:
        lines.append(_("Det börjar %(date)s.") % {"date": long_date(item.start_date)})
    if item.end_date is not None:
        lines.append(_("Det slutar %(date)s.") % {"date": long_date(item.end_date)})
    return lines


def _who_does_what(content: DocumentContent) -> PlainSection:
    lines: list[str] = []
    for item in content.interventions:
        lines.extend(_intervention_lines(item))
    if not lines:
        lines.append(_("Det står inte i planen än vem som gör vad."))
    return PlainSection(_("Vem gör vad"), tuple(lines))


def _whom_to_call(content: DocumentContent) -> PlainSection:
    c = content.coordinator
    lines: list[str] = []
    if c.name:
        lines.append(_("%(name)s håller ihop din plan.") % {"name": c.name})
        lines.append(_("Du kan fråga hen om allt i planen."))
    else:
        lines.append(_("Det är inte klart än vem som håller ihop din plan."))
    if c.phone:
        lines.append(_("Ring %(phone)s.") % {"phone": c.phone})
    if c.email:
        lines.append(_("Du kan också mejla till %(email)s") % {"email": c.email})
    return PlainSection(_("Vem du kan ringa"), tuple(lines))


def _what_next(content: DocumentContent) -> PlainSection:
    lines: list[str] = []
    meeting = content.next_meeting
    if meeting is not None:
        lines.append(_("Nästa möte är %(day)s.") % {"day": weekday_date(meeting.starts_at)})
        lines.append(_("Det börjar klockan %(time)s.") % {"time": clock(meeting.starts_at)})
        if meeting.digital:
            lines.append(_("Mötet är på video."))
        elif meeting.location:
            lines.append(_("Vi ses här: %(place)s") % {"place": _sentence(meeting.location)})
    follow_up = content.next_follow_up
    if follow_up is not None:
        lines.append(
            _("Den %(date)s ser vi hur det går.") % {"date": long_date(follow_up.due_date)}
        )
    lines.append(_("Du bestämmer över din plan."))
    lines.append(_("Du kan säga vad du tycker när du vill."))
    lines.append(_("Du kan också säga stopp."))
    return PlainSection(_("Vad händer nu"), tuple(lines))


def plain_sections(content: DocumentContent) -> tuple[PlainSection, ...]:
    """The plain-language text, section by section, in Swedish."""
    with translation.override("sv"):
        return (
            _intro(content),
            _goals(content),
            _who_does_what(content),
            _whom_to_call(content),
            _what_next(content),
        )


def plain_text(content: DocumentContent) -> str:
    """The plain-language text: headings and one sentence to a line, sections apart."""
    blocks = ["\n".join((s.heading, *s.lines)) for s in plain_sections(content)]
    return "\n\n".join(blocks) + "\n"
