"""The FHIR endpoints. They parse, ask the policy-narrowed searches and the services, and
answer FHIR JSON; the rules live in authz, the selectors and the services."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from samplan.audit.actions import AuditAction
from samplan.authz import access
from samplan.authz import policy as authz
from samplan.authz.actor import Actor, actor_for_bearer
from samplan.authz.policy import Action, Denied
from samplan.consent.models import Consent
from samplan.directory.models import Membership, Organisation, Unit
from samplan.fhir import directory_resources, importer, mapping, params, search, vocabulary
from samplan.fhir.errors import (
    FHIR_JSON,
    FhirError,
    bad_parameter,
    not_found,
    outcome_response,
)
from samplan.plans import selectors as plan_selectors
from samplan.plans.models import Invitation, PlanVersion

IMPORT_MAX_BYTES = 1024 * 1024
ACCEPTED_CONTENT_TYPES = {"application/fhir+json", "application/json"}
RESOURCE_TYPES = (
    "Patient",
    "Organization",
    "PractitionerRole",
    "CareTeam",
    "CarePlan",
    "Goal",
    "Consent",
    "Appointment",
)

View = Callable[..., HttpResponse]


def fhir_response(body: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=FHIR_JSON)
    # Personal data: no browser or proxy keeps a copy.
    response["Cache-Control"] = "no-store, private"
    return response


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    if not accept:
        return True
    return any(kind in accept for kind in ("json", "*/*", "application/*"))


def fhir_endpoint(*, methods: tuple[str, ...], auth: bool = True) -> Callable[[View], View]:
    """Method check, content negotiation, bearer authentication, and OperationOutcome for
    every failure. A refusal (authz.Denied) looks exactly like a missing resource."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise FhirError(
                        405, f"{request.method} is not supported here", code="not-supported"
                    )
                if not _wants_json(request):
                    raise FhirError(406, "Only FHIR JSON is served", code="not-supported")
                if auth:
                    actor = actor_for_bearer(request)
                    if actor is None:
                        raise FhirError(401, "A valid bearer token is required", code="login")
                    kwargs["actor"] = actor
                return view(request, *args, **kwargs)
            except FhirError as exc:
                return outcome_response(exc)
            except Http404 as exc:
                if isinstance(exc, Denied):
                    access.ensure_refusal_audited(exc)
                return outcome_response(not_found())

        return wrapper

    return decorate


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir_base"))


def _entry(base: str, resource: Any, mode: str | None = "match") -> dict[str, Any]:
    entry: dict[str, Any] = {
        "fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
        "resource": resource,
    }
    if mode:
        entry["search"] = {"mode": mode}
    return entry


def _searchset(
    request: HttpRequest, resources: list[Any], links: list[dict[str, str]], **extra: Any
) -> dict[str, Any]:
    base = _base(request)
    data: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": vocabulary.instant(timezone.now())},
        "type": "searchset",
        "link": links,
        **extra,
    }
    if resources:
        data["entry"] = [_entry(base, r) for r in resources]
    return data


# Capability statement --------------------------------------------------------------------------


SEARCH_PARAM_TYPES = {
    "_id": ("token", "Logical id of the resource"),
    "_lastUpdated": ("date", "meta.lastUpdated; ge, gt, le, lt, eq"),
    "patient": ("reference", "The person the resource is about: Patient/{id}"),
    "status": ("token", "CarePlan.status, comma separated"),
    "date": ("date", "CarePlan.period; ge, gt, le, lt, eq"),
    "category": (
        "token",
        (
            "Plan type: a code (SIP, HP, RP, IP), or system|code in Samplan's plan-type system"
            " or Inera's TypeOfCarePlanCS (SIP, HP, RP)"
        ),
    ),
    "identifier": ("token", "system|value"),
    "name": ("string", "Name, starting with"),
    "partof": ("reference", "The organisation a unit is part of"),
    "organization": ("reference", "The unit (or organisation) of the role"),
    "_count": ("number", f"Page size, 1-{search.MAX_COUNT}"),
    "_cursor": ("string", "Keyset cursor from a Bundle's next link"),
    "_sort": ("string", "Only _id"),
}


