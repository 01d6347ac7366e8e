"""The whole plan as headed sections of labelled lines, one fact to a line: the body of the
plan PDF, the record copy and the large-print version, and the text put into braille. Every
item a plan must hold (DESIGN.md, "What a plan must hold") has its line here."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from samplan.documents.content import DocumentContent, InterventionItem, MeetingItem
from samplan.documents.dates import clock, long_date, weekday_date


@dataclass(frozen=True)
class Line:
    label: str
    value: str


@dataclass(frozen=True)
class Section:
    heading: str
    lines: tuple[Line, ...]


def _join(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def _about(content: DocumentContent) -> Section:
    lines = [
        Line(_("Planen gäller"), content.person_name),
        Line(_("Identitet"), content.person_identifier),
        Line(_("Typ av plan"), content.plan_type_label),
    ]
    if content.legal_basis:
        lines.append(Line(_("Lagrum"), content.legal_basis))
    if content.title:
        lines.append(Line(_("Rubrik"), content.title))
    if content.draft:
        lines.append(Line(_("Version"), _("Utkast, inte upprättad")))
    else:
        lines.append(Line(_("Version"), str(content.version_number)))
        lines.append(Line(_("Upprättad"), long_date(content.established_at)))
    lines.append(Line(_("Status"), content.state_label))
    if content.existing_plan_reference:
        lines.append(Line(_("Kompletterar"), content.existing_plan_reference))
    if content.narrowed:
        lines.append(
            Line(_("Observera"), _("Samtycket omfattar inte allt: en del av planen visas inte."))
        )
    return Section(_("Om planen"), tuple(lines))


def _responsibility(content: DocumentContent) -> Section:
    c = content.coordinator
    lines = [
        Line(_("Huvudansvarig huvudman"), content.lead_organisation or _("Inte utsedd")),
        Line(_("Samordnare"), _join(c.name, c.unit) or _("Inte utsedd")),
    ]
    if c.phone:
        lines.append(Line(_("Samordnarens telefon"), c.phone))
    if c.email:
        lines.append(Line(_("Samordnarens e-post"), c.email))
    lines.extend(Line(_("Deltar"), p) for p in content.participants)
    return Section(_("Ansvar och deltagare"), tuple(lines))


def _needs(content: DocumentContent) -> Section:
    lines = []
    for need in content.needs:
        text = need.description
        if need.icf_code:
            text = _("%(text)s (ICF %(code)s)") % {"text": text, "code": need.icf_code}
        lines.append(Line(need.kind_label, text))
    return Section(_("Behov, förutsättningar och intressen"), tuple(lines))


def _goals(content: DocumentContent) -> Section:
    lines = []
    for goal in content.goals:
        if goal.person_words:
            lines.append(Line(_("Med personens egna ord"), goal.person_words))
        lines.append(Line(_("Gemensamt mål"), goal.shared_goal))
        if goal.target_date is not None:
            lines.append(Line(_("Ska vara nått"), long_date(goal.target_date)))
    return Section(_("Mål"), tuple(lines))


def intervention_lines(item: InterventionItem) -> tuple[Line, ...]:
    lines = [
        Line(_("Insats"), item.description),
        Line(_("Ansvarig"), _join(item.organisation, item.unit, item.staff)),
        Line(_("Status"), item.status_label),
    ]
    if item.start_date is not None or item.end_date is not None:
        when = _("från %(start)s") % {"start": long_date(item.start_date)}
        if item.start_date is None:
            when = ""
        if item.end_date is not None:
            when = _join(when, _("till %(end)s") % {"end": long_date(item.end_date)})
        lines.append(Line(_("När"), when))
    if item.by_others:
        lines.append(Line(_("Utförs av"), _("Annan än kommunen och regionen")))
    return tuple(lines)


def _interventions(content: DocumentContent) -> Section:
    lines = [line for item in content.interventions for line in intervention_lines(item)]
    return Section(_("Insatser"), tuple(lines))


def _time_plan(content: DocumentContent) -> Section:
    lines = []
    if content.time_plan:
        lines.append(Line(_("Tidsplan"), content.time_plan))
    if content.evaluation_plan:
        lines.append(Line(_("Uppföljning och utvärdering"), content.evaluation_plan))
    lines.extend(
        Line(_("Uppföljning %(date)s") % {"date": long_date(f.due_date)}, f.what)
        for f in content.follow_ups
    )
    return Section(_("Tidsplan och uppföljning"), tuple(lines))


def meeting_lines(meeting: MeetingItem) -> tuple[Line, ...]:
    lines = [
        Line(_("Dag"), weekday_date(meeting.starts_at)),
        Line(
            _("Tid"),
            _("klockan %(start)s–%(end)s")
            % {"start": clock(meeting.starts_at), "end": clock(meeting.ends_at)},
        ),
        Line(_("Form"), meeting.mode_label),
    ]
    if meeting.location and not meeting.digital:
        lines.append(Line(_("Plats"), meeting.location))
    if meeting.video_url and meeting.digital:
        lines.append(Line(_("Länk"), meeting.video_url))
    if meeting.agenda:
        lines.append(Line(_("Syfte"), meeting.agenda))
    return tuple(lines)


def plan_outline(content: DocumentContent) -> tuple[Section, ...]:
    """The plan, section by section, in Swedish. A section the reader may not see (or that
    is empty) is kept with no lines, so that a document can say "nothing here"."""
    with translation.override("sv"):
        sections = [
            _about(content),
            _responsibility(content),
            _needs(content),
            _goals(content),
            _interventions(content),
            _time_plan(content),
        ]
        if content.next_meeting is not None:
            sections.append(Section(_("Nästa möte"), meeting_lines(content.next_meeting)))
        return tuple(sections)


def outline_text(sections: tuple[Section, ...], *, title: str = "") -> str:
    """The outline as plain text: headings, then "label: value" lines."""
    blocks = [title] if title else []
    with translation.override("sv"):
        nothing = _("Inget att visa.")
    for section in sections:
        lines = [section.heading, *(f"{line.label}: {line.value}" for line in section.lines)]
        if not section.lines:
            lines.append(nothing)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
