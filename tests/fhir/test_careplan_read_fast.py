"""CarePlan/{id} is read in one statement kept compiled per thread (samplan/core/prepared.py)
with the plan's needs, goals and interventions folded into the plan's row: what it answers
must be what the ORM's mapping of the same plan answers (the search's rendering, built from
querysets and prefetches), for every plan a reader sees, and valid FHIR."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from samplan.accounts.models import User
from samplan.audit.actions import AuditAction
from samplan.authz import policy
from samplan.authz.actor import Actor
from samplan.fhir import search
from samplan.fhir.params import Params
from tests.fhir.conftest import FhirApi


def _by_orm(actor: Actor, plan_id: int) -> dict[str, Any]:
    plan = search.careplan_base(actor, Params(values={})).get(pk=plan_id)
    # The search's rendering of one plan, as a read by id words it (with the allowed steps).
    resource: dict[str, Any] = search.render_careplans(
        actor, [plan], AuditAction.CAREPLAN_FHIR_READ
    )[0]
    return resource


@pytest.mark.parametrize("username", ["karin.holm", "hanna.fors", "johan.dahl", "nora.wik"])
def test_read_equals_the_orm_mapping_for_every_visible_plan(
    fhir: Callable[..., FhirApi], demo_user: Callable[[str], User], username: str
) -> None:
    actor = Actor.for_user(demo_user(username))
    plan_ids = list(policy.visible_plans(actor).order_by("pk").values_list("pk", flat=True))
    api = fhir(username)  # validates every resource with fhir.resources and Inera's profiles
    for plan_id in plan_ids:
        status, body = api.get(f"CarePlan/{plan_id}")
        assert status == 200
        assert body == _by_orm(Actor.for_user(demo_user(username)), plan_id), plan_id


def test_several_plans_are_compared(demo_user: Callable[[str], User]) -> None:
    # The comparison above is not empty: the demo world's coordinator sees several plans.
    actor = Actor.for_user(demo_user("karin.holm"))
    assert policy.visible_plans(actor).count() >= 3


def test_read_is_three_queries_and_refuses_a_plan_out_of_sight(
    fhir: Callable[..., FhirApi],
    demo_user: Callable[[str], User],
    django_assert_num_queries: Any,
) -> None:
    plan = policy.visible_plans(Actor.for_user(demo_user("karin.holm"))).order_by("pk").first()
    assert plan is not None
    api = fhir("karin.holm")
    api.get(f"CarePlan/{plan.pk}")  # the statement compiled, the token noted as used
    # The bearer token with the memberships, the plan with its lists, the audit row.
    with django_assert_num_queries(3):
        response = api.client.get(f"/fhir/CarePlan/{plan.pk}", headers=api.headers())
    assert response.status_code == 200
    outsider = fhir("admin.ekbacka")
    status, _body = outsider.get(f"CarePlan/{plan.pk}")
    assert status == 404
