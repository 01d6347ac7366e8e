"""The idle timeout: activity moves a signed-in session's end forward, written at most once a
minute.

Every request used to save the session (SESSION_SAVE_EVERY_REQUEST): a write on every page.
Here a request writes the session only when it last moved the end forward a minute or more
ago (or when the request changed the session anyway), so the stored end is never more than a
minute behind the last activity: an idle session ends `SESSION_COOKIE_AGE` after the last
write, which is at most a minute earlier than after the last request, never later. The pages
tell the browser what is really left (`idle_seconds_left`), so that the warning before the end
comes in time."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse

# When the session's end was last moved forward (seconds since the epoch, an int).
ACTIVITY_SESSION_KEY = "samplan_activity_at"
# How far the stored end may fall behind the last request before it is written again.
ACTIVITY_WRITE_SECONDS = 60


def idle_seconds_left(session: SessionBase, *, now: float) -> int:
    """Seconds until an idle session ends: SESSION_COOKIE_AGE from its last write."""
    age = int(settings.SESSION_COOKIE_AGE)
    stamp = session.get(ACTIVITY_SESSION_KEY)
    if not isinstance(stamp, int):
        return age
    return max(0, min(age, age - int(now - stamp)))


class SessionActivityMiddleware:
    """Marks a signed-in session modified (so that SessionMiddleware saves it and moves its end
    forward) when its end was last moved a minute or more ago; with SESSION_SAVE_EVERY_REQUEST
    off, a request within that minute writes nothing. Goes after AuthenticationMiddleware and
    SessionLifetimeMiddleware (a session past its absolute lifetime is ended there)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            stamp = request.session.get(ACTIVITY_SESSION_KEY)
            if not isinstance(stamp, int) or now - stamp >= ACTIVITY_WRITE_SECONDS or now < stamp:
                request.session[ACTIVITY_SESSION_KEY] = now
        response = self.get_response(request)
        session = request.session
        # A request that changed the session (a login, the acting unit, "Förläng") saves it
        # anyway: its end moves forward now, and the stamp says so. Not after a logout: the
        # flushed session stays empty.
        if session.modified and request.user.is_authenticated and not session.is_empty():
            session[ACTIVITY_SESSION_KEY] = int(time.time())
        return response
