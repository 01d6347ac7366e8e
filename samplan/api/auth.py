"""Bearer tokens (samplan token create): the request acts as the token's user, through the
unit named in X-Samplan-Unit or the user's first unit."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from samplan.authz.actor import Actor, actor_for_bearer


class BearerActor(HttpBearer):
    """Sets `request.actor` (and ninja's `request.auth`) to the token's actor. Anything else
    (no header, another scheme, an unknown, expired or revoked token) answers 401."""

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        actor = actor_for_bearer(request)
        if actor is None:
            return None
        request.actor = actor  # type: ignore[attr-defined]
        return actor
