"""The registry: organisations and their units, persons."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from samplan.authz import access
from samplan.directory import selectors, services

from . import out
from .common import ERRORS, actor_of, path_id
from .schemas import (
    OrganisationDetailOut,
    OrganisationOut,
    PersonCreateIn,
    PersonLookupIn,
    PersonLookupOut,
    PersonOut,
    PersonSearchIn,
    PersonSummaryOut,
)

router = Router(tags=["registry"])


@router.get("/organisations", response={200: list[OrganisationOut], **ERRORS})
def organisation_list(request: HttpRequest) -> Any:
    return [out.organisation(o) for o in selectors.organisation_list(actor=actor_of(request))]


@router.get("/organisations/{organisation_id}", response={200: OrganisationDetailOut, **ERRORS})
def organisation_get(request: HttpRequest, organisation_id: int = path_id()) -> Any:
    org = selectors.organisation_get(actor=actor_of(request), pk=organisation_id)
    return out.organisation(org, units=list(selectors.unit_list(organisation=org)))


@router.post("/persons/search", response={200: list[PersonSummaryOut], **ERRORS})
def person_search(request: HttpRequest, payload: PersonSearchIn) -> Any:
    """By identity number or name. The number goes in the body, never in a URL."""
    found = access.access_person_search(actor=actor_of(request), query=payload.query)
    return [out.person_summary(p) for p in found]


@router.post("/persons/lookup", response={200: PersonLookupOut, **ERRORS})
def person_lookup(request: HttpRequest, payload: PersonLookupIn) -> Any:
    """One person the unit has no relation with yet, by the complete number (or, without one,
    name and birth date), with a reason. Audited; the answer holds only what is needed to go
    on, and the person may then be named in `POST /plans` for a while."""
    found = services.person_lookup(
        actor=actor_of(request),
        query=services.LookupQuery(
            identifier=payload.identifier,
            given_name=payload.given_name,
            family_name=payload.family_name,
            birth_date=payload.birth_date,
        ),
        reason=str(payload.reason),
    )
    return {"found": found is not None, "person": out.person_brief(found) if found else None}


@router.get("/persons/{person_id}", response={200: PersonOut, **ERRORS})
def person_get(request: HttpRequest, person_id: int = path_id()) -> Any:
    actor = actor_of(request)
    return out.person(actor, access.access_person(actor=actor, person_id=person_id))


@router.post("/persons", response={201: PersonOut, **ERRORS})
def person_create(request: HttpRequest, payload: PersonCreateIn) -> Any:
    actor = actor_of(request)
    fields = payload.model_dump()
    person = services.person_create(
        actor=actor,
        identifier=fields.pop("identifier"),
        given_name=fields.pop("given_name"),
        family_name=fields.pop("family_name"),
        identifier_kind=str(fields.pop("identifier_kind")),
        **{k: str(v) if isinstance(v, str) else v for k, v in fields.items()},
    )
    return Status(201, out.person(actor, person))