# R4 rest-hook subscriptions (samplan/fhir/subscriptions.py, docs/subscriptions.md).
_SUBSCRIPTION_CAPABILITY: dict[str, Any] = {
    "type": "Subscription",
    "interaction": [
        {"code": "create"},
        {"code": "read"},
        {"code": "delete"},
        {"code": "search-type"},
    ],
    "versioning": "no-version",
    "readHistory": False,
    "updateCreate": False,
    "documentation": (
        "R4 rest-hook subscriptions to plan changes: criteria CarePlan, "
        "CarePlan?patient=Patient/{id}, CarePlan?_lastUpdated=...; notifications are "
        "empty or id-only (docs/subscriptions.md). Only the owner reads or deletes one."
    ),
    "operation": [
        {
            "name": "status",
            "definition": "http://hl7.org/fhir/uv/subscriptions-backport/"
            "OperationDefinition/backport-subscription-status",
            "documentation": "Subscription/{id}/$status: status and delivery counts (Parameters)",
        }
    ],
}


def capability_statement(request: HttpRequest) -> dict[str, Any]:
    resources = []
    for rtype in RESOURCE_TYPES:
        params = sorted(search.SEARCH_PARAMS[rtype] | {"_count", "_cursor", "_sort"})
        resource: dict[str, Any] = {
            "type": rtype,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "versioning": "no-version",
            "readHistory": False,
            "updateCreate": False,
            "searchParam": [
                {
                    "name": name,
                    "type": SEARCH_PARAM_TYPES[name][0],
                    "documentation": SEARCH_PARAM_TYPES[name][1],
                }
                for name in params
            ],
        }
        if rtype in vocabulary.INERA_PROFILES:
            resource["supportedProfile"] = [vocabulary.INERA_PROFILES[rtype]]
        if rtype == "CarePlan":
            resource["documentation"] = (
                "CarePlan/{id} is the plan now; CarePlan/{id}-v{n} is established version n "
                "(read only; reached through replaces). Search returns plans, not versions."
            )
            resource["operation"] = [
                {
                    "name": "everything",
                    "definition": "urn:samplan:OperationDefinition:CarePlan-everything",
                    "documentation": "The plan with its Patient, Goals, CareTeam, "
                    "Organizations, Consents and Appointments",
                }
            ]
        if rtype == "Organization":
            resource["documentation"] = (
                "Organization/org-{id} is an organisation, Organization/unit-{id} one of its "
                "units (partOf the organisation)"
            )
        resources.append(resource)
    resources.append(_SUBSCRIPTION_CAPABILITY)
    return {
        "resourceType": "CapabilityStatement",
        "id": "samplan",
        "url": request.build_absolute_uri(reverse("fhir_metadata")),
        "name": "SamplanFhirServer",
        "title": "Samplan FHIR R4 server",
        "status": "active",
        "date": timezone.localdate().isoformat(),
        "publisher": "Samplan",
        "kind": "instance",
        "software": {"name": "Samplan"},
        "implementation": {
            "description": "Samplan: samordnad individuell plan",
            "url": _base(request),
        },
        "fhirVersion": "4.0.1",
        "format": ["json", FHIR_JSON],
        # CarePlan and Patient conform to Inera's profiles (docs/fhir.md).
        "implementationGuide": [vocabulary.INERA_IMPLEMENTATION_GUIDE],
        "rest": [
            {
                "mode": "server",
                "documentation": "Every interaction but metadata needs "
                "'Authorization: Bearer <token>' (samplan token create); X-Samplan-Unit "
                "chooses the acting unit.",
                "security": {
                    "cors": False,
                    "description": "Bearer API tokens; the same access rules and audit as "
                    "the pages.",
                },
                "resource": resources,
                "interaction": [
                    {
                        "code": "transaction",
                        "documentation": (
                            "Import Patient, CarePlan, Consent and Goals as a draft plan"
                        ),
                    }
                ],
            }
        ],
    }


@fhir_endpoint(methods=("GET",), auth=False)
def metadata(request: HttpRequest) -> HttpResponse:
    return fhir_response(mapping.to_json(capability_statement(request)))


# Read and search --------------------------------------------------------------------------------


