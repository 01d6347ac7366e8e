"""Login with Django's auth: Argon2 hashes, a new session on login, lockout, disabled accounts."""

from collections.abc import Callable

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from samplan.accounts.models import User
from samplan.authz.actor import Actor
from samplan.demo.world import DEMO_PASSWORD
from samplan.directory import services

pytestmark = pytest.mark.django_db


def post_login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_page_is_served_in_swedish(client: Client) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "Logga in" in response.content.decode()
    assert response["Content-Security-Policy"].startswith("default-src 'self'")


def test_demo_user_logs_in_and_sees_the_registry(client: Client) -> None:
    response = post_login(client, "karin.holm", DEMO_PASSWORD)
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert "Socialpsykiatri Ekbacka" in home.content.decode()
    registry = client.get(reverse("organisation_list")).content.decode()
    assert "Region Sjöland" in registry
    assert "Ekbacka kommun" in registry


def test_passwords_are_hashed_with_argon2(demo_user: Callable[[str], User]) -> None:
    assert identify_hasher(demo_user("karin.holm").password).algorithm == "argon2"


def test_login_starts_a_new_session(client: Client) -> None:
    client.get(reverse("login"))
    client.session["x"] = 1
    before = client.cookies.get("sessionid")
    post_login(client, "karin.holm", DEMO_PASSWORD)
    after = client.cookies["sessionid"].value
    assert before is None or before.value != after


def test_wrong_password_gets_a_clear_message(client: Client) -> None:
    response = post_login(client, "karin.holm", "fel-lösenord")
    assert response.status_code == 200
    assert "Fel användarnamn eller lösenord" in response.content.decode()


def test_lockout_after_repeated_failures_even_with_the_right_password(client: Client) -> None:
    for _ in range(5):
        post_login(client, "eva.strom", "fel-lösenord")
    response = post_login(client, "eva.strom", DEMO_PASSWORD)
    assert response.status_code == 429
    assert "spärrat" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account is not affected.
    assert post_login(Client(), "jonas.berg", DEMO_PASSWORD).status_code == 302


def test_disabling_an_account_ends_its_sessions(client: Client) -> None:
    post_login(client, "ali.yilmaz", DEMO_PASSWORD)
    assert client.get(reverse("home")).status_code == 200
    user = User.objects.get(username="ali.yilmaz")
    admin = Actor.for_user(User.objects.get(username="admin.ekbacka"))
    org = user.memberships.get().unit.organisation
    services.staff_set_active(actor=admin, organisation=org, user=user, active=False)
    assert not Session.objects.filter(session_key=client.session.session_key).exists()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    # And it cannot log in again.
    assert post_login(Client(), "ali.yilmaz", DEMO_PASSWORD).status_code == 200


def test_pages_with_personal_data_are_not_stored(login: Callable[[str], Client]) -> None:
    client = login("karin.holm")
    response = client.get(reverse("person_search"))
    assert "no-store" in response["Cache-Control"]


def test_language_switch_to_english(login: Callable[[str], Client]) -> None:
    client = login("karin.holm")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Organisations" in client.get(reverse("home")).content.decode()
