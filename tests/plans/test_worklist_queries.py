"""The worklists' cost does not grow with the number of plans they show."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from samplan.accounts.models import User
from samplan.authz.actor import Actor
from samplan.directory.models import Person
from samplan.plans import selectors, services
from tests.factories import look_up

pytestmark = pytest.mark.django_db


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url_name", ["home", "worklist"])
def test_start_page_and_worklist_cost_the_same_with_more_drafts(
    login: Callable[[str], Client], url_name: str
) -> None:
    client = login("karin.holm")
    url = reverse(url_name)
    queries(client, url)  # warm up sessions and caches
    before = queries(client, url)
    karin = Actor.for_user(User.objects.get(username="karin.holm"))
    drafts_before = len(selectors.drafts_with_missing_items(actor=karin))
    for person in Person.objects.filter(plans__isnull=True)[:8]:
        services.plan_initiate(
            actor=karin, person=look_up(karin, person), reasons=["several_services"]
        )
    assert len(selectors.drafts_with_missing_items(actor=karin)) == drafts_before + 8
    assert queries(client, url) <= before