def _resource_type(resource_type: str) -> str:
    if resource_type not in RESOURCE_TYPES:
        raise FhirError(
            404, f"Resource type {resource_type} is not supported", code="not-supported"
        )
    return resource_type


@fhir_endpoint(methods=("GET",))
def search_type(request: HttpRequest, resource_type: str, *, actor: Actor) -> HttpResponse:
    page = search.search(actor, _resource_type(resource_type), request.GET)
    links = [{"relation": "self", "url": request.build_absolute_uri()}]
    if page.next_cursor is not None:
        query = request.GET.copy()
        query["_cursor"] = page.next_cursor
        links.append(
            {
                "relation": "next",
                "url": request.build_absolute_uri(f"{request.path}?{query.urlencode()}"),
            }
        )
    return fhir_response(mapping.to_json(_searchset(request, page.resources, links)))


_VERSION_ID = re.compile(r"(\d{1,18})-v(\d{1,9})", flags=re.ASCII)


def _careplan_version(actor: Actor, plan_pk: int, number: int) -> Any:
    plan = search.careplan_base(actor, params.Params(values={})).filter(pk=plan_pk).first()
    version = PlanVersion.objects.filter(plan_id=plan_pk, number=number).first() if plan else None
    if plan is None or version is None:
        raise access.refuse(actor, Action.PLAN_VIEW, audit_action=AuditAction.CAREPLAN_FHIR_READ)
    access.audit_rows_read(
        actor=actor,
        action=AuditAction.CAREPLAN_FHIR_READ,
        rows=[(plan.person, plan, f"{plan.pk}-v{number}")],
    )
    following = (
        PlanVersion.objects.filter(plan_id=plan_pk, number=number + 1)
        .values_list("established_at", flat=True)
        .first()
    )
    content = plan_selectors.version_content(actor=actor, plan=plan, content=version.content)
    return mapping.care_plan_version(plan, version, next_established=following, content=content)


@fhir_endpoint(methods=("GET",))
def read(request: HttpRequest, resource_type: str, rid: str, *, actor: Actor) -> HttpResponse:
    rtype = _resource_type(resource_type)
    if rtype == "Organization":
        resource = search.organization_read(actor, rid)
    elif rtype == "CarePlan" and (match := _VERSION_ID.fullmatch(rid)):
        resource = _careplan_version(actor, int(match.group(1)), int(match.group(2)))
    else:
        resource = search.KINDS[rtype].read(actor, rid)
    return fhir_response(mapping.to_json(resource))


# $everything ------------------------------------------------------------------------------------


