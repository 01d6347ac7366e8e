"""Account-wide actions that are not part of the registry."""

from __future__ import annotations

from django.contrib.sessions.models import Session

from samplan.accounts.models import User, UserSession


def session_link(*, user: User, session_key: str) -> None:
    UserSession.objects.get_or_create(session_key=session_key, defaults={"user": user})


def sessions_end_for_user(*, user: User) -> int:
    """End every session of `user`: a disabled account must not stay signed in anywhere."""
    links = UserSession.objects.filter(user=user)
    keys = list(links.values_list("session_key", flat=True))
    ended, _ = Session.objects.filter(session_key__in=keys).delete()
    links.delete()
    return ended
