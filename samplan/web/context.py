from __future__ import annotations

import secrets
from functools import partial
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from samplan.authz import policy as authz
from samplan.notify import selectors as notify_selectors


def acting(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    # A one-time token for the page's forms: a form sent twice is recognised (plans.views).
    context: dict[str, Any] = {"actor": actor, "once_token": secrets.token_urlsafe(12)}
    if request.user.is_authenticated and actor is not None:
        context["can_review_log"] = authz.is_log_reviewer(actor)
        context["has_own_login_person"] = hasattr(request.user, "person")
    if request.user.is_authenticated:
        # The idle timeout, for the warning that offers to extend the session before it ends.
        context["session_idle_seconds"] = settings.SESSION_COOKIE_AGE
        # Called by the template only where it shows the count: one query, on demand.
        context["unread_count"] = partial(notify_selectors.unread_count, user=request.user)
    return context
