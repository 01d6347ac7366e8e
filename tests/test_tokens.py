"""API tokens: created by `samplan token create`, stored hashed, expiring and revocable."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.utils import timezone

from samplan.accounts.models import ApiToken
from samplan.accounts.services import api_token_authenticate
from samplan.authz.actor import actor_for_bearer

pytestmark = pytest.mark.django_db


def create(username: str, *args: str) -> str:
    out = StringIO()
    call_command("token", "create", username, *args, stdout=out)
    return out.getvalue().strip()


def test_token_is_printed_once_and_stored_hashed() -> None:
    clear = create("karin.holm")
    token = ApiToken.objects.get(user__username="karin.holm")
    assert clear.startswith("spl_")
    assert clear not in (token.token_hash, token.prefix)
    assert token.expires_at - timezone.now() > timedelta(days=89)
    user = api_token_authenticate(clear)
    assert user is not None
    assert user.username == "karin.holm"


def test_bearer_header_gives_the_users_actor_and_unit() -> None:
    clear = create("sara.lind")
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {clear}")
    actor = actor_for_bearer(request)
    assert actor is not None
    assert actor.unit is not None
    assert actor.unit.name == "Öppenpsykiatri Sjöstad"
    beroende = next(m.unit for m in actor.memberships if m.unit.name.startswith("Beroende"))
    request = RequestFactory().get(
        "/", HTTP_AUTHORIZATION=f"Bearer {clear}", HTTP_X_SAMPLAN_UNIT=str(beroende.pk)
    )
    switched = actor_for_bearer(request)
    assert switched is not None
    assert switched.unit == beroende


def test_expired_revoked_and_wrong_tokens_are_refused() -> None:
    clear = create("karin.holm")
    assert api_token_authenticate(clear + "x") is None
    assert api_token_authenticate("Bearer nonsense") is None
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_token_authenticate(clear) is None
    second = create("karin.holm")
    prefix = ApiToken.objects.filter(expires_at__gt=timezone.now()).get().prefix
    call_command("token", "revoke", prefix, stdout=StringIO())
    assert api_token_authenticate(second) is None


def test_disabled_user_token_stops_working() -> None:
    clear = create("eva.strom")
    ApiToken.objects.get().user.__class__.objects.filter(username="eva.strom").update(
        is_active=False
    )
    assert api_token_authenticate(clear) is None


def test_unknown_user_and_bad_validity_are_refused() -> None:
    with pytest.raises(CommandError):
        create("nobody")
    with pytest.raises(Exception, match="1-366"):
        create("karin.holm", "--days", "0")
