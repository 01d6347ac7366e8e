"""A plan's documents: the list of what the caller may have, and each document.

The same list as the plan page's "Dokument" section (samplan/authz/access/documents.py
decides it); every document given out is audited with its kind."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Path, Query, Router, Schema
from pydantic import Field

from samplan.authz import access
from samplan.documents.render import DocumentKind, DocumentOption
from samplan.documents.tools import ToolFailed, ToolMissing

from .common import ERRORS, actor_of
from .schemas import MAX_ID, ErrorOut

router = Router(tags=["documents"])


class DocumentOut(Schema):
    kind: DocumentKind
    title: str = Field(description="Swedish, as on the plan page")
    media_type: str
    url: str = Field(description="GET it with the same token")
    available: bool = Field(description="False when the server lacks the tool for the format")
    missing_package: str | None = Field(
        None, description="The Debian package that would make it available"
    )


class DocumentListOut(Schema):
    items: list[DocumentOut]


def _url(plan_id: int, option: DocumentOption) -> str:
    url = reverse("api:plan_document", kwargs={"plan_id": plan_id, "kind": option.kind})
    if option.organisation_id is not None:
        return f"{url}?organisation={option.organisation_id}"
    if option.meeting_id is not None:
        return f"{url}?meeting={option.meeting_id}"
    return url


@router.get("/plans/{plan_id}/documents", response={200: DocumentListOut, **ERRORS})
def plan_documents(request: HttpRequest, plan_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:  # type: ignore[type-arg]
    """The documents and formats the caller may have for the plan: the plan as PDF, the
    caller's organisation's record copy, the invitation letters of coming meetings, plain
    language, large print, braille and audio."""
    reached, options = access.access_plan_documents(actor=actor_of(request), plan_id=plan_id)
    return {
        "items": [
            {
                "kind": o.kind,
                "title": o.title,
                "media_type": o.media_type,
                "url": _url(reached.plan.pk, o),
                "available": o.available,
                "missing_package": o.missing_package,
            }
            for o in options
        ]
    }


@router.get(
    "/plans/{plan_id}/documents/{kind}",
    response={200: None, 503: ErrorOut, **ERRORS},
    url_name="plan_document",
    openapi_extra={
        "responses": {
            200: {
                "description": "The document (PDF, text or Ogg/Opus audio)",
                "content": {
                    "application/pdf": {},
                    "text/plain": {},
                    "audio/ogg": {},
                },
            }
        }
    },
)
def plan_document(
    request: HttpRequest,
    kind: DocumentKind,
    plan_id: int = Path(..., ge=1, le=MAX_ID),  # type: ignore[type-arg]
    organisation: int | None = Query(None, ge=1, le=MAX_ID),  # type: ignore[type-arg]
    meeting: int | None = Query(None, ge=1, le=MAX_ID),  # type: ignore[type-arg]
) -> Any:
    """One document. A record copy names its organisation (`organisation`), an invitation
    letter its meeting (`meeting`); the ids come from the list above."""
    wanted = access.DocumentRequest(kind=kind, organisation_id=organisation, meeting_id=meeting)
    try:
        document = access.access_plan_document(
            actor=actor_of(request), plan_id=plan_id, request=wanted
        )
    except ToolMissing as exc:
        return 503, {
            "detail": f"Formatet kan inte göras här: installera {exc.package}. / "
            f"The format cannot be made here: install {exc.package}."
        }
    except ToolFailed:
        return 503, {"detail": "Formatet gick inte att göra. / The format could not be made."}
    response = HttpResponse(document.content, content_type=document.media_type)
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    response["Cache-Control"] = "no-store"
    return response
