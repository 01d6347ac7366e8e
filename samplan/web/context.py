from __future__ import annotations

import secrets
import time
from functools import cache, partial
from typing import Any

from django.db.models import CharField, Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from samplan.accounts.models import User
from samplan.accounts.session_activity import idle_seconds_left
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.directory.models import OrganisationRole, OrganisationRoleKind, Person
from samplan.notify import selectors as notify_selectors
from samplan.notify.models import InboxMessage
from samplan.web.compiled import CompiledQuery

_UNREAD = "unread"
_PERSON = "person"


def _sees_statistics(actor: Actor) -> bool:
    # The statistics page answers exactly those the policy names an organisation for.
    return authz.statistics_organisation(actor) is not None


def _sees_agreements(actor: Actor) -> bool:
    # The register lists the agreements the policy lets the actor see: linked when there is one.
    return authz.visible_agreements(actor).exists()


def _frame_query(user_id: int) -> QuerySet[Any]:
    text, number = CharField(), IntegerField()
    # A compound statement: no member may be ordered (the models' default orderings).
    roles = (
        OrganisationRole.objects.filter(user_id=user_id, organisation__is_active=True)
        .order_by()
        .values_list("kind", "organisation_id")
    )
    own_person = (
        Person.objects.filter(user_id=user_id)
        .annotate(row=Value(_PERSON, output_field=text), value=Value(0, output_field=number))
        .order_by()
        .values_list("row", "value")
    )
    unread = Subquery(
        InboxMessage.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    inbox = (
        User.objects.filter(pk=user_id)
        .annotate(
            row=Value(_UNREAD, output_field=text),
            value=Coalesce(unread, Value(0), output_field=number),
        )
        .order_by()
        .values_list("row", "value")
    )
    return roles.union(own_person, inbox, all=True)


# Asked on every signed-in page: compiled once (text and integers: no conversion of the rows).
_FRAME = CompiledQuery("frame", _frame_query, "user_id")


def _frame(actor: Actor, user: User) -> tuple[bool, int]:
    """What the header of every signed-in page asks, in one query: the user's organisation
    roles of every kind (kept by the actor, `Actor.organisations_with_role`, for the menu's
    links and the policy's later questions in the request), whether the user has a person of
    his or her own, and the unread count of the inbox (`notify.selectors.unread_count`)."""
    has_person, unread_count = False, 0
    found: dict[str, set[int]] = {kind: set() for kind in OrganisationRoleKind.values}
    for row, value in _FRAME.rows(user_id=user.pk):
        if row == _PERSON:
            has_person = True
        elif row == _UNREAD:
            unread_count = value
        else:
            found[row].add(value)
    # The actor's own per-request store of roles (what `organisations_with_role` fills one
    # kind at a time), filled for every kind at once.
    actor._role_cache.update(found)
    return has_person, unread_count


_FRAME_OF_REQUEST = "_samplan_frame"


def _frame_of(request: HttpRequest) -> tuple[bool, int] | None:
    actor = getattr(request, "actor", None)
    if request.user.is_authenticated and actor is not None and actor.is_authenticated:
        assert actor.user is not None
        return _frame(actor, actor.user)
    return None


def prime_frame(request: HttpRequest) -> None:
    """Ask the header's frame (`_frame`) now, for this request's page to use. A view whose
    policy questions ask the actor's organisation roles calls it first, so that the roles
    come with the frame rather than in a query of their own (the page's header asks the
    frame in any case). Only for a view that changes neither roles nor the inbox before it
    renders."""
    setattr(request, _FRAME_OF_REQUEST, _frame_of(request))


def acting(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    # A one-time token for the page's forms: a form sent twice is recognised (plans.views).
    context: dict[str, Any] = {"actor": actor, "once_token": secrets.token_urlsafe(12)}
    user = request.user
    primed = hasattr(request, _FRAME_OF_REQUEST)
    found = getattr(request, _FRAME_OF_REQUEST) if primed else _frame_of(request)
    if found is not None:
        assert actor is not None
        has_person, unread_count = found
        context["can_review_log"] = authz.is_log_reviewer(actor)
        context["has_own_login_person"] = has_person
        context["unread_count"] = unread_count
        # The menu's links to the figures and the register, asked of the policy only where the
        # template shows the menu (a callable: a page without the header costs no query).
        context["sees_statistics"] = cache(partial(_sees_statistics, actor))
        context["sees_agreements"] = cache(partial(_sees_agreements, actor))
    elif user.is_authenticated:
        # Called by the template only where it shows the count: one query, on demand.
        context["unread_count"] = cache(partial(notify_selectors.unread_count, user=user))
    session = getattr(request, "session", None)
    if user.is_authenticated and session is not None:
        # The idle timeout, for the warning that offers to extend the session before it ends:
        # what is left of it (the session's end is moved forward at most once a minute).
        context["session_idle_seconds"] = idle_seconds_left(session, now=time.time())
    return context
