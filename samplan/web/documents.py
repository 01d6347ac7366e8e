"""A plan's documents on the pages: the links (the plan page and the person's own page show
the same list as the REST API's /plans/{id}/documents) and the downloads. Who may have what is
samplan/authz/access/documents.py; each download is audited there."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from samplan.authz import access
from samplan.authz.actor import request_actor
from samplan.core.validators import MAX_ID
from samplan.documents.render import Document, DocumentKind, DocumentOption
from samplan.documents.tools import ToolFailed, ToolMissing


@dataclass(frozen=True)
class DocumentLink:
    kind: str
    title: str
    media_type: str
    url: str
    available: bool
    missing_package: str | None


def document_links(options: list[DocumentOption], *, url_name: str, pk: int) -> list[DocumentLink]:
    links = []
    for option in options:
        url = reverse(url_name, args=[pk, option.kind])
        query = {
            k: v
            for k, v in (("organisation", option.organisation_id), ("meeting", option.meeting_id))
            if v is not None
        }
        links.append(
            DocumentLink(
                kind=option.kind,
                title=option.title,
                media_type=option.media_type,
                url=f"{url}?{urlencode(query)}" if query else url,
                available=option.available,
                missing_package=option.missing_package,
            )
        )
    return links


class DocumentQueryForm(forms.Form):
    """Which record copy or letter: ids from the list, bounded like every id."""

    organisation = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    meeting = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)


def _download(document: Document) -> HttpResponse:
    response = HttpResponse(document.content, content_type=document.media_type)
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _problem(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "web/document_problem.html", {"message": message}, status=status)


def _serve(request: HttpRequest, pk: int, kind: str, *, own: bool) -> HttpResponse:
    actor = request_actor(request)
    query = DocumentQueryForm(request.GET)
    if kind not in DocumentKind.values or not query.is_valid():
        return _problem(
            request,
            _("Det finns inget sådant dokument. Gå tillbaka till planen och välj igen."),
            400,
        )
    wanted = access.DocumentRequest(
        kind=kind,
        organisation_id=query.cleaned_data["organisation"],
        meeting_id=query.cleaned_data["meeting"],
    )
    try:
        if own:
            document = access.access_own_plan_document(actor=actor, plan_id=pk, request=wanted)
        else:
            document = access.access_plan_document(actor=actor, plan_id=pk, request=wanted)
    except ToolMissing as exc:
        return _problem(
            request,
            _(
                "Det här formatet kan inte göras på servern ännu: paketet %(package)s saknas. "
                "Be it-avdelningen installera det. De andra formaten fungerar."
            )
            % {"package": exc.package},
            503,
        )
    except ToolFailed:
        return _problem(request, _("Formatet gick inte att göra just nu. Försök igen senare."), 503)
    return _download(document)


@login_required
@require_GET
def plan_document(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """A document of a plan, for staff who may see the plan."""
    return _serve(request, pk, kind, own=False)


@login_required
@require_GET
def my_plan_document(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """A document of the person's own plan."""
    return _serve(request, pk, kind, own=True)
