"""The open plans of the start page and the worklist, read by the statement compiled once
from the policy's own `visible_plans` (of a stand-in actor), equal the ORM's, for every
member of staff of the demo world: the same plans, persons and order."""

from __future__ import annotations

import pytest

from samplan.accounts.models import User
from samplan.authz import policy
from samplan.authz.actor import Actor
from samplan.plans.selectors import _open_plans, _open_plans_query

pytestmark = pytest.mark.django_db


def test_the_compiled_open_plans_equal_the_orms() -> None:
    compared = 0
    for user in User.objects.filter(memberships__isnull=False).distinct().order_by("pk"):
        actor = Actor.for_user(user)
        if policy.plan_visibility_values(actor) is None:
            continue
        expected = [(p.pk, p.person.pk, p.person.family_name) for p in _open_plans_query(actor)]
        plans = _open_plans(actor)
        assert [(p.pk, p.person.pk, p.person.family_name) for p in plans] == expected
        assert actor.visible_plan_ids == {pk for pk, _, _ in expected}
        compared += bool(expected)
    assert compared >= 2
