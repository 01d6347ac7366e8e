from __future__ import annotations

import secrets
from functools import cache, partial
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.notify import selectors as notify_selectors


def _sees_statistics(actor: Actor) -> bool:
    # The statistics page answers exactly those the policy names an organisation for.
    return authz.statistics_organisation(actor) is not None


def _sees_agreements(actor: Actor) -> bool:
    # The register lists the agreements the policy lets the actor see: linked when there is one.
    return authz.visible_agreements(actor).exists()


def acting(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    # A one-time token for the page's forms: a form sent twice is recognised (plans.views).
    context: dict[str, Any] = {"actor": actor, "once_token": secrets.token_urlsafe(12)}
    if request.user.is_authenticated and actor is not None:
        context["can_review_log"] = authz.is_log_reviewer(actor)
        context["has_own_login_person"] = hasattr(request.user, "person")
        # The menu's links to the figures and the register, asked of the policy only where the
        # template shows the menu (a callable: a page without the header costs no query). The
        # actor keeps its roles, so the manager role is looked up once for both.
        context["sees_statistics"] = cache(partial(_sees_statistics, actor))
        context["sees_agreements"] = cache(partial(_sees_agreements, actor))
    if request.user.is_authenticated:
        # The idle timeout, for the warning that offers to extend the session before it ends.
        context["session_idle_seconds"] = settings.SESSION_COOKIE_AGE
        # Called by the template only where it shows the count: one query, on demand, kept for
        # the second time the header asks (whether to show the badge, then the number in it).
        context["unread_count"] = cache(partial(notify_selectors.unread_count, user=request.user))
    return context
