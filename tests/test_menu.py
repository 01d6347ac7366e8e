"""The header menu's links to the statistics and the agreements register: shown to those the
policy lets in (and to no one else), they open the page, and they cost few queries."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from samplan.accounts.models import User
from samplan.authz import policy
from samplan.authz.actor import Actor
from samplan.web.context import acting

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]

STATISTICS = "Statistik"
AGREEMENTS = "Överenskommelser"


def menu_links(client: Client) -> dict[str, str]:
    """The main menu of the start page: each link's text and address."""
    page = client.get(reverse("home")).content.decode()
    nav = re.search(r'<nav aria-label="Huvudmeny">(.*?)</nav>', page, re.S)
    assert nav is not None, "the start page has a main menu"
    return {
        re.sub(r"<[^>]+>|\s+", " ", text).strip(): href
        for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', nav.group(1), re.S)
    }


def actor(username: str) -> Actor:
    return Actor.for_user(User.objects.get(username=username))


def test_a_manager_sees_statistics_and_the_link_opens_the_figures(login: Login) -> None:
    client = login("chef.ekbacka")
    links = menu_links(client)
    assert links[STATISTICS] == reverse("statistics")
    assert client.get(links[STATISTICS]).status_code == 200


@pytest.mark.parametrize(
    "username",
    [
        "sara.lind",  # a nurse
        "peter.falk",  # a head of unit by profession, without the manager role
        "admin.ekbacka",  # an organisation administrator
        "granskare.ekbacka",  # a log reviewer
    ],
)
def test_no_statistics_link_without_the_manager_role(login: Login, username: str) -> None:
    client = login(username)
    assert STATISTICS not in menu_links(client)
    assert policy.statistics_organisation(actor(username)) is None
    assert client.get(reverse("statistics")).status_code == 404


@pytest.mark.parametrize(
    "username",
    [
        "admin.ekbacka",  # administrator of a party (Ekbacka kommun)
        "karin.holm",  # staff of a party's unit
        "omar.haddad",  # staff of the region, a party to both agreements
        "chef.strandvik",  # a party's manager
    ],
)
def test_the_agreements_link_for_those_the_policy_shows_agreements(
    login: Login, username: str
) -> None:
    assert policy.visible_agreements(actor(username)).exists()
    client = login(username)
    links = menu_links(client)
    assert links[AGREEMENTS] == reverse("agreement_list")
    page = client.get(links[AGREEMENTS])
    assert page.status_code == 200
    assert "Region Sjöland" in page.content.decode()


@pytest.mark.parametrize(
    "username",
    [
        "hanna.fors",  # Försäkringskassan, a party to no agreement
        "lisa.grahn",  # a school's staff, a party to no agreement
        "granskare.region",  # a log reviewer only
    ],
)
def test_no_agreements_link_for_those_the_policy_shows_none(login: Login, username: str) -> None:
    assert not policy.visible_agreements(actor(username)).exists()
    assert AGREEMENTS not in menu_links(login(username))


def test_the_other_links_stay(login: Login) -> None:
    links = menu_links(login("chef.ekbacka"))
    assert {"Start", "Organisationer", STATISTICS, AGREEMENTS} <= set(links)
    assert "Loggkontroll" not in links
    assert "Loggkontroll" in menu_links(login("granskare.ekbacka"))


@pytest.mark.parametrize(
    ("username", "queries"),
    [
        # Whether an agreement is visible: the roles of every kind came with the header's
        # one query (`acting`), and the actor keeps them.
        ("karin.holm", 1),
        # The same, and the first organisation managed: the manager acts through no unit.
        ("chef.ekbacka", 2),
    ],
)
def test_the_menu_links_cost_few_queries(
    username: str, queries: int, rf: RequestFactory, django_assert_num_queries: Any
) -> None:
    request = rf.get("/")
    request.user = User.objects.get(username=username)
    request.actor = actor(username)  # type: ignore[attr-defined]  # with its memberships
    with django_assert_num_queries(1):
        # The roles of every kind, the own person and the inbox's unread count, in one query.
        context = acting(request)
    with django_assert_num_queries(queries):
        assert context["sees_statistics"]() is (username == "chef.ekbacka")
        assert context["sees_agreements"]() is True


def test_the_inbox_badge_is_counted_once(login: Login) -> None:
    client = login("karin.holm")
    client.get(reverse("home"))  # warm the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if "notify_inboxmessage" in q["sql"]]
    assert len(counts) == 1  # whether to show the badge, and the number in it


@pytest.mark.parametrize(
    "username",
    ["karin.holm", "chef.ekbacka", "granskare.ekbacka", "admin.ekbacka", "ove.demosson"],
)
def test_the_headers_one_query_answers_as_the_separate_questions(
    username: str, rf: RequestFactory
) -> None:
    """The header's one query gives what each question alone gives: the roles of every kind,
    whether the user has a person of his or her own, the inbox's unread count."""
    from samplan.directory.models import OrganisationRoleKind
    from samplan.notify.models import InboxMessage
    from samplan.notify.selectors import unread_count

    user = User.objects.get(username=username)
    other = User.objects.exclude(pk=user.pk).order_by("pk").first()
    assert other is not None
    for i in range(3):  # two unread, one read; and one of someone else's
        InboxMessage.objects.create(recipient=user, subject=f"Ämne {i}", body="Text")
    first = InboxMessage.objects.filter(recipient=user).order_by("pk").values("pk")[:1]
    InboxMessage.objects.filter(pk__in=first).update(read_at=timezone.now())
    InboxMessage.objects.create(recipient=other, subject="Annan", body="Text")

    request = rf.get("/")
    request.user = user
    request.actor = actor(username)  # type: ignore[attr-defined]
    context = acting(request)
    alone = actor(username)
    for kind in OrganisationRoleKind.values:
        assert request.actor.organisations_with_role(kind) == alone.organisations_with_role(kind)  # type: ignore[attr-defined]
    assert context["has_own_login_person"] is hasattr(User.objects.get(pk=user.pk), "person")
    assert context["unread_count"] == unread_count(user=user) >= 2
    assert context["can_review_log"] is policy.is_log_reviewer(alone)
