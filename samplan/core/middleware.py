"""Request-wide middleware: request ids, the acting unit, and no caching of personal data."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from samplan.accounts.services import LOGIN_AT_SESSION_KEY
from samplan.authz.actor import actor_for_request
from samplan.core.logging import request_id_var

# The whole header, to its very end: "$" would also match before a trailing newline.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}", flags=re.ASCII)


class RequestIdMiddleware:
    """Gives each request an id, taken from X-Request-ID when it is well formed: 8 to 64 ASCII
    letters, digits, dots, underscores and hyphens, nothing else. Anything else (a line break
    that would forge a log line, a name, a long value) is replaced by a fresh id; the id ends
    up in every audit row and log line of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class SessionLifetimeMiddleware:
    """Ends a session that has lived longer than the absolute lifetime, however active."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            login_at = request.session.setdefault(LOGIN_AT_SESSION_KEY, now)
            if now - float(login_at) > settings.SESSION_MAX_AGE_SECONDS:
                logout(request)
                messages.info(request, _("Du har varit inloggad länge. Logga in igen."))
                return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
        return self.get_response(request)


class ActingUnitMiddleware:
    """Attaches `request.actor`: the user acting through one of his or her units."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = actor_for_request(request)  # type: ignore[attr-defined]
        return self.get_response(request)


class RefusalAuditMiddleware:
    """Makes sure a refusal raised inside a service's transaction stays in the audit log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        from samplan.authz.access import ensure_refusal_audited
        from samplan.authz.policy import Denied

        if isinstance(exception, Denied):
            ensure_refusal_audited(exception)


class NoStoreMiddleware:
    """Pages for signed-in users may hold personal data: browsers and proxies must not keep them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated and not request.path.startswith("/static/"):
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response
