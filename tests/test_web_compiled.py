"""The header's query compiled once (samplan/web/compiled.py), and the pages whose policy
questions ask the actor's roles answered from it rather than by a query of their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from samplan.accounts.models import User
from samplan.directory.models import Person
from samplan.web.compiled import CompiledQuery

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]


def test_a_compiled_query_answers_as_the_orm_and_is_compiled_once() -> None:
    built: list[int] = []

    def persons(user_id: int, person_id: int) -> QuerySet[Any]:
        built.append(user_id)
        return (
            Person.objects.filter(pk__gte=person_id)
            .exclude(user_id=user_id)
            .order_by("pk")
            .values_list("pk", "family_name")[:5]
        )

    compiled = CompiledQuery("test.persons", persons, "user_id", "person_id")
    first = Person.objects.order_by("pk").values_list("pk", flat=True)[1]
    compiled.rows(user_id=0, person_id=first)
    compiling = len(built)  # built with stand-ins to compile, once
    for user in User.objects.order_by("pk")[:3]:
        expected = list(persons(user.pk, first))
        assert compiled.rows(user_id=user.pk, person_id=first) == [tuple(r) for r in expected]
    assert len(built) == compiling + 3  # the three runs of the ORM above, no more compiling


def test_a_value_that_is_not_a_parameter_is_refused() -> None:
    compiled = CompiledQuery(
        "test.constant", lambda user_id: Person.objects.all().values_list("pk"), "user_id"
    )
    with pytest.raises(ValueError, match="named value"):
        compiled.rows(user_id=1)


@pytest.mark.parametrize(
    ("url", "data"),
    [(reverse("home"), None), (reverse("person_search"), {"q": "Demosson"})],
)
def test_the_roles_the_page_asks_come_with_the_header(
    url: str, data: dict[str, str] | None, login: Login
) -> None:
    client = login("karin.holm")
    client.get(reverse("home"))  # the session's first page
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data) if data else client.get(url)
    assert response.status_code == 200
    roles = [q["sql"] for q in queries.captured_queries if "directory_organisationrole" in q["sql"]]
    assert len(roles) == 1
    assert "UNION" in roles[0]
