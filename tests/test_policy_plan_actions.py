"""`authz.plan_actions` answers what `authz.can` answers for each plan-level action, for
every kind of staff member and plan state in the demo world, in one query."""

from __future__ import annotations

from typing import Any

import pytest

from samplan.accounts.models import User
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.plans.models import Plan

pytestmark = pytest.mark.django_db

USERS = ["karin.holm", "omar.haddad", "eva.strom", "johan.dahl", "anna.sjoberg", "nora.wik"]


@pytest.mark.parametrize("username", USERS)
def test_plan_actions_agree_with_can(username: str) -> None:
    actor = Actor.for_user(User.objects.get(username=username))
    for plan in Plan.objects.all():
        expected = {a for a in authz.PLAN_LEVEL_ACTIONS if authz.can(actor, a, plan)}
        assert authz.plan_actions(actor, plan) == expected, (username, plan.state)


def test_plan_actions_cost_one_query(django_assert_num_queries: Any) -> None:
    actor = Actor.for_user(User.objects.get(username="karin.holm"))
    plan = Plan.objects.get(person__given_name="Ove")
    with django_assert_num_queries(1):
        assert authz.Action.PLAN_EDIT in authz.plan_actions(actor, plan)
