"""FHIR R4 Subscription (rest-hook) endpoints: POST and GET /Subscription, GET and DELETE
/Subscription/{id}, GET /Subscription/{id}/$status. They parse, call the subscriptions'
services and selectors, and answer FHIR JSON; who may subscribe and what a subscriber is told
of live in authz.policy ("Subscriptions") and samplan/subscriptions."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import path, re_path, reverse
from django.utils import timezone
from fhir.resources.R4B.subscription import Subscription as FhirSubscription
from pydantic import ValidationError as PydanticValidationError

from samplan.authz import access
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action, Denied
from samplan.fhir import params, vocabulary
from samplan.fhir.errors import FhirError, bad_parameter
from samplan.fhir.views import ACCEPTED_CONTENT_TYPES, fhir_endpoint, fhir_response
from samplan.subscriptions import services
from samplan.subscriptions.models import Subscription, SubscriptionStatus
from samplan.subscriptions.selectors import subscription_status_counts

MAX_BODY = 64 * 1024
MAX_CRITERIA = 500  # Subscription.criteria's column
CRITERIA_PARAMS = {"patient", "_lastUpdated"}
DEFAULT_REASON = "Samplan: notify when a care plan changes"
LIST_MAX = 100


# Parsing --------------------------------------------------------------------------------------


def _criteria_error(message: str) -> FhirError:
    return FhirError(400, message, code="invalid", expression=["Subscription.criteria"])


def parse_criteria(criteria: str) -> services.Criteria:
    """`CarePlan`, `CarePlan?patient=Patient/{id}`, `CarePlan?_lastUpdated=ge2026-01-01`
    (a prefix eq, ge, gt, le, lt; may be given twice for a range), or both."""
    if len(criteria) > MAX_CRITERIA:
        raise _criteria_error(f"At most {MAX_CRITERIA} characters")
    resource, _sep, query = criteria.partition("?")
    if resource != "CarePlan":
        raise _criteria_error("Only CarePlan can be subscribed to: criteria CarePlan[?...]")
    if _sep and not query:
        raise _criteria_error("Empty search after '?'")
    found = QueryDict(query)
    for name, values in found.lists():
        if name not in CRITERIA_PARAMS:
            raise _criteria_error(f"Unknown criteria parameter {name!r}: use patient, _lastUpdated")
        if any(v == "" for v in values):
            raise _criteria_error(f"{name}: empty value")
    parsed = params.Params(values=dict(found.lists()))
    try:
        patient = params.patient_id(parsed)
        updated_from: datetime | None = None
        updated_before: datetime | None = None
        for raw in parsed.many("_lastUpdated"):
            comparison = params.parse_date_param("_lastUpdated", raw)
            start, end = comparison.start, comparison.end
            if comparison.prefix in {"eq", "ge", "gt"}:
                low = end if comparison.prefix == "gt" else start
                updated_from = max(updated_from, low) if updated_from else low
            if comparison.prefix in {"eq", "le", "lt"}:
                high = start if comparison.prefix == "lt" else end
                updated_before = min(updated_before, high) if updated_before else high
    except FhirError as exc:
        raise _criteria_error(f"criteria: {exc.diagnostics}") from None
    return services.Criteria(patient, updated_from, updated_before)


def _body(request: HttpRequest) -> dict[str, Any]:
    if (request.content_type or "") not in ACCEPTED_CONTENT_TYPES:
        raise FhirError(415, "Send application/fhir+json", code="not-supported")
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not (length.isascii() and length.isdigit()) or int(length) > MAX_BODY:
        raise FhirError(413, f"The Subscription is larger than {MAX_BODY} bytes", code="too-costly")
    try:
        data = json.loads(request.read(MAX_BODY))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FhirError(400, "Malformed JSON", code="structure") from None
    if not isinstance(data, dict) or data.get("resourceType") != "Subscription":
        raise FhirError(
            400, "Expected a Subscription resource", code="invalid", expression=["resourceType"]
        )
    data.setdefault("status", "requested")
    data.setdefault("reason", DEFAULT_REASON)
    try:
        FhirSubscription.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise FhirError(
            400,
            f"Not a valid FHIR R4 Subscription: {where}: {first['msg']}",
            code="structure",
            expression=[f"Subscription.{where}"] if where else [],
        ) from None
    return data


def _channel(data: dict[str, Any]) -> tuple[str, str, list[str]]:
    channel = data.get("channel") or {}
    if channel.get("type") != "rest-hook":
        raise FhirError(
            400,
            "Only channel.type rest-hook is supported",
            code="not-supported",
            expression=["Subscription.channel.type"],
        )
    endpoint = channel.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise FhirError(
            400,
            "channel.endpoint is required for a rest-hook",
            code="required",
            expression=["Subscription.channel.endpoint"],
        )
    payload_ext = json.dumps(channel.get("_payload") or {})
    if "full-resource" in payload_ext:
        raise FhirError(
            400,
            "Only id-only or empty notifications are sent: no full resources",
            code="not-supported",
            expression=["Subscription.channel.payload"],
        )
    return endpoint, channel.get("payload") or "", list(channel.get("header") or [])


def _from_validation(exc: ValidationError) -> FhirError:
    name, messages = next(iter(exc.message_dict.items()))
    return FhirError(400, messages[0], code="invalid", expression=[name])


# Rendering ------------------------------------------------------------------------------------


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir_base"))


def _masked(header: str) -> str:
    # A header often carries the endpoint's own credentials: never shown again.
    return f"{header.split(':', 1)[0]}: ***"


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def resource(subscription: Subscription) -> dict[str, Any]:
    channel: dict[str, Any] = {"type": "rest-hook", "endpoint": subscription.endpoint}
    if subscription.payload:
        channel["payload"] = subscription.payload
    if subscription.headers:
        channel["header"] = [_masked(h) for h in subscription.headers]
    data: dict[str, Any] = {
        "resourceType": "Subscription",
        "id": str(subscription.pk),
        "meta": {"lastUpdated": vocabulary.instant(subscription.created_at)},
        "status": subscription.status,
        "reason": subscription.reason or DEFAULT_REASON,
        "criteria": subscription.criteria,
        "channel": channel,
    }
    if subscription.error:
        data["error"] = subscription.error
    return data


def _subscription(actor: Actor, rid: str) -> Subscription:
    pk = params.row_id(rid)
    found: Subscription | None = None
    if pk is not None:
        found = authz.visible_subscriptions(actor).filter(pk=pk).first()
    if found is None:
        raise access.refuse(actor, Action.SUBSCRIPTION_MANAGE)
    return found


# Endpoints ------------------------------------------------------------------------------------


@fhir_endpoint(methods=("GET", "POST"))
def collection(request: HttpRequest, *, actor: Actor) -> HttpResponse:
    if request.method == "POST":
        return _create(request, actor)
    if request.GET:
        raise bad_parameter(next(iter(request.GET)), "no search parameters on Subscription")
    rows = list(authz.visible_subscriptions(actor).order_by("pk")[:LIST_MAX])
    base = _base(request)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": vocabulary.instant(timezone.now())},
        "type": "searchset",
        "total": len(rows),
        "link": [{"relation": "self", "url": request.build_absolute_uri()}],
    }
    if rows:
        bundle["entry"] = [
            {
                "fullUrl": f"{base}Subscription/{s.pk}",
                "resource": resource(s),
                "search": {"mode": "match"},
            }
            for s in rows
        ]
    return fhir_response(_json(bundle))


def _create(request: HttpRequest, actor: Actor) -> HttpResponse:
    data = _body(request)
    if data.get("status") not in {"requested", "active"}:
        raise FhirError(
            400,
            "A new Subscription has status requested",
            code="invalid",
            expression=["Subscription.status"],
        )
    if "end" in data:
        raise FhirError(
            400,
            "Subscription.end is not supported: DELETE the subscription instead",
            code="not-supported",
            expression=["Subscription.end"],
        )
    criteria = str(data.get("criteria") or "")
    parsed = parse_criteria(criteria)
    endpoint, payload, headers = _channel(data)
    try:
        subscription = services.subscription_create(
            actor=actor,
            criteria=criteria,
            parsed=parsed,
            endpoint=endpoint,
            base_url=_base(request),
            payload=payload,
            headers=headers,
            reason=str(data.get("reason") or ""),
        )
    except Denied as exc:
        access.ensure_refusal_audited(exc)
        raise FhirError(
            403, "This account may not subscribe: it works in no unit", code="forbidden"
        ) from None
    except ValidationError as exc:
        raise _from_validation(exc) from None
    response = fhir_response(_json(resource(subscription)), status=201)
    response["Location"] = f"{_base(request)}Subscription/{subscription.pk}"
    return response


@fhir_endpoint(methods=("GET", "DELETE"))
def instance(request: HttpRequest, rid: str, *, actor: Actor) -> HttpResponse:
    subscription = _subscription(actor, rid)
    if request.method == "DELETE":
        if subscription.status != SubscriptionStatus.OFF:
            services.subscription_delete(actor=actor, subscription=subscription)
        return HttpResponse(status=204)
    if subscription.status == SubscriptionStatus.OFF:
        raise FhirError(410, "The subscription was deleted", code="deleted")
    return fhir_response(_json(resource(subscription)))


@fhir_endpoint(methods=("GET",))
def status(request: HttpRequest, rid: str, *, actor: Actor) -> HttpResponse:
    """The subscription's status and its delivery log in figures (R4 Backport's
    SubscriptionStatus as Parameters, type query-status, with Samplan's counts)."""
    subscription = _subscription(actor, rid)
    counts = subscription_status_counts(subscription)
    parameters: list[dict[str, Any]] = [
        {
            "name": "subscription",
            "valueReference": {"reference": f"Subscription/{subscription.pk}"},
        },
        {"name": "status", "valueCode": subscription.status},
        {"name": "type", "valueCode": "query-status"},
        {"name": "events-since-subscription-start", "valueString": str(counts.events)},
        {"name": "delivered", "valueUnsignedInt": counts.delivered},
        {"name": "pending", "valueUnsignedInt": counts.pending},
        {"name": "retrying", "valueUnsignedInt": counts.retrying},
        {"name": "withheld", "valueUnsignedInt": counts.withheld},
        {"name": "abandoned", "valueUnsignedInt": counts.abandoned},
        {"name": "error-count", "valueUnsignedInt": subscription.error_count},
    ]
    if subscription.last_delivered_at:
        parameters.append(
            {
                "name": "last-delivered",
                "valueInstant": vocabulary.instant(subscription.last_delivered_at),
            }
        )
    if counts.last_attempt_at:
        parameters.append(
            {"name": "last-attempt", "valueInstant": vocabulary.instant(counts.last_attempt_at)}
        )
    if subscription.error:
        parameters.append({"name": "error", "valueString": subscription.error})
    result = {"resourceType": "Parameters", "id": str(uuid.uuid4()), "parameter": parameters}
    return fhir_response(_json(result))


# Before the generic /{type} and /{type}/{id} patterns (samplan/fhir/urls.py).
urlpatterns = [
    path("Subscription", collection, name="fhir_subscriptions"),
    re_path(
        r"^Subscription/(?P<rid>[A-Za-z0-9\-.]{1,64})/\$status$",
        status,
        name="fhir_subscription_status",
    ),
    re_path(r"^Subscription/(?P<rid>[A-Za-z0-9\-.]{1,64})$", instance, name="fhir_subscription"),
]
