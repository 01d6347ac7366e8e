"""One error shape for every refusal: {"detail": ..., "errors": {field: [messages]}}.

400 bad input (schema or service validation), 401 no valid token, 404 missing or not yours
(the same answer for both), 409 a step the plan's state does not allow, an edit conflict or
a plan that is not complete, 413 a body over the size limit. Refused attempts by a signed-in
actor are audited: authz already audits refusals of access; bad input and refused steps are
audited here, after the service's transaction has been rolled back."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError

from samplan.authz import access
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Denied
from samplan.plans.services import EditConflict, PlanIncomplete, StepNotAllowed

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger(__name__)

UNAUTHENTICATED = (
    "Ange en giltig API-nyckel: Authorization: Bearer <nyckel>. / "
    "A valid API token is required: Authorization: Bearer <token>."
)
NOT_FOUND = "Hittades inte. / Not found."
INVALID = "Uppgifterna är inte giltiga, se errors. / The input is not valid, see errors."
MALFORMED = "Innehållet är inte giltig JSON. / The request body is not valid JSON."
TOO_LARGE = "Innehållet är för stort. / The request body is too large."
SERVER_ERROR = "Ett internt fel inträffade. / An internal error occurred."

_SCHEMA_MESSAGES = {
    "extra_forbidden": "Okänt fält. / Unknown field.",
    "missing": "Fältet krävs. / This field is required.",
}


def _actor(request: HttpRequest) -> Actor | None:
    actor = getattr(request, "auth", None)
    return actor if isinstance(actor, Actor) else None


def _action(request: HttpRequest) -> str:
    """The refused operation, as method and route: "api.POST plans/<int:plan_id>/consents"."""
    match = getattr(request, "resolver_match", None)
    route = match.route if match is not None else request.path
    return f"api.{request.method} {route.removeprefix('api/v1/')}"


_PATH_OBJECTS = {
    "meeting_id": "meetings",
    "need_id": "needs",
    "goal_id": "goals",
    "intervention_id": "interventions",
    "follow_up_id": "follow_ups",
    "deviation_id": "deviations",
}


def _object(request: HttpRequest, actor: Actor) -> Any:
    """The plan the refused request was about, when the actor may see it, so that the audit
    row names the person; never loaded for anyone who could not see it anyway."""
    loaded = getattr(request, "api_object", None)
    if loaded is not None:
        return loaded
    match = getattr(request, "resolver_match", None)
    # Path values are unparsed here (the refusal may be about them): use only real ids.
    ids = {
        name: int(value)
        for name, value in (match.kwargs if match is not None else {}).items()
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19
    }
    plans = authz.visible_plans(actor)
    if "plan_id" in ids:
        return plans.filter(pk=ids["plan_id"]).first()
    for name, related in _PATH_OBJECTS.items():
        if name in ids:
            return plans.filter(**{related: ids[name]}).first()
    return None


def _audit_invalid(request: HttpRequest, fields: list[str]) -> None:
    actor = _actor(request)
    if actor is None:
        return
    access.audit_invalid(
        actor=actor, action=_action(request), obj=_object(request, actor), fields=fields
    )


def _field_of(loc: tuple[Any, ...]) -> str:
    """("body", "payload", "units", 0) -> "units.0"; the body itself is "body"."""
    parts = list(loc)
    source = parts.pop(0) if parts else "body"
    if source == "body" and parts and parts[0] == "payload":
        parts.pop(0)
    return ".".join(str(p) for p in parts) or str(source)


def schema_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for error in errors:
        field = _field_of(tuple(error.get("loc", ())))
        kind = str(error.get("type", ""))
        message = _SCHEMA_MESSAGES.get(
            kind, f"Ogiltigt värde. / Invalid value: {error.get('msg', kind)}."
        )
        result.setdefault(field, []).append(message)
    return result


def _respond(
    api: NinjaAPI, request: HttpRequest, status: int, detail: str, **extra: Any
) -> HttpResponse:
    body: dict[str, Any] = {"detail": detail, "errors": extra.pop("errors", {}), **extra}
    return api.create_response(request, body, status=status)


def install(api: NinjaAPI) -> None:
    """Register the handlers on `api`; ninja picks the most specific class in the MRO."""

    def unauthenticated(request: HttpRequest, exc: Any) -> HttpResponse:
        response = _respond(api, request, 401, UNAUTHENTICATED)
        response["WWW-Authenticate"] = 'Bearer realm="samplan"'
        return response

    def schema_invalid(request: HttpRequest, exc: Any) -> HttpResponse:
        errors = schema_errors(exc.errors)
        _audit_invalid(request, sorted(errors))
        return _respond(api, request, 400, INVALID, errors=errors)

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        if exc.status_code == 400:
            # Ninja's only 400 of its own: a body that does not parse as JSON.
            _audit_invalid(request, ["body"])
            return _respond(api, request, 400, MALFORMED, errors={"body": [MALFORMED]})
        return _respond(api, request, exc.status_code, str(exc))

    def invalid(request: HttpRequest, exc: Any) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = {field: list(messages) for field, messages in exc.message_dict.items()}
            _audit_invalid(request, sorted(errors))
            return _respond(api, request, 400, INVALID, errors=errors)
        _audit_invalid(request, ["__all__"])
        return _respond(api, request, 400, " ".join(exc.messages), errors={"__all__": exc.messages})

    def conflict(request: HttpRequest, exc: Any) -> HttpResponse:
        code = getattr(exc, "code", None) or "state"
        _audit_invalid(request, [str(code)])
        extra: dict[str, Any] = {}
        if isinstance(exc, PlanIncomplete):
            extra["missing"] = [{"key": m.key, "message": m.message} for m in exc.missing]
        return _respond(api, request, 409, " ".join(exc.messages), **extra)

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        # authz.require and the selectors audited the refusal; if a service's transaction
        # rolled that row back, it is written again here.
        if isinstance(exc, Denied):
            access.ensure_refusal_audited(exc)
        return _respond(api, request, 404, NOT_FOUND)

    def too_large(request: HttpRequest, exc: Any) -> HttpResponse:
        _audit_invalid(request, ["body"])
        return _respond(api, request, 413, TOO_LARGE, errors={"body": [TOO_LARGE]})

    def server_error(request: HttpRequest, exc: Any) -> HttpResponse:
        logger.exception("API error in %s", _action(request), exc_info=exc)
        return _respond(api, request, 500, SERVER_ERROR)

    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(SchemaValidationError, schema_invalid)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(DjangoValidationError, invalid)
    for refused_step in (StepNotAllowed, EditConflict, PlanIncomplete):
        api.add_exception_handler(refused_step, conflict)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(RequestDataTooBig, too_large)
    api.add_exception_handler(Exception, server_error)
