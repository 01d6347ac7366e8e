"""Shared helpers for the person's own view (issue 11): Ove's demo plan (established, version
1, consent to Ekbacka kommun and the region), the person's own login (ove.demosson), the
region's participant (omar.haddad) and the coordinator (karin.holm)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.audit.models import AuditEvent
from samplan.plans.models import Plan

type Login = Callable[[str], Client]


@pytest.fixture
def ove_plan(db: None) -> Plan:
    return Plan.objects.select_related("person").get(
        person__given_name="Ove", person__family_name="Demosson"
    )


@pytest.fixture
def person_client(demo_user: Callable[[str], User]) -> Callable[[str], Client]:
    """A client of its own for each user, so that two people can act in one test."""

    def make(username: str) -> Client:
        client = Client()
        client.force_login(demo_user(username))
        return client

    return make


def bearer(username: str) -> dict[str, str]:
    _token, clear = api_token_create(user=User.objects.get(username=username))
    return {"Authorization": f"Bearer {clear}", "Accept": "application/fhir+json"}


def events(plan: Plan) -> list[str]:
    return list(plan.events.order_by("pk").values_list("kind", flat=True))


def audited(action: str, **filters: object) -> AuditEvent | None:
    return AuditEvent.objects.filter(action=action, **filters).order_by("-pk").first()
