"""The log extract for a person (HSLF-FS 2016:40 4 kap. 10 §): which organisations and units
read or changed his or her data, and when, in words the person can judge. CSV for Excel and
a PDF to print or keep."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samplan.audit.actions import AuditAction
from samplan.audit.models import AuditEvent, Outcome
from samplan.audit.selectors import STOCKHOLM, day_bounds
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.directory.models import Organisation, Person

# Action codes in plain Swedish, from the person's point of view. Unknown codes are shown as
# they are, so that nothing is left out of the extract.
ACTION_PHRASES: dict[AuditAction, Any] = {
    AuditAction.PERSON_READ: gettext_lazy("Läste dina uppgifter"),
    AuditAction.PLAN_READ_OWN: gettext_lazy("Läste planen (du själv eller din företrädare)"),
    AuditAction.PLAN_READ_OWN_LIST: gettext_lazy(
        "Såg listan över planerna (du själv eller din företrädare)"
    ),
    AuditAction.PERSON_READ_BRIEF: gettext_lazy("Såg ditt namn och födelseår efter en uppslagning"),
    AuditAction.PERSON_LOOKUP: gettext_lazy(
        "Slog upp dig med fullständigt personnummer och ett skäl"
    ),
    AuditAction.PERSON_SEARCH: gettext_lazy("Fick upp dig vid en sökning bland sina personer"),
    AuditAction.PERSON_PROTECTED_IDENTITY: gettext_lazy("Ändrade skyddet av dina personuppgifter"),
    AuditAction.PATIENT_FHIR_READ: gettext_lazy("Läste dina uppgifter via ett journalsystem"),
    AuditAction.CAREPLAN_FHIR_NOTIFY: gettext_lazy(
        "Ett journalsystem fick besked om att din plan har ändrats"
    ),
    AuditAction.PATIENT_FHIR_SEARCH: gettext_lazy(
        "Fick upp dig vid en sökning via ett journalsystem"
    ),
    AuditAction.CAREPLAN_FHIR_READ: gettext_lazy("Läste planen via ett journalsystem"),
    AuditAction.CAREPLAN_FHIR_SEARCH: gettext_lazy(
        "Fick upp din plan vid en sökning via ett journalsystem"
    ),
    AuditAction.PLAN_FHIR_EVERYTHING: gettext_lazy("Hämtade hela planen via ett journalsystem"),
    AuditAction.CARETEAM_FHIR_READ: gettext_lazy(
        "Läste vilka som deltar i planen via ett journalsystem"
    ),
    # The care team as part of CarePlan/$everything: the same words as reading it alone.
    AuditAction.CARETEAM_FHIR_EVERYTHING: gettext_lazy(
        "Läste vilka som deltar i planen via ett journalsystem"
    ),
    AuditAction.CARETEAM_FHIR_SEARCH: gettext_lazy(
        "Fick upp vilka som deltar i planen vid en sökning via ett journalsystem"
    ),
    AuditAction.GOAL_FHIR_READ: gettext_lazy("Läste planens mål via ett journalsystem"),
    AuditAction.GOAL_FHIR_SEARCH: gettext_lazy(
        "Fick upp planens mål vid en sökning via ett journalsystem"
    ),
    AuditAction.CONSENT_FHIR_READ: gettext_lazy("Läste ditt samtycke via ett journalsystem"),
    AuditAction.CONSENT_FHIR_SEARCH: gettext_lazy(
        "Fick upp ditt samtycke vid en sökning via ett journalsystem"
    ),
    AuditAction.APPOINTMENT_FHIR_READ: gettext_lazy("Läste om ett SIP-möte via ett journalsystem"),
    AuditAction.APPOINTMENT_FHIR_SEARCH: gettext_lazy(
        "Fick upp dina SIP-möten vid en sökning via ett journalsystem"
    ),
    AuditAction.PLAN_VERSION_DIFF: gettext_lazy("Jämförde två versioner av planen"),
    AuditAction.PLAN_DOCUMENT: gettext_lazy("Hämtade planen som dokument (till exempel PDF)"),
    AuditAction.PLAN_DOCUMENTS: gettext_lazy("Såg vilka dokument som finns av planen"),
    AuditAction.PLAN_DOCUMENT_OWN: gettext_lazy(
        "Hämtade planen som dokument (du själv eller din företrädare)"
    ),
    AuditAction.PERSON_CREATE: gettext_lazy("Registrerade dig i Samplan"),
    AuditAction.PERSON_UPDATE: gettext_lazy("Ändrade dina uppgifter"),
    AuditAction.PERSON_VIEW: gettext_lazy("Försökte läsa dina uppgifter"),
    AuditAction.PERSON_EDIT: gettext_lazy("Försökte ändra dina uppgifter"),
    AuditAction.REPRESENTATIVE_ADD: gettext_lazy("Lade till en närstående eller företrädare"),
    AuditAction.REPRESENTATIVE_UPDATE: gettext_lazy(
        "Ändrade uppgifter om din närstående eller företrädare"
    ),
    AuditAction.REPRESENTATIVE_REMOVE: gettext_lazy("Tog bort en närstående eller företrädare"),
    AuditAction.PLAN_INITIATE: gettext_lazy("Tog initiativ till en samordnad individuell plan"),
    AuditAction.PLAN_READ: gettext_lazy("Läste planen"),
    AuditAction.PLAN_LIST: gettext_lazy("Såg din plan i en lista över planer"),
    AuditAction.STATISTICS_BACK_AND_FORTH: gettext_lazy(
        "Såg din plan i en lista i uppföljningsstatistiken (planer där du skickats mellan "
        "verksamheter)"
    ),
    AuditAction.HOME_READ: gettext_lazy("Såg ditt namn bland sina uppgifter på startsidan"),
    AuditAction.WORKLIST_READ: gettext_lazy("Såg ditt namn i sin arbetslista"),
    AuditAction.INBOX_READ: gettext_lazy("Läste ett meddelande om avvikelse i din plan"),
    AuditAction.PLAN_VERSION: gettext_lazy("Läste en upprättad version av planen"),
    AuditAction.PLAN_VIEW: gettext_lazy("Försökte läsa planen"),
    AuditAction.PLAN_EDIT: gettext_lazy("Försökte ändra planen"),
    AuditAction.PLAN_UPDATE: gettext_lazy("Ändrade planen"),
    AuditAction.PLAN_ESTABLISH: gettext_lazy("Upprättade planen"),
    AuditAction.PLAN_REVISE: gettext_lazy("Började revidera planen"),
    AuditAction.PLAN_CLOSE: gettext_lazy("Avslutade planen"),
    AuditAction.PLAN_VIEW_OWN: gettext_lazy("Läste planen (du själv eller din företrädare)"),
    AuditAction.CONSENT_GIVEN: gettext_lazy("Registrerade ditt samtycke"),
    AuditAction.CONSENT_REFUSED: gettext_lazy("Registrerade att du inte samtycker"),
    AuditAction.CONSENT_REVOKE: gettext_lazy("Registrerade att du tog tillbaka ditt samtycke"),
    AuditAction.CONSENT_RECORD: gettext_lazy("Försökte registrera samtycke"),
    AuditAction.NEED_ADD: gettext_lazy("Skrev in ett behov i planen"),
    AuditAction.NEED_UPDATE: gettext_lazy("Ändrade ett behov i planen"),
    AuditAction.NEED_REMOVE: gettext_lazy("Tog bort ett behov ur planen"),
    AuditAction.GOAL_ADD: gettext_lazy("Skrev in ett mål i planen"),
    AuditAction.GOAL_UPDATE: gettext_lazy("Ändrade ett mål i planen"),
    AuditAction.GOAL_REMOVE: gettext_lazy("Tog bort ett mål ur planen"),
    AuditAction.INTERVENTION_ADD: gettext_lazy("Skrev in en insats i planen"),
    AuditAction.INTERVENTION_UPDATE: gettext_lazy("Ändrade en insats i planen"),
    AuditAction.INTERVENTION_REMOVE: gettext_lazy("Tog bort en insats ur planen"),
    AuditAction.MEETING_SCHEDULE: gettext_lazy("Bokade ett SIP-möte"),
    AuditAction.MEETING_UPDATE: gettext_lazy("Ändrade ett SIP-möte"),
    AuditAction.MEETING_CANCEL: gettext_lazy("Ställde in ett SIP-möte"),
    AuditAction.MEETING_HELD: gettext_lazy("Skrev in att SIP-mötet hölls"),
    AuditAction.INVITATION_ADD: gettext_lazy("Skickade en kallelse till SIP-mötet"),
    AuditAction.INVITATION_ANSWER: gettext_lazy("Svarade på en kallelse till SIP-mötet"),
    AuditAction.INVITATION_ANSWER_EXTERNAL: gettext_lazy("Svarade på en kallelse till SIP-mötet"),
    AuditAction.INVITATION_LINK_OPEN: gettext_lazy(
        "Öppnade en kallelse till SIP-mötet med länken i e-postmeddelandet (extern deltagare)"
    ),
    AuditAction.INVITATION_LINK_REFUSED: gettext_lazy(
        "Försökte öppna eller svara på en kallelse med en länk som inte gällde"
    ),
    AuditAction.INVITATION_LINK_REVOKE: gettext_lazy(
        "Spärrade länken i en kallelse till en extern deltagare"
    ),
    AuditAction.INVITATION_LINK_REISSUE: gettext_lazy(
        "Skickade en ny länk till en extern deltagare"
    ),
    AuditAction.FOLLOW_UP_SCHEDULE: gettext_lazy("Planerade en uppföljning"),
    AuditAction.FOLLOW_UP_RECORD: gettext_lazy("Skrev in en uppföljning"),
    AuditAction.DEVIATION_REPORT: gettext_lazy("Rapporterade en avvikelse"),
    AuditAction.DEVIATION_STATUS: gettext_lazy("Ändrade status för en avvikelse"),
    AuditAction.DISPUTE_RECORD: gettext_lazy("Registrerade en oenighet om ansvar i planen"),
    AuditAction.DISPUTE_RESOLVE: gettext_lazy("Registrerade hur en oenighet om ansvar löstes"),
    AuditAction.AUDIT_REVIEW_READ: gettext_lazy(
        "Granskade loggen över vem som läst dina uppgifter"
    ),
    AuditAction.AUDIT_EXTRACT: gettext_lazy("Tog fram ett loggutdrag om dig"),
    AuditAction.MEETING_CALENDAR_OWN: gettext_lazy(
        "Hämtade ett SIP-möte till sin kalender (du själv eller din företrädare)"
    ),
    AuditAction.PERSON_READ_OWN: gettext_lazy("Såg ditt namn som din närstående eller företrädare"),
    AuditAction.PLAN_CHILD_VIEW: gettext_lazy("Ändrade om du själv får se planen"),
    AuditAction.CONSENT_DECIDE_OWN: gettext_lazy(
        "Lämnade eller ändrade ditt samtycke (du själv eller din företrädare)"
    ),
    AuditAction.CONSENT_REVOKE_OWN: gettext_lazy(
        "Tog tillbaka ditt samtycke (du själv eller din företrädare)"
    ),
    AuditAction.REPRESENTATIVE_CHOOSE_OWN: gettext_lazy(
        "Valde vilka närstående som får se planen (du själv eller din företrädare)"
    ),
    AuditAction.PLAN_APPROVE_OWN: gettext_lazy(
        "Godkände en version av planen (du själv eller din företrädare)"
    ),
    AuditAction.PLAN_REQUEST_END_OWN: gettext_lazy(
        "Bad om att planen ska avslutas (du själv eller din företrädare)"
    ),
    AuditAction.PLAN_REQUEST_OWN: gettext_lazy(
        "Bad om en samordnad individuell plan (du själv eller din närstående)"
    ),
}
OUTCOME_WORDS: dict[str, Any] = {
    Outcome.OK: gettext_lazy("Utfört"),
    Outcome.DENIED: gettext_lazy("Nekades – fick inte tillgång"),
    Outcome.INVALID: gettext_lazy("Avbröts – felaktiga uppgifter"),
}
FORMATS = ("csv", "pdf")


def action_phrase(code: str) -> str:
    try:
        phrase = ACTION_PHRASES.get(AuditAction(code))
    except ValueError:  # an action this version does not know (an older log, the API's input)
        return code
    return str(phrase) if phrase is not None else code


@dataclass(frozen=True)
class ExtractRow:
    at: datetime  # Stockholm time
    organisation: str
    unit: str
    staff: str
    what: str
    outcome: str


@dataclass(frozen=True)
class Extract:
    person: Person
    period_from: date
    period_to: date
    rows: list[ExtractRow]
    # For a reviewer's extract: only events by these organisations' staff. Empty: all events.
    organisations: list[Organisation]
    created_at: datetime
    # Whom the person can ask: the coordinators of his or her plans.
    contacts: list[str] = field(default_factory=list)


def extract_scope(*, actor: Actor, person: Person) -> list[Organisation] | None:
    """The rule lives in the policy (`authz.audit_extract_scope`)."""
    return authz.audit_extract_scope(actor, person)


def _events(
    *, person: Person, organisations: list[Organisation] | None, start: datetime, end: datetime
) -> QuerySet[AuditEvent]:
    queryset = AuditEvent.objects.filter(person=person, at__gte=start, at__lt=end)
    if organisations is not None:
        queryset = queryset.filter(actor_organisation__in=organisations)
    # The own extract also holds events without a unit (the system, the person himself or
    # herself); the organisation filter drops those for a reviewer.
    return queryset.select_related("actor", "actor_unit", "actor_organisation")


def _row(event: AuditEvent) -> ExtractRow:
    if event.actor is not None:
        staff = event.actor.get_full_name() or event.actor.username
    else:
        staff = _("Samplan (automatiskt)")
    return ExtractRow(
        at=event.at.astimezone(STOCKHOLM),
        organisation=event.actor_organisation.name if event.actor_organisation else "",
        unit=event.actor_unit.name if event.actor_unit else "",
        staff=staff,
        what=action_phrase(event.action),
        outcome=str(OUTCOME_WORDS.get(event.outcome, event.outcome)),
    )


def extract_build(
    *,
    actor: Actor,
    person: Person,
    period_from: date | None = None,
    period_to: date | None = None,
) -> Extract:
    """The extract for `person`, unaudited: reached through `access.access_audit_extract`,
    which records that it was made."""
    organisations = extract_scope(actor=actor, person=person)
    today = timezone.localdate(timezone=STOCKHOLM)
    period_to = period_to or today
    if period_from is None:
        first = AuditEvent.objects.filter(person=person).order_by("pk").values("at").first()
        period_from = first["at"].astimezone(STOCKHOLM).date() if first else period_to
    start, end = day_bounds(period_from)[0], day_bounds(period_to)[1]
    events = _events(person=person, organisations=organisations, start=start, end=end)
    rows = [_row(e) for e in events.order_by("at", "pk").iterator(chunk_size=2000)]
    return Extract(
        contacts=_contacts(person),
        person=person,
        period_from=period_from,
        period_to=period_to,
        rows=rows,
        organisations=organisations or [],
        created_at=timezone.now().astimezone(STOCKHOLM),
    )


def _contacts(person: Person) -> list[str]:
    from samplan.plans.models import Plan

    plans = (
        Plan.objects.filter(person=person, coordinator__isnull=False)
        .select_related("coordinator", "coordinator_unit__organisation")
        .order_by("-created_at")
    )
    contacts: list[str] = []
    for plan in plans:
        assert plan.coordinator is not None
        parts = [plan.coordinator.get_full_name() or plan.coordinator.username]
        if plan.coordinator_unit is not None:
            parts.append(str(plan.coordinator_unit))
        if plan.coordinator_phone:
            parts.append(_("tel. %(phone)s") % {"phone": plan.coordinator_phone})
        line = ", ".join(parts)
        if line not in contacts:
            contacts.append(line)
    return contacts


# Rendering ------------------------------------------------------------------------------------


def _cell(value: str) -> str:
    """A cell that starts like a formula is shown as text, not run, by the spreadsheet."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_lines(extract: Extract) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Datum och tid"),
            _("Organisation"),
            _("Enhet"),
            _("Personal"),
            _("Vad som gjordes"),
            _("Utfall"),
        ]
    )
    for row in extract.rows:
        writer.writerow(
            [
                f"{row.at:%Y-%m-%d %H:%M}",
                _cell(row.organisation),
                _cell(row.unit),
                _cell(row.staff),
                _cell(row.what),
                _cell(row.outcome),
            ]
        )
    yield buffer.getvalue()


def render_csv(extract: Extract) -> bytes:
    # A byte order mark, so that Excel reads the file as UTF-8 (å, ä, ö).
    return "\ufeff".encode() + "".join(csv_lines(extract)).encode("utf-8")


def render_pdf(extract: Extract) -> bytes:
    import weasyprint

    html = render_to_string("audit/extract_pdf.html", {"extract": extract})
    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf


def filename(extract: Extract, fmt: str) -> str:
    """No identity number and no name: the person's id in Samplan and the date."""
    return f"loggutdrag-{extract.person.pk}-{extract.created_at:%Y%m%d}.{fmt}"
