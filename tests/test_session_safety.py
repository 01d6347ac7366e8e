"""Session safety, log injection, and no personal data in URLs or application logs."""

import logging
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from samplan.accounts.services import LOGIN_AT_SESSION_KEY
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
