"""Account-wide actions that are not part of the registry."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from samplan.accounts.models import ApiToken, User, UserSession


def session_link(*, user: User, session_key: str) -> None:
    UserSession.objects.get_or_create(session_key=session_key, defaults={"user": user})


def sessions_end_for_user(*, user: User) -> int:
    """End every session of `user`: a disabled account must not stay signed in anywhere."""
    links = UserSession.objects.filter(user=user)
    keys = list(links.values_list("session_key", flat=True))
    ended, _ = Session.objects.filter(session_key__in=keys).delete()
    links.delete()
    return ended


TOKEN_PREFIX = "spl_"
# When the session signed in (seconds since the epoch): the middleware ends it after the limit.
LOGIN_AT_SESSION_KEY = "samplan_login_at"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, user: User, days: int = 90, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for `user`. The clear text is returned once and never stored."""
    if days <= 0 or days > 366:
        raise ValidationError(
            {"days": ["Giltighetstiden är 1–366 dagar. / Validity is 1-366 days."]}
        )
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=clear[: len(TOKEN_PREFIX) + 6],
        token_hash=_hash(clear),
        expires_at=timezone.now() + timedelta(days=days),
    )
    return token, clear


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_valid(clear: str, *, through: str = "") -> Q | None:
    """The condition a valid, unexpired, unrevoked token of an active user meets, on ApiToken
    (or on a model that reaches it `through` a relation path, e.g. "user__api_tokens__" from
    a membership), so that a caller can fetch what it needs with the token in one query. None
    when the text cannot be a token."""
    hashed = api_token_hash(clear)
    if hashed is None:
        return None
    return api_token_condition(token_hash=hashed, now=timezone.now(), through=through)


def api_token_hash(clear: str) -> str | None:
    """The stored hash of a token's clear text; None when the text cannot be a token."""
    if not clear.startswith(TOKEN_PREFIX) or len(clear) > 200:
        return None
    return _hash(clear)


def api_token_condition(*, token_hash: str, now: datetime, through: str = "") -> Q:
    """`api_token_valid` for a token's hash at the time `now`: the values apart from the
    condition, so that a query built from it may be compiled once and run again with other
    values (authz/actor.py)."""
    user = "user__" if not through else through.removesuffix("api_tokens__")
    return Q(
        **{
            f"{through}token_hash": token_hash,
            f"{through}revoked_at__isnull": True,
            f"{through}expires_at__gt": now,
            f"{user}is_active": True,
        }
    )


def api_token_used(token_id: int, last_used_at: datetime | None) -> None:
    """Note that a token was used: written at most every few minutes, so that a busy
    integration does not write on every call."""
    now = timezone.now()
    if last_used_at is None or now - last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)


def api_token_authenticate(clear: str) -> User | None:
    """The active user of a valid, unexpired, unrevoked token, or None."""
    valid = api_token_valid(clear)
    if valid is None:
        return None
    token = ApiToken.objects.select_related("user").filter(valid).first()
    if token is None:
        return None
    api_token_used(token.pk, token.last_used_at)
    return token.user
