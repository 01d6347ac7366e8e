from __future__ import annotations

from functools import partial
from typing import Any

from django.http import HttpRequest

from samplan.notify import selectors as notify_selectors


def acting(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    context: dict[str, Any] = {"actor": actor}
    if request.user.is_authenticated and actor is not None:
        context["can_review_log"] = bool(actor.organisations_with_role("log_reviewer"))
        context["has_own_login_person"] = hasattr(request.user, "person")
    if request.user.is_authenticated:
        # Called by the template only where it shows the count: one query, on demand.
        context["unread_count"] = partial(notify_selectors.unread_count, user=request.user)
    return context
