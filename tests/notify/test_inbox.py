from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from samplan.accounts.models import User
from samplan.notify.models import InboxMessage
from samplan.notify.selectors import inbox_for, unread_count
from samplan.notify.services import inbox_mark_read, inbox_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def sara(demo_user: Callable[[str], User]) -> User:
    return demo_user("sara.lind")


@pytest.fixture
def omar(demo_user: Callable[[str], User]) -> User:
    return demo_user("omar.haddad")


def post(user: User, subject: str = "Ny kallelse", url: str = "/plans/7/") -> InboxMessage:
    return inbox_post(user=user, subject=subject, body="Du är kallad till ett möte.", url=url)


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/", "plans/7/", "/\\x"])
def test_link_must_be_a_local_path(sara: User, url: str) -> None:
    with pytest.raises(ValidationError):
        post(sara, url=url)


def test_read_time_is_set_once(sara: User) -> None:
    message = post(sara)
    assert unread_count(user=sara) == 1
    inbox_mark_read(user=sara, message=message)
    first = message.read_at
    assert first is not None
    inbox_mark_read(user=sara, message=InboxMessage.objects.get(pk=message.pk))
    message.refresh_from_db()
    assert message.read_at == first
    assert unread_count(user=sara) == 0


def test_only_the_recipient_marks_read(sara: User, omar: User) -> None:
    message = post(sara)
    with pytest.raises(PermissionDenied):
        inbox_mark_read(user=omar, message=message)
    message.refresh_from_db()
    assert message.read_at is None


def test_inbox_lists_own_messages_with_unread_in_text(
    login: Callable[[str], Client], sara: User, omar: User
) -> None:
    post(sara, subject="Kallelse till SIP-möte")
    read = post(sara, subject="Planen är upprättad")
    inbox_mark_read(user=sara, message=read)
    post(omar, subject="Omars meddelande")
    page = login("sara.lind").get(reverse("inbox")).content.decode()
    assert "<h1>Inkorg</h1>" in page
    assert "Du har 1 oläst meddelande." in page
    assert "Kallelse till SIP-möte" in page
    assert "Planen är upprättad" in page
    assert "Omars meddelande" not in page
    assert page.count("<strong>Oläst</strong>") == 1


def test_opening_a_message_marks_it_read_and_links_on(
    login: Callable[[str], Client], sara: User
) -> None:
    message = post(sara, url="/persons/3/")
    response = login("sara.lind").get(reverse("inbox_message", args=[message.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Ny kallelse</h1>" in page
    assert "Du är kallad till ett möte." in page
    assert 'href="/persons/3/"' in page
    message.refresh_from_db()
    assert message.read_at is not None
    assert unread_count(user=sara) == 0


def test_another_users_message_is_not_found(
    login: Callable[[str], Client], sara: User, omar: User
) -> None:
    message = post(omar)
    client = login("sara.lind")
    assert client.get(reverse("inbox_message", args=[message.pk])).status_code == 404
    assert client.get(reverse("inbox_message", args=[message.pk + 1000])).status_code == 404
    message.refresh_from_db()
    assert message.read_at is None


def test_inbox_needs_login(client: Client, sara: User) -> None:
    message = post(sara)
    for url in (reverse("inbox"), reverse("inbox_message", args=[message.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_inbox_page_cost_does_not_grow_with_messages(
    login: Callable[[str], Client], sara: User
) -> None:
    client = login("sara.lind")
    post(sara)
    # The first page after login may move the session's idle end forward (written at most
    # once a minute): not the inbox's cost.
    assert client.get(reverse("inbox")).status_code == 200
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("inbox")).status_code == 200
    for i in range(30):
        post(sara, subject=f"Meddelande {i}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("inbox")).status_code == 200
    assert len(many) == len(few)


def test_inbox_for_is_newest_first(sara: User) -> None:
    first, second = post(sara, subject="Först"), post(sara, subject="Sedan")
    assert list(inbox_for(user=sara)) == [second, first]


def test_inbox_is_paged(login: Callable[[str], Client], sara: User) -> None:
    for i in range(51):
        post(sara, subject=f"Meddelande {i}")
    client = login("sara.lind")
    first = client.get(reverse("inbox")).content.decode()
    assert first.count("<tr>") == 1 + 50  # the header row and one page
    assert "Sida 1 av 2" in first
    assert 'href="?page=2" rel="next">Äldre meddelanden' in first
    second = client.get(reverse("inbox"), {"page": 2}).content.decode()
    assert "Meddelande 0<" in second
    assert second.count("<tr>") == 1 + 1