@fhir_endpoint(methods=("GET",))
def everything(request: HttpRequest, rid: str, *, actor: Actor) -> HttpResponse:
    if request.GET:
        name = next(iter(request.GET))
        raise bad_parameter(name, "$everything takes no parameters here")
    pk = params.row_id(rid)
    if pk is None:
        raise authz.refuse(actor, Action.PLAN_VIEW)
    # The plan selector audits the read with its ground and refuses like a missing plan.
    plan = access.access_plan(actor=actor, plan_id=pk, purpose="fhir_everything").plan
    plan = search.careplan_base(actor, params.Params(values={})).get(pk=plan.pk)
    rows = search.careplan_rows([plan])
    plan = rows[0]
    versions = list(plan.versions.all())
    number_list = [v.number for v in versions]
    parts = search.shown_parts(actor, [plan])[plan.pk]  # what the consent opens to the reader
    resources: list[Any] = [
        mapping.care_plan(
            plan,
            goals=parts.goals,
            interventions=parts.interventions,
            needs=parts.needs,
            version_numbers=number_list,
            plan_content=parts.plan_content,
            allowed_steps=search.allowed_step_codes(actor, plan),
        )
    ]
    full_versions = list(PlanVersion.objects.filter(plan=plan).order_by("number"))
    resources += [
        mapping.care_plan_version(
            plan,
            v,
            next_established=nxt,
            content=plan_selectors.version_content(
                actor=actor, plan=plan, content=v.content, kinds=parts.kinds
            ),
        )
        for v, nxt in mapping.version_statuses(plan, full_versions)
    ]
    resources.append(
        directory_resources.patient(
            plan.person, show_contact=authz.can(actor, Action.PERSON_VIEW_CONTACT, plan.person)
        )
    )
    resources += [mapping.goal(g, plan=plan, has_versions=bool(versions)) for g in parts.goals]
    team_plan = search.careteam_queryset(actor, params.Params(values={})).get(pk=plan.pk)
    resources += search.render_careteams(actor, [team_plan], AuditAction.CARETEAM_FHIR_EVERYTHING)
    consents = list(
        Consent.objects.filter(plan=plan)
        .select_related("given_by_representative")
        .prefetch_related("organisations")
        .order_by("pk")
    )
    resources += [
        mapping.consent(
            c,
            person_id=plan.person_id,
            organisations=sorted(c.organisations.all(), key=lambda o: o.pk),
        )
        for c in consents
    ]
    meetings = list(
        plan.meetings.prefetch_related(
            Prefetch(
                "invitations", queryset=Invitation.objects.select_related("unit__organisation")
            )
        ).order_by("pk")
    )
    resources += [
        mapping.appointment(m, person_id=plan.person_id, invitations=list(m.invitations.all()))
        for m in meetings
    ]
    # Every organisation and unit the resources above point to.
    unit_ids = {p.unit_id for p in team_plan.participants.all()}
    unit_ids |= {i.responsible_unit_id for i in parts.interventions if i.responsible_unit_id}
    unit_ids |= {c.recorded_unit_id for c in consents}
    unit_ids |= {plan.initiating_unit_id}
    if plan.coordinator_unit_id:
        unit_ids.add(plan.coordinator_unit_id)
    units = list(Unit.objects.filter(pk__in=unit_ids).select_related("organisation"))
    org_ids = {u.organisation_id for u in units}
    org_ids |= {i.responsible_organisation_id for i in parts.interventions}
    org_ids |= {o.pk for c in consents for o in c.organisations.all()}
    if plan.lead_organisation_id:
        org_ids.add(plan.lead_organisation_id)
    resources += [
        directory_resources.organization(o)
        for o in Organisation.objects.filter(pk__in=org_ids).order_by("pk")
    ]
    resources += [
        directory_resources.unit_organization(u) for u in sorted(units, key=lambda u: u.pk)
    ]
    if plan.coordinator_id and plan.coordinator_unit_id:
        coordinator = (
            Membership.objects.filter(user_id=plan.coordinator_id, unit_id=plan.coordinator_unit_id)
            .select_related("user", "unit")
            .first()
        )
        if coordinator is not None:
            resources.append(directory_resources.practitioner_role(coordinator))
    links = [{"relation": "self", "url": request.build_absolute_uri()}]
    bundle = _searchset(request, resources, links, total=len(resources))
    return fhir_response(mapping.to_json(bundle))


# Transaction (import) -----------------------------------------------------------------------------


@fhir_endpoint(methods=("POST",))
def transaction(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    content_type = request.content_type or ""
    if content_type not in ACCEPTED_CONTENT_TYPES:
        raise FhirError(415, "Send application/fhir+json", code="not-supported")
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not (length.isascii() and length.isdigit()) or int(length) > IMPORT_MAX_BYTES:
        access.audit_invalid(actor=actor, action=AuditAction.PLAN_FHIR_IMPORT, fields=["body"])
        raise FhirError(
            413, f"The Bundle is larger than {IMPORT_MAX_BYTES} bytes", code="too-costly"
        )
    result = importer.import_bundle(actor=actor, body=request.read(IMPORT_MAX_BYTES))
    # One response entry per request entry, in the same order.
    entries = [
        {"response": {"status": status, "location": location}}
        for location, status in result.locations.values()
    ]
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "transaction-response",
        "timestamp": vocabulary.instant(timezone.now()),
        "entry": entries,
    }
    return fhir_response(mapping.to_json(bundle))


@fhir_endpoint(methods=("GET", "POST"), auth=False)
def base(request: HttpRequest) -> HttpResponse:
    """POST: a transaction. GET on the base itself is not a FHIR interaction."""
    if request.method == "POST":
        return transaction(request)
    if actor_for_bearer(request) is None:
        raise FhirError(401, "A valid bearer token is required", code="login")
    raise FhirError(
        400, "Use /metadata, a resource type or POST a transaction", code="not-supported"
    )
