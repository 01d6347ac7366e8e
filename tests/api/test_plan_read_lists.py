"""GET /api/v1/plans/{id} takes the plan page's lists from the plan's own row
(access_plan_api_read): it must answer what the selector's lists give (plan_page_data alone),
for every plan a reader sees, in a fixed number of queries."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.api import out
from samplan.authz import policy
from samplan.authz.actor import Actor
from samplan.plans import selectors
from samplan.plans.models import Plan


def _by_selector(user: User, plan_id: int) -> Any:
    actor = Actor.for_user(user)
    plan = policy.visible_plans(actor).select_related("person", "coordinator").get(pk=plan_id)
    data = selectors.plan_page_data(actor=actor, plan=plan)
    return json.loads(out.json_response(out.plan(plan, data, actor=actor)).content)


@pytest.mark.parametrize("username", ["karin.holm", "hanna.fors", "johan.dahl", "nora.wik"])
def test_plan_equals_the_selectors_lists_for_every_visible_plan(
    client: Client, demo_user: Callable[[str], User], username: str
) -> None:
    user = demo_user(username)
    _token, clear = api_token_create(user=user)
    ids = policy.visible_plans(Actor.for_user(user)).order_by("pk").values_list("pk", flat=True)
    for plan_id in ids:
        response = client.get(f"/api/v1/plans/{plan_id}", HTTP_AUTHORIZATION=f"Bearer {clear}")
        assert response.status_code == 200
        assert json.loads(response.content) == _by_selector(user, plan_id), plan_id


def test_plan_read_queries_do_not_grow_with_the_plan(
    client: Client, demo_user: Callable[[str], User], django_assert_max_num_queries: Any
) -> None:
    user = demo_user("karin.holm")
    _token, clear = api_token_create(user=user)
    plan = policy.visible_plans(Actor.for_user(user)).order_by("pk").first()
    assert isinstance(plan, Plan)
    url = f"/api/v1/plans/{plan.pk}"
    client.get(url, HTTP_AUTHORIZATION=f"Bearer {clear}")
    # The token, the plan with its lists (the interventions among them), the audit row, the
    # consents with their organisations' ids; the consent's kinds for a reader who does not
    # carry the plan and the completeness check for a draft.
    with django_assert_max_num_queries(6):
        assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {clear}").status_code == 200


def test_consents_with_none_one_and_many_organisations_are_the_selectors(
    client: Client, demo_user: Callable[[str], User]
) -> None:
    """The consents and their organisations come in one row per consent and organisation
    (selectors.plan_api_data): a consent of no organisation, of one and of several each
    answer as the selector's prefetched organisations give them, in the consents' order."""
    from django.utils import timezone

    from samplan.consent.models import Consent, ConsentDecision, ConsentMethod
    from samplan.directory.models import Organisation

    user = demo_user("karin.holm")
    actor = Actor.for_user(user)
    plan = policy.visible_plans(actor).order_by("pk").first()
    assert isinstance(plan, Plan)
    assert actor.unit is not None
    organisations = list(Organisation.objects.order_by("pk")[:3])
    now = timezone.now()
    made = []
    for chosen in ([], organisations[:1], organisations):
        consent = Consent.objects.create(
            plan=plan,
            decision=ConsentDecision.REFUSED,
            method=ConsentMethod.ORAL,
            given_at=now,
            recorded_by=user,
            recorded_unit=actor.unit,
            superseded_at=now,
        )
        consent.organisations.set(chosen)
        made.append((consent.pk, sorted(o.pk for o in chosen)))
    _token, clear = api_token_create(user=user)
    response = client.get(f"/api/v1/plans/{plan.pk}", HTTP_AUTHORIZATION=f"Bearer {clear}")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body == _by_selector(user, plan.pk)
    shown = {c["id"]: c["organisations"] for c in body["consents"]}
    assert [(pk, shown[pk]) for pk, _ids in made] == made
    assert len(made[2][1]) == 3
