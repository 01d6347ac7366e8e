"""The one entry point for a plan's documents: `render_document`, and `document_kinds_for`
for the list of what can be rendered.

Callers pass what they have already authorised: the plan, the kinds of information the
reader may see of it (`authz.information_kinds_for`), and for a record copy the organisation
whose copy it is, for an invitation letter the meeting. Access checks, audit events, views
and URLs are the caller's (the plan page, the person's view, the API); nothing here writes.

`document_kinds_for` lists braille and audio even when their tools are missing, with
`available=False` and `missing_package` naming the Debian package: a page shows "install
liblouis-bin" in place of a link, and the other documents keep working."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samplan.directory.models import Organisation
from samplan.documents import audio, braille
from samplan.documents.content import DocumentContent, document_content, meeting_item
from samplan.documents.dates import iso, long_date
from samplan.documents.deidentify import deidentified_summary
from samplan.documents.outline import meeting_lines, outline_text, plan_outline
from samplan.documents.pdf import render_pdf
from samplan.documents.plain import plain_sections, plain_text
from samplan.documents.tools import check_tools
from samplan.plans.models import Meeting, Plan

PDF = "application/pdf"
TEXT = "text/plain; charset=utf-8"


class DocumentKind(models.TextChoices):
    PLAN = "plan", gettext_lazy("Planen")
    RECORD_COPY = "record_copy", gettext_lazy("Kopia för akten")
    INVITATION_LETTER = "invitation_letter", gettext_lazy("Kallelse till SIP-möte")
    PLAIN_LANGUAGE = "plain_language", gettext_lazy("Lättläst")
    LARGE_PRINT = "large_print", gettext_lazy("Stor text")
    BRAILLE = "braille", gettext_lazy("Punktskrift")
    AUDIO = "audio", gettext_lazy("Uppläst")
    # For consulting on the case without consent: nothing in it identifies the person.
    DEIDENTIFIED = "deidentified", gettext_lazy("Avidentifierad sammanfattning")


MEDIA_TYPES = {
    DocumentKind.PLAN: PDF,
    DocumentKind.RECORD_COPY: PDF,
    DocumentKind.INVITATION_LETTER: PDF,
    DocumentKind.PLAIN_LANGUAGE: TEXT,
    DocumentKind.LARGE_PRINT: PDF,
    DocumentKind.BRAILLE: TEXT,
    DocumentKind.AUDIO: audio.MEDIA_TYPE,
    DocumentKind.DEIDENTIFIED: TEXT,
}

# The system tools each format needs (the others need none beyond WeasyPrint).
TOOLS = {
    DocumentKind.BRAILLE: ("lou_translate",),
    DocumentKind.AUDIO: ("espeak-ng", "opusenc"),
}


class DocumentUnavailable(ValueError):
    """The document cannot be made for these inputs (no meeting for a letter, a record copy
    for an organisation that does not take part, an unknown kind)."""


@dataclass(frozen=True)
class Document:
    kind: str
    title: str
    media_type: str
    filename: str
    content: bytes


@dataclass(frozen=True)
class DocumentOption:
    """One document that can be asked for: the caller turns it into a link."""

    kind: str
    title: str
    media_type: str
    available: bool = True
    missing_package: str | None = None  # the Debian package to install, when not available
    organisation_id: int | None = None  # record copy: whose
    meeting_id: int | None = None  # invitation letter: which meeting


def _participating(plan: Plan) -> list[Organisation]:
    return list(
        Organisation.objects.filter(
            units__participations__plan=plan, units__participations__left_at__isnull=True
        )
        .distinct()
        .order_by("name")
    )


def _open_meetings(plan: Plan) -> list[Meeting]:
    return list(
        plan.meetings.filter(
            cancelled_at__isnull=True, held_at__isnull=True, starts_at__gte=timezone.now()
        ).order_by("starts_at")
    )


def document_kinds_for(
    *, plan: Plan, kinds: frozenset[str], organisation: Organisation | None = None
) -> list[DocumentOption]:
    """What can be rendered of the plan for a reader who may see `kinds` of it: the plan and
    its formats; a record copy for `organisation` if it takes part (for every participating
    organisation when None); an invitation letter per coming meeting. Braille and audio
    are listed with `missing_package` when their tools are absent. Empty when the reader may
    see nothing of the plan."""
    if not kinds:
        return []
    with translation.override("sv"):
        options: list[DocumentOption] = []

        def add(kind: DocumentKind, title: str, **extra: int | None) -> None:
            status = check_tools(*TOOLS.get(kind, ()))
            options.append(
                DocumentOption(
                    kind=kind.value,
                    title=title,
                    media_type=MEDIA_TYPES[kind],
                    available=status.available,
                    missing_package=status.missing_package,
                    **extra,
                )
            )

        add(DocumentKind.PLAN, str(DocumentKind.PLAN.label))
        participating = _participating(plan)
        for org in participating:
            if organisation is None or org.pk == organisation.pk:
                add(
                    DocumentKind.RECORD_COPY,
                    _("Kopia för akten hos %(organisation)s") % {"organisation": org.name},
                    organisation_id=org.pk,
                )
        for meeting in _open_meetings(plan):
            add(
                DocumentKind.INVITATION_LETTER,
                _("Kallelse till SIP-möte %(date)s") % {"date": long_date(meeting.starts_at)},
                meeting_id=meeting.pk,
            )
        for kind in (
            DocumentKind.PLAIN_LANGUAGE,
            DocumentKind.LARGE_PRINT,
            DocumentKind.BRAILLE,
            DocumentKind.AUDIO,
            DocumentKind.DEIDENTIFIED,
        ):
            add(kind, str(kind.label))
        return options


def _filename(content: DocumentContent, kind: str, extension: str, extra: str = "") -> str:
    version = f"v{content.version_number}" if content.version_number else "utkast"
    parts = ["sip", str(content.plan_id), version, kind.replace("_", "-"), slugify(extra)]
    return "-".join(p for p in parts if p) + "." + extension


def _plan_title(content: DocumentContent) -> str:
    return _("%(type)s för %(name)s") % {
        "type": content.plan_type_label,
        "name": content.person_name,
    }


def _footer(content: DocumentContent) -> str:
    version = (
        _("version %(number)s") % {"number": content.version_number}
        if content.version_number
        else _("utkast")
    )
    return _("SIP %(id)s, %(version)s. Innehåller personuppgifter.") % {
        "id": content.plan_id,
        "version": version,
    }


def _pdf_context(content: DocumentContent, title: str) -> dict[str, object]:
    return {
        "title": title,
        "content": content,
        "footer": _footer(content),
        "today": long_date(timezone.localdate()),
        "established": long_date(content.established_at),
    }


def _render_plan(content: DocumentContent, organisation: Organisation | None) -> Document:
    title = _plan_title(content)
    context = _pdf_context(content, title)
    context["sections"] = plan_outline(content)
    kind = DocumentKind.PLAN
    extra = ""
    if organisation is not None:
        kind = DocumentKind.RECORD_COPY
        extra = organisation.name
        context["copy_for"] = organisation.name
        context["participants"] = "; ".join(content.participants)
        context["footer"] = _("Kopia för akten hos %(organisation)s. %(footer)s") % {
            "organisation": organisation.name,
            "footer": context["footer"],
        }
    return Document(
        kind=kind.value,
        title=title,
        media_type=PDF,
        filename=_filename(content, kind.value, "pdf", extra),
        content=render_pdf("documents/plan.html", context),
    )


def _render_letter(content: DocumentContent, plan: Plan, meeting: Meeting | None) -> Document:
    if meeting is None or meeting.plan_id != plan.pk:
        raise DocumentUnavailable(_("Kallelsen behöver ett möte i den här planen."))
    item = meeting_item(meeting)
    title = _("Kallelse till SIP-möte")
    context = _pdf_context(content, title)
    c = content.coordinator
    organiser = meeting.organiser
    context.update(
        meeting=item,
        meeting_lines=meeting_lines(item),
        sender=c.unit or str(plan.initiating_unit),
        signature=_("%(name)s, samordnare") % {"name": c.name}
        if c.name
        else organiser.display_name,
        organiser_name=organiser.display_name,
        organiser_email=organiser.email,
    )
    return Document(
        kind=DocumentKind.INVITATION_LETTER.value,
        title=title,
        media_type=PDF,
        filename=_filename(content, "kallelse", "pdf", iso(meeting.starts_at)),
        content=render_pdf("documents/invitation_letter.html", context),
    )


def _render_format(content: DocumentContent, kind: DocumentKind) -> Document:
    title = _plan_title(content)
    if kind == DocumentKind.PLAIN_LANGUAGE:
        body = plain_text(content).encode("utf-8")
        return Document(
            kind.value, _("Din plan, lättläst"), TEXT, _filename(content, kind, "txt"), body
        )
    if kind == DocumentKind.LARGE_PRINT:
        context = _pdf_context(content, title)
        context["sections"] = plan_outline(content)
        pdf = render_pdf("documents/large_print.html", context)
        return Document(kind.value, title, PDF, _filename(content, kind, "pdf"), pdf)
    if kind == DocumentKind.BRAILLE:
        text = braille.to_braille(outline_text(plan_outline(content), title=title))
        return Document(
            kind.value, title, TEXT, _filename(content, kind, "txt"), text.encode("utf-8")
        )
    if kind == DocumentKind.AUDIO:
        spoken = audio.read_aloud(plain_sections(content), title=_("Din plan"))
        return Document(
            kind.value,
            _("Din plan, uppläst"),
            audio.MEDIA_TYPE,
            _filename(content, kind, "opus"),
            spoken.content,
        )
    raise DocumentUnavailable(kind)


def render_document(
    *,
    plan: Plan,
    kind: str,
    kinds: frozenset[str],
    organisation: Organisation | None = None,
    meeting: Meeting | None = None,
    own_organisation_id: int | None = None,
    made_by: str = "",
) -> Document:
    """One document of the plan, in Swedish, for a reader who may see `kinds` of it (and,
    with `own_organisation_id`, that organisation's own interventions whatever the kinds).

    `organisation` is needed for a record copy (it must take part in the plan), `meeting`
    for an invitation letter (a meeting of this plan), `made_by` for the de-identified
    summary's first line (who made it). Raises `DocumentUnavailable` for
    inputs that make no document, and `tools.ToolMissing` (naming the Debian package) when
    braille or audio lack their tool. Nothing is audited here: the caller does that."""
    try:
        wanted = DocumentKind(kind)
    except ValueError as exc:
        raise DocumentUnavailable(kind) from exc
    if not kinds:
        raise DocumentUnavailable(kind)
    with translation.override("sv"):
        if wanted == DocumentKind.RECORD_COPY and (
            organisation is None or organisation.pk not in {o.pk for o in _participating(plan)}
        ):
            raise DocumentUnavailable(_("Kopian är för en organisation som deltar i planen."))
        if wanted == DocumentKind.DEIDENTIFIED:
            if not made_by:
                raise DocumentUnavailable(_("Den avidentifierade sammanfattningen saknar upphov."))
            summary = deidentified_summary(plan=plan, kinds=kinds, made_by=made_by)
            return Document(
                kind=wanted.value,
                title=str(wanted.label),
                media_type=summary.media_type,
                filename=summary.filename,
                content=summary.text.encode("utf-8"),
            )
        content = document_content(plan=plan, kinds=kinds, own_organisation_id=own_organisation_id)
        if wanted in (DocumentKind.PLAN, DocumentKind.RECORD_COPY):
            return _render_plan(
                content, organisation if wanted == DocumentKind.RECORD_COPY else None
            )
        if wanted == DocumentKind.INVITATION_LETTER:
            return _render_letter(content, plan, meeting)
        return _render_format(content, wanted)
