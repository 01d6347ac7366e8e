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
        # The manager role (kept by the actor for both questions), the administrator role,
        # whether an agreement is visible.
        ("karin.holm", 3),
        # The same, and the first organisation managed: the manager acts through no unit.
        ("chef.ekbacka", 4),
    ],
)
def test_the_menu_links_cost_few_queries(
    username: str, queries: int, rf: RequestFactory, django_assert_num_queries: Any
) -> None:
    request = rf.get("/")
    request.user = User.objects.get(username=username)
    request.actor = actor(username)  # type: ignore[attr-defined]  # with its memberships
    context = acting(request)  # asks whether the actor reviews the log
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
