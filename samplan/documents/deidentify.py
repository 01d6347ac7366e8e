"""The de-identified case summary: a plan told so that nothing identifies the person.

Professionals may consult on a case without consent when the person cannot be identified
(seed 001): no name, and no other detail from which he or she could be recognised. This
summary keeps the plan's substance (needs, goals, interventions and their kinds, follow-ups,
meeting notes, deviations) and removes or generalises the rest:

- the person: an age band instead of the date of birth, no name, number, address or contact;
- organisations and units: their kind ("kommunens socialpsykiatri", "regionens psykiatri");
- staff, representatives and invitees: not named at all;
- dates: the month ("mars 2026"), never the day; the plan's id is left out too (it leads
  back to the person in the register);
- every free text through `deidentify_text.scrub`, with what the register knows about this
  plan's people and the whole directory (`plan_register`).

The first line says that the summary is de-identified and who made it (the maker's own name
is allowed there: it is the maker, not the person).

The inputs are already authorised: the kinds of information the reader may see of the plan
(`authz.information_kinds_for`) decide, as in `content.document_content`, which parts are
shown. Nothing here checks access or writes audit rows: the caller does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from samplan.accounts.models import User
from samplan.consent.models import InformationKind, information_kind_of
from samplan.directory.identity import parse_person_number
from samplan.directory.models import (
    IdentifierKind,
    Organisation,
    OrganisationKind,
    Person,
    Unit,
    UnitKind,
)
from samplan.documents.content import DocumentContent, clean, document_content
from samplan.documents.deidentify_text import Register, age_band, month_year, scrub
from samplan.plans.models import (
    Attainment,
    ClosureReason,
    DeviationKind,
    DeviationStatus,
    InitiatedBy,
    InitiativeReason,
    MeetingMode,
    NeedGroup,
    Plan,
)

TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"


class NothingToSummarise(ValueError):
    """The reader may see nothing of the plan: there is no summary to make."""


@dataclass(frozen=True)
class DeidentifiedSummary:
    text: str
    filename: str
    media_type: str


@dataclass(frozen=True)
class _Section:
    heading: str
    lines: tuple[str, ...]


# --- organisations and units generalised to their kind ------------------------------------


def organisation_phrase(kind: str) -> str:
    """An organisation as its kind: "kommunen", "regionen", "skolan"..."""
    phrases: dict[str, str] = {
        OrganisationKind.MUNICIPALITY: _("kommunen"),
        OrganisationKind.REGION: _("regionen"),
        OrganisationKind.STATE_AGENCY: _("en statlig myndighet"),
        OrganisationKind.SCHOOL: _("skolan"),
        OrganisationKind.PRIVATE_PROVIDER: _("en privat utförare"),
        OrganisationKind.NON_PROFIT: _("en idéburen organisation"),
    }
    return phrases.get(kind, _("[organisation]"))


def unit_phrase(organisation_kind: str, unit_kind: str | None) -> str:
    """A unit as its kind within its organisation's: "kommunens socialpsykiatri",
    "regionens psykiatri"; the two national agencies by name (there is one of each)."""
    if unit_kind == UnitKind.SOCIAL_INSURANCE:
        return _("Försäkringskassan")
    if unit_kind == UnitKind.EMPLOYMENT:
        return _("Arbetsförmedlingen")
    if unit_kind == UnitKind.SCHOOL or organisation_kind == OrganisationKind.SCHOOL:
        return _("skolan")
    owners: dict[str, str] = {
        OrganisationKind.MUNICIPALITY: _("kommunens"),
        OrganisationKind.REGION: _("regionens"),
        OrganisationKind.STATE_AGENCY: _("myndighetens"),
        OrganisationKind.PRIVATE_PROVIDER: _("en privat utförares"),
        OrganisationKind.NON_PROFIT: _("en idéburen organisations"),
    }
    works: dict[str, str] = {
        UnitKind.PSYCHIATRY: _("psykiatri"),
        UnitKind.ADDICTION: _("beroendevård"),
        UnitKind.PRIMARY_CARE: _("primärvård"),
        UnitKind.HABILITATION: _("habilitering"),
        UnitKind.SOMATIC: _("somatiska vård"),
        UnitKind.SOCIAL_PSYCHIATRY: _("socialpsykiatri"),
        UnitKind.LSS: _("LSS-verksamhet"),
        UnitKind.HOME_CARE: _("hemtjänst"),
        UnitKind.NEEDS_ASSESSMENT: _("biståndshandläggning"),
        UnitKind.CHILD_YOUTH: _("barn- och ungdomsverksamhet"),
        UnitKind.ELDERLY_CARE: _("äldreomsorg"),
    }
    owner = owners.get(organisation_kind)
    work = works.get(unit_kind or "")
    if owner is None:
        return organisation_phrase(organisation_kind)
    if work is None:
        if organisation_kind == OrganisationKind.MUNICIPALITY:
            work = _("socialtjänst")
        elif organisation_kind == OrganisationKind.REGION:
            work = _("hälso- och sjukvård")
        else:
            return organisation_phrase(organisation_kind)
    return f"{owner} {work}"


class _Directory:
    """Every organisation and unit, by name, as its kind: for the names a frozen version
    holds ("Psykiatriska mottagningen, Region X") and for such names typed into free text."""

    def __init__(self) -> None:
        self.organisations: dict[str, str] = {}
        self.units: dict[str, str] = {}  # "unit" and "unit, organisation"
        self.by_unit_and_org: dict[tuple[str, str], str] = {}
        for org in Organisation.objects.only("name", "kind", "email", "phone"):
            self.organisations.setdefault(org.name.casefold(), organisation_phrase(org.kind))
        for unit in Unit.objects.select_related("organisation").only(
            "name", "kind", "organisation__name", "organisation__kind"
        ):
            phrase = unit_phrase(unit.organisation.kind, unit.kind)
            self.units.setdefault(f"{unit.name}, {unit.organisation.name}".casefold(), phrase)
            self.units.setdefault(unit.name.casefold(), phrase)
            self.by_unit_and_org[(unit.name.casefold(), unit.organisation.name.casefold())] = phrase

    def organisation(self, name: str) -> str:
        return self.organisations.get(clean(name).casefold(), _("[organisation]"))

    def unit(self, name: str) -> str:
        """A frozen "unit, organisation" (or a bare unit or organisation name) as its kind."""
        key = clean(name).casefold()
        return self.units.get(key) or self.organisations.get(key) or _("[organisation]")

    def responsible(self, organisation: str, unit: str) -> str:
        org, unit = clean(organisation).casefold(), clean(unit).casefold()
        if unit and (org and (unit, org) in self.by_unit_and_org):
            return self.by_unit_and_org[(unit, org)]
        return self.organisations.get(org, _("[organisation]"))


# --- what the register knows ---------------------------------------------------------------


def plan_register(plan: Plan, content: DocumentContent, directory: _Directory) -> Register:
    """The names, numbers, addresses and contacts the register holds for this plan's people
    (the person, the representatives, the invitees, every staff member) and the directory's
    organisations and units, for the scrubber. The person's own names first: they win."""
    register = Register()
    person: Person = plan.person
    register.add_own_name(person.full_name)
    register.add_phrase(person.identifier, _("[personnummer]"))
    register.add_phrase(person.formatted_identifier, _("[personnummer]"))
    register.add_contact(phone=person.phone, email=person.email, address=person.address)
    if person.postal_code:
        register.add_phrase(person.postal_code, _("[adress]"))
    if person.city:
        register.add_phrase(person.city, _("[ort]"))
    for rep in person.representatives.all():
        register.add_name(rep.name)
        register.add_contact(phone=rep.phone, email=rep.email)
    if content.coordinator.name:
        register.add_name(content.coordinator.name)
    register.add_contact(phone=content.coordinator.phone, email=content.coordinator.email)
    register.add_contact(phone=plan.coordinator_phone, email=plan.coordinator_email)
    for item in content.interventions:
        if item.staff:
            register.add_name(item.staff)
    for meeting in plan.meetings.prefetch_related("invitations"):
        for invitation in meeting.invitations.all():
            for name in (invitation.external_name, invitation.represented_by):
                if name:
                    register.add_name(name)
            if invitation.external_organisation:
                register.add_phrase(invitation.external_organisation, _("[organisation]"))
            register.add_contact(email=invitation.email)
    # Every staff member (a membership, or a hand in this plan), not every person.
    linked = {plan.initiating_user_id, plan.coordinator_id}
    staff = User.objects.filter(
        Q(memberships__isnull=False) | Q(pk__in=[pk for pk in linked if pk])
    ).distinct()
    for first, last, email, phone in staff.values_list("first_name", "last_name", "email", "phone"):
        register.add_name(f"{first} {last}")
        register.add_contact(phone=phone, email=email)
    for name, phrase in directory.units.items():
        register.add_phrase(name, phrase)
    for name, phrase in directory.organisations.items():
        register.add_phrase(name, phrase)
    for contact in Unit.objects.values_list("email", "phone", "address"):
        register.add_contact(email=contact[0], phone=contact[1], address=contact[2])
    for email, phone in Organisation.objects.values_list("email", "phone"):
        register.add_contact(email=email, phone=phone)
    return register


