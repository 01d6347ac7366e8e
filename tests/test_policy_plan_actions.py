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


@pytest.mark.parametrize("username", [*USERS, "registrator.ekbacka", "anna.sjoberg"])
def test_contact_opened_agrees_with_the_kinds_of_each_plan(username: str) -> None:
    """`contact_opened_ids` asks the database what `information_kinds_by_plan` answers plan by
    plan (plus invitations and the registrar's relation)."""
    from samplan.consent.models import InformationKind

    actor = Actor.for_user(User.objects.get(username=username))
    persons = set(authz.visible_persons(actor).values_list("pk", flat=True))
    plans = list(authz.visible_plans(actor).filter(person_id__in=persons))
    kinds = authz.information_kinds_by_plan(actor, plans)
    by_plans = {p.person_id for p in plans if InformationKind.CONTACT in kinds[p.pk]}
    opened = authz.contact_opened_ids(actor, persons)
    assert by_plans <= opened <= persons
    # Beyond the plans, only an open invitation or the registrar's relation opens contact.
    invited = set(
        authz._open_invitations()
        .filter(unit=actor.unit, meeting__plan__person_id__in=persons)
        .values_list("meeting__plan__person_id", flat=True)
    )
    if not actor.organisations_with_role("registrar"):
        assert opened - by_plans <= invited


def test_contact_cost_does_not_grow_with_plans(django_assert_max_num_queries: Any) -> None:
    actor = Actor.for_user(User.objects.get(username="omar.haddad"))
    ove = Plan.objects.get(person__given_name="Ove").person_id
    # Ove's demo consent covers plan, health and social information, not contact details.
    with django_assert_max_num_queries(4):
        assert authz.contact_opened_ids(actor, [ove]) == set()
