"""The middleware of signed-in browser sessions, which a bearer-token request to the APIs
passes by (issue 12: on the audited FHIR and REST reads it cost a tenth of the request).

A request to the FHIR or REST API with `Authorization: Bearer <token>` acts as the token's
user through the unit it names (`authz.actor.actor_for_bearer`), never as a browser session:
sessions, CSRF, the session user, messages, htmx, the session's lifetime and idle timeout have
nothing to do for it. Each class here is the middleware of the same name, unchanged for every
other request (a page, the API's documentation, a call without a token); a subclass, so that
what looks for the original finds it. What every response needs stays outside: the security
headers, the request id, the language, CSP, X-Frame-Options, the refusals' audit, axes, and
`Cache-Control: no-store` (the FHIR and REST answers set it themselves).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.middleware.csrf import CsrfViewMiddleware
from django_htmx.middleware import HtmxMiddleware

from samplan.accounts.session_activity import SessionActivityMiddleware
from samplan.core import middleware

# The paths of the token-authenticated interfaces.
BEARER_PREFIXES = ("/fhir/", "/api/")


def is_bearer_request(request: HttpRequest) -> bool:
    """A request to the FHIR or REST API that carries a bearer token."""
    return (
        request.path_info.startswith(BEARER_PREFIXES)
        and request.META.get("HTTP_AUTHORIZATION", "")[:7].lower() == "bearer "
    )


class _BrowserOnly:
    """Runs the middleware it is mixed into for every request but a bearer-token one."""

    get_response: Any
    # Served by WSGI; Django adapts an async caller.
    async_capable = False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_bearer_request(request):
            response: HttpResponse = self.get_response(request)
            return response
        called: HttpResponse = super().__call__(request)  # type: ignore[misc]
        return called


class Sessions(_BrowserOnly, SessionMiddleware):
    pass


class Csrf(_BrowserOnly, CsrfViewMiddleware):
    def process_view(
        self, request: HttpRequest, callback: Any, callback_args: Any, callback_kwargs: Any
    ) -> HttpResponseForbidden | None:
        if is_bearer_request(request):
            return None
        return super().process_view(request, callback, callback_args, callback_kwargs)


class Authentication(_BrowserOnly, AuthenticationMiddleware):
    pass


class Messages(_BrowserOnly, MessageMiddleware):
    pass


class Htmx(_BrowserOnly, HtmxMiddleware):
    pass


class SessionLifetime(_BrowserOnly, middleware.SessionLifetimeMiddleware):
    pass


class SessionActivity(_BrowserOnly, SessionActivityMiddleware):
    pass


class ActingUnit(_BrowserOnly, middleware.ActingUnitMiddleware):
    """A bearer-token request gets its actor from the token (api/auth.py, fhir/views.py)."""


class NoStore(_BrowserOnly, middleware.NoStoreMiddleware):
    pass