def _birth_date(person: Person) -> date | None:
    if person.birth_date:
        return person.birth_date
    if person.identifier_kind == IdentifierKind.RESERVE:
        return None
    try:
        return parse_person_number(person.identifier).birth_date
    except Exception:  # an old or odd number: no age band rather than no summary
        return None


# --- the summary -------------------------------------------------------------------------


def _month(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return month_year(value)


def _label(choices: type[object], value: object) -> str:
    try:
        return str(choices(value).label)  # type: ignore[call-arg, attr-defined]
    except ValueError:
        return ""


@dataclass(frozen=True)
class _Summariser:
    """The summary's sections, each from the plan and its frozen content, every free text
    scrubbed with the register."""

    plan: Plan
    content: DocumentContent
    kinds: frozenset[str]
    register: Register
    directory: _Directory

    def s(self, text: str) -> str:
        return scrub(text, self.register)

    def sections(self) -> list[_Section]:
        sections = [self.case(), self.interventions()]
        if InformationKind.PLAN in self.kinds:
            sections[1:1] = [self.initiative(), self.needs(), self.goals()]
            sections += [
                self.time_plan(),
                self.follow_ups(),
                self.meetings(),
                self.deviations(),
                self.closure(),
            ]
        return [section for section in sections if section.lines]

    def case(self) -> _Section:
        content, shared = self.content, InformationKind.PLAN in self.kinds
        born = _birth_date(self.plan.person)
        status = content.state_label
        if content.version_number:
            status = _("%(state)s, version %(number)s, upprättad %(month)s") % {
                "state": status,
                "number": content.version_number,
                "month": _month(content.established_at),
            }
        elif content.draft:
            status = _("%(state)s (utkast)") % {"state": status}
        band = age_band(born, timezone.localdate()) if born else "–"
        lines = [
            _("Typ av plan: %(type)s") % {"type": content.plan_type_label},
            _("Status: %(status)s") % {"status": status},
            _("Ålder: %(band)s") % {"band": band},
        ]
        if content.title and shared:
            lines.append(_("Rubrik: %(title)s") % {"title": self.s(content.title)})
        if content.lead_organisation:
            lead = self.directory.organisation(content.lead_organisation)
            lines.append(_("Huvudansvarig: %(org)s") % {"org": lead})
        if content.coordinator.unit:
            unit = self.directory.unit(content.coordinator.unit)
            lines.append(_("Samordnare: %(unit)s") % {"unit": unit})
        participants = sorted({self.directory.unit(p) for p in content.participants})
        if participants:
            lines.append(_("Deltar: %(who)s") % {"who": "; ".join(participants)})
        if content.existing_plan_reference and shared:
            reference = self.s(content.existing_plan_reference)
            lines.append(_("Kompletterar: %(plan)s") % {"plan": reference})
        if content.narrowed:
            lines.append(_("Samtycket omfattar inte allt: en del av planen visas inte här."))
        return _Section(_("Ärendet"), tuple(lines))

    def initiative(self) -> _Section:
        plan = self.plan
        lines = [
            _join(
                _("Initiativ %(month)s") % {"month": _month(plan.initiated_on)},
                _("från %(who)s") % {"who": _label(InitiatedBy, plan.initiated_by).lower()},
            )
        ]
        reasons = [r for r in (_label(InitiativeReason, r) for r in plan.reasons or []) if r]
        if reasons:
            lines.append(_("Skäl: %(reasons)s") % {"reasons": "; ".join(reasons)})
        groups = [g for g in (_label(NeedGroup, g) for g in plan.need_groups or []) if g]
        if groups:
            lines.append(_("Målgrupp: %(groups)s") % {"groups": "; ".join(groups)})
        if plan.initiative_note:
            lines.append(self.s(plan.initiative_note))
        return _Section(_("Initiativet"), tuple(lines))

    def needs(self) -> _Section:
        return _Section(
            _("Behov"),
            tuple(
                _join(f"{n.kind_label}: {self.s(n.description)}", n.icf_code)
                for n in self.content.needs
            ),
        )

    def goals(self) -> _Section:
        lines = []
        for g in self.content.goals:
            line = self.s(g.shared_goal)
            if g.person_words:
                words = self.s(g.person_words)
                line += " " + _("(med personens ord: %(words)s)") % {"words": words}
            if g.target_date:
                month = _month(g.target_date)
                line += " " + _("– ska vara nått %(month)s") % {"month": month}
            lines.append(line)
        return _Section(_("Mål"), tuple(lines))

    def interventions(self) -> _Section:
        lines = []
        for i in self.content.interventions:
            when = ""
            if i.start_date or i.end_date:
                when = _("%(start)s–%(end)s") % {
                    "start": _month(i.start_date),
                    "end": _month(i.end_date),
                }
            line = _join(
                self.s(i.description),
                self.directory.responsible(i.organisation, i.unit),
                i.status_label.lower(),
                when,
            )
            if i.by_others:
                line += " " + _("(av annan än kommun och region)")
            lines.append(line)
        return _Section(_("Insatser"), tuple(lines))

    def time_plan(self) -> _Section:
        lines = []
        if self.content.time_plan:
            lines.append(_("Tidsplan: %(text)s") % {"text": self.s(self.content.time_plan)})
        if self.content.evaluation_plan:
            text = self.s(self.content.evaluation_plan)
            lines.append(_("Uppföljning och utvärdering: %(text)s") % {"text": text})
        return _Section(_("Tidsplan och uppföljning"), tuple(lines))

    def follow_ups(self) -> _Section:
        lines = [f"{_month(f.due_date)}: {self.s(f.what)}" for f in self.content.follow_ups]
        for done in self.plan.follow_ups.filter(done_at__isnull=False).order_by("due_date", "pk"):
            line = _("%(month)s (gjord): %(what)s") % {
                "month": _month(done.due_date),
                "what": self.s(done.what),
            }
            if done.result:
                line += " – " + self.s(done.result)
            if done.attainment:
                attainment = _label(Attainment, done.attainment).lower()
                line += " " + _("(%(attainment)s)") % {"attainment": attainment}
            lines.append(line)
        return _Section(_("Uppföljningar"), tuple(lines))

    def meetings(self) -> _Section:
        lines = []
        for m in self.plan.meetings.filter(cancelled_at__isnull=True).order_by("starts_at", "pk"):
            line = _join(_month(m.starts_at), _label(MeetingMode, m.mode).lower())
            if m.held_at is None:
                line += " " + _("(planerat)")
            if m.agenda:
                line += ": " + self.s(m.agenda)
            if m.minutes:
                line += "; " + _("anteckningar: %(text)s") % {"text": self.s(m.minutes)}
            lines.append(line)
        return _Section(_("Möten"), tuple(lines))

    def deviations(self) -> _Section:
        """A deviation is shown when the kind of information of the organisation it is
        addressed to is among the reader's kinds."""
        lines = []
        rows = self.plan.deviations.select_related("addressed_to").order_by("reported_at", "pk")
        for d in rows:
            kind = information_kind_of(organisation_kind=d.addressed_to.kind, unit_kind=None)
            if kind not in self.kinds:
                continue
            line = _join(
                _month(d.reported_at),
                _label(DeviationKind, d.kind),
                _("till %(org)s") % {"org": organisation_phrase(d.addressed_to.kind)},
                _label(DeviationStatus, d.status).lower(),
            )
            line += ": " + self.s(d.description)
            if d.resolution:
                line += "; " + _("åtgärd: %(text)s") % {"text": self.s(d.resolution)}
            lines.append(line)
        return _Section(_("Avvikelser"), tuple(lines))

    def closure(self) -> _Section:
        plan = self.plan
        if not (plan.closure_reason or plan.closed_at):
            return _Section(_("Avslut"), ())
        lines = [_join(_month(plan.closed_at), _label(ClosureReason, plan.closure_reason))]
        if plan.closure_note:
            lines.append(self.s(plan.closure_note))
        return _Section(_("Avslut"), tuple(lines))


def _join(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def _first_line(made_by: str) -> str:
    maker = " ".join(clean(made_by).split()) or "–"
    return _("Avidentifierad sammanfattning, gjord av %(maker)s, %(month)s") % {
        "maker": maker,
        "month": month_year(timezone.localdate()),
    }


def _note() -> str:
    return _(
        "Namn, identitetsnummer, adresser, telefonnummer, e-postadresser, skolor, "
        "arbetsplatser och exakta datum är borttagna eller generaliserade. Underlag för "
        "samråd kring ett ärende utan att personen kan identifieras."
    )


def _as_text(first: str, sections: list[_Section]) -> str:
    parts = [first, "", _note()]
    for section in sections:
        parts.append("")
        parts.append(section.heading)
        parts.extend(f"- {line}" for line in section.lines)
    return "\n".join(parts) + "\n"


def _as_html(first: str, sections: list[_Section]) -> str:
    body = [f"<p><strong>{escape(first)}</strong></p>", f"<p>{escape(_note())}</p>"]
    for section in sections:
        body.append(f"<h2>{escape(section.heading)}</h2>")
        body.append("<ul>")
        body.extend(f"<li>{escape(line)}</li>" for line in section.lines)
        body.append("</ul>")
    return (
        '<!DOCTYPE html>\n<html lang="sv">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(_('Avidentifierad sammanfattning'))}</title>\n"
        "</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def deidentified_summary(
    *, plan: Plan, kinds: frozenset[str], made_by: str, as_html: bool = False
) -> DeidentifiedSummary:
    """The plan as a de-identified case summary, in Swedish, for a reader who may see `kinds`
    of it; `made_by` names the maker for the first line ("Anna Berg, Socialpsykiatrin").
    Plain text, or with `as_html` a simple HTML page (everything escaped). Raises
    `NothingToSummarise` when `kinds` is empty. No access check and no audit row here."""
    if not kinds:
        raise NothingToSummarise(_("Läsaren får inte se något av planen."))
    with translation.override("sv"):
        content = document_content(plan=plan, kinds=kinds)
        directory = _Directory()
        register = plan_register(plan, content, directory)
        sections = _Summariser(plan, content, kinds, register, directory).sections()
        first = _first_line(made_by)
        month = timezone.localdate().strftime("%Y-%m")
        if as_html:
            return DeidentifiedSummary(
                text=_as_html(first, sections),
                filename=f"avidentifierad-sammanfattning-{month}.html",
                media_type=HTML,
            )
        return DeidentifiedSummary(
            text=_as_text(first, sections),
            filename=f"avidentifierad-sammanfattning-{month}.txt",
            media_type=TEXT,
        )
