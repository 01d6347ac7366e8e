"""One shared demo world for the suite, built once per test database; tests roll back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from samplan.accounts.models import User
from samplan.demo import world as demo


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        demo.build()


@pytest.fixture
def demo_user(db: None) -> Callable[[str], User]:
    def get(username: str) -> User:
        return User.objects.get(username=username)

    return get


@pytest.fixture
def login(client: Client, demo_user: Callable[[str], User]) -> Callable[[str], Client]:
    def as_user(username: str) -> Client:
        client.force_login(demo_user(username))
        return client

    return as_user
