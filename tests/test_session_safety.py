"""Session safety, log injection, and no personal data in URLs or application logs."""

import logging
import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from samplan.accounts.services import LOGIN_AT_SESSION_KEY
from samplan.accounts.session_activity import ACTIVITY_SESSION_KEY, ACTIVITY_WRITE_SECONDS
from samplan.audit.models import AuditEvent, Outcome
from samplan.demo.world import DEMO_PASSWORD
from samplan.directory.models import Person

pytestmark = pytest.mark.django_db


def logged_in() -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": "karin.holm", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return client


def test_idle_session_expires_and_activity_extends_it() -> None:
    client = logged_in()
    session = Session.objects.get(session_key=client.session.session_key)
    first_expiry = session.expire_date
    assert first_expiry - timezone.now() <= timedelta(minutes=30, seconds=5)
    client.get(reverse("home"))
    session.refresh_from_db()
    assert session.expire_date >= first_expiry
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_absolute_lifetime_ends_even_an_active_session() -> None:
    client = logged_in()
    session = client.session
    session[LOGIN_AT_SESSION_KEY] = time.time() - 11 * 3600
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get(reverse("home")).status_code == 302


def test_security_headers_on_pages_with_personal_data(login: Callable[[str], Client]) -> None:
    client = login("karin.holm")
    ove = Person.objects.get(given_name="Ove")
    response = client.get(ove.get_absolute_url())
    assert "no-store" in response["Cache-Control"]
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("bad", ["Ove\r\nADMIN", "Ove\x00", "Ove\nDemosson"])
def test_control_characters_in_names_are_refused_and_audited(
    login: Callable[[str], Client], bad: str
) -> None:
    client = login("karin.holm")
    before = Person.objects.count()
    response = client.post(
        reverse("person_create"),
        {
            "identifier_kind": "personnummer",
            "identifier": "19811218-9876",
            "given_name": bad,
            "family_name": "Test",
            "preferred_language": "sv",
        },
    )
    assert response.status_code == 400
    assert "tecken" in str(response.context["form"].errors["given_name"])
    assert Person.objects.count() == before
    assert AuditEvent.objects.filter(action="person.create", outcome=Outcome.INVALID).exists()


def test_search_does_not_put_identity_numbers_in_urls(login: Callable[[str], Client]) -> None:
    client = login("karin.holm")
    page = client.get(reverse("person_search")).content.decode()
    assert '<form method="post" class="form search-form"' in page


def test_no_personal_data_in_application_logs(
    login: Callable[[str], Client], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = login("karin.holm")
    ove = Person.objects.get(given_name="Ove")
    client.post(reverse("person_search"), {"q": ove.formatted_identifier})
    client.get(ove.get_absolute_url())
    client.post(reverse("person_edit", args=[ove.pk]), {"given_name": ""})
    client.get(reverse("person_detail", args=[999999]))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (ove.identifier, ove.formatted_identifier, ove.family_name, ove.address):
        assert secret not in logged


def test_refusal_inside_a_service_transaction_stays_audited(
    login: Callable[[str], Client],
) -> None:
    """A step refused inside a service's transaction: the rollback takes the refusal's audit
    row with it, and the error handling writes it again."""
    from samplan.accounts.models import User
    from samplan.authz.access import ensure_refusal_audited
    from samplan.authz.actor import Actor
    from samplan.authz.policy import Denied
    from samplan.plans import services
    from samplan.plans.models import Plan

    johan = Actor.for_user(User.objects.get(username="johan.dahl"))
    plan = Plan.objects.get(person__given_name="Ove")
    with pytest.raises(Denied) as refused:
        services.plan_close(actor=johan, plan=plan, reason="moved")
    rolled_back = refused.value.audit_event_id
    assert rolled_back is not None
    assert not AuditEvent.objects.filter(pk=rolled_back).exists()
    ensure_refusal_audited(refused.value)
    assert refused.value.audit_event_id is not None
    event = AuditEvent.objects.get(pk=refused.value.audit_event_id)
    assert (event.outcome, event.action, event.actor) == (
        Outcome.DENIED,
        "plan.edit",
        johan.user,
    )
    # Through the web, the middleware does it.
    client = login("johan.dahl")
    before = AuditEvent.objects.filter(outcome=Outcome.DENIED, actor=johan.user).count()
    assert (
        client.post(reverse("plan_close", args=[plan.pk]), {"reason": "moved"}).status_code == 404
    )
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED, actor=johan.user).count() > before


def _activity_settings() -> Any:
    """The settings with the session's end moved forward at most once a minute
    (samplan.accounts.session_activity): SESSION_SAVE_EVERY_REQUEST off, the middleware on."""
    middleware = list(settings.MIDDLEWARE)
    name = "samplan.core.browser_middleware.SessionActivity"
    if name not in middleware:
        middleware.insert(
            middleware.index("samplan.core.browser_middleware.SessionLifetime") + 1, name
        )
    return override_settings(SESSION_SAVE_EVERY_REQUEST=False, MIDDLEWARE=middleware)


def _session_writes(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return sum(
        1
        for q in ctx.captured_queries
        if q["sql"].startswith(("UPDATE", "INSERT")) and "django_session" in q["sql"]
    )


def test_activity_moves_the_idle_end_forward_at_most_once_a_minute() -> None:
    with _activity_settings():
        client = logged_in()
        key = client.session.session_key
        session = Session.objects.get(session_key=key)
        # Right after the login the end was just written: a page within the minute writes none.
        assert _session_writes(client, reverse("home")) == 0
        assert _session_writes(client, reverse("inbox")) == 0
        # The last write a minute ago: the next page moves the end forward again.
        stored = client.session
        stored[ACTIVITY_SESSION_KEY] = int(time.time()) - ACTIVITY_WRITE_SECONDS
        stored.save()
        Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=5))
        assert _session_writes(client, reverse("home")) == 1
        session.refresh_from_db()
        assert session.expire_date - timezone.now() > timedelta(minutes=29)
        assert _session_writes(client, reverse("home")) == 0
        # The page tells the browser what is left of the idle time (the warning's timer).
        page = client.get(reverse("home")).content.decode()
        left = int(re.search(r'data-session-idle="(\d+)"', page).group(1))  # type: ignore[union-attr]
        assert (
            settings.SESSION_COOKIE_AGE - ACTIVITY_WRITE_SECONDS
            < left
            <= settings.SESSION_COOKIE_AGE
        )
        # An idle session still ends, however recent its last write.
        Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_stale_stamp_tells_the_browser_how_little_is_left() -> None:
    with _activity_settings():
        client = logged_in()
        stored = client.session
        # Written 50 seconds ago: no write now, and 50 seconds less left.
        stored[ACTIVITY_SESSION_KEY] = int(time.time()) - 50
        stored.save()
        page = client.get(reverse("home")).content.decode()
        left = int(re.search(r'data-session-idle="(\d+)"', page).group(1))  # type: ignore[union-attr]
        assert settings.SESSION_COOKIE_AGE - 52 <= left <= settings.SESSION_COOKIE_AGE - 50


def test_logout_leaves_no_session_behind_with_the_activity_stamp() -> None:
    with _activity_settings():
        client = logged_in()
        key = client.session.session_key
        client.post(reverse("logout"))
        assert not Session.objects.filter(session_key=key).exists()
        assert client.get(reverse("home")).status_code == 302
        assert Session.objects.count() == 0
