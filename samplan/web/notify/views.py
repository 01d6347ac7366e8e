"""Inbox pages. Views parse the request and call selectors and services; no rules here."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from samplan.accounts.models import User
from samplan.authz import access
from samplan.authz.actor import request_actor
from samplan.notify import selectors, services

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required has run
    return user


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    page = Paginator(selectors.inbox_for(user=user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/inbox.html",
        {"page": page, "unread": selectors.unread_count(user=user)},
    )


@login_required
def inbox_message(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    # Looked up among the user's own messages: another user's message is simply not found.
    message = get_object_or_404(selectors.inbox_for(user=user), pk=pk)
    services.inbox_mark_read(user=user, message=message)
    shown = access.access_inbox_message(actor=request_actor(request), message=message)
    return render(request, "notify/message.html", {"message": message, "shown": shown})
