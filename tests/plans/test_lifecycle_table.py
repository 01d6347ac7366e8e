"""One lifecycle table (samplan/plans/lifecycle.py), read by the services, the plan page's
buttons, the REST API's `allowed_steps` and FHIR's allowed-step extension on a CarePlan read:
change a step's allowed states in the table and all of them follow."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import samplan
from samplan.accounts.services import api_token_create
from samplan.authz.actor import Actor
from samplan.fhir.vocabulary import EXT_ALLOWED_STEP
from samplan.plans import lifecycle, services
from samplan.plans.lifecycle import ALLOWED_STATES, Step, StepNotAllowed
from samplan.plans.models import DeviationKind, Plan, PlanState
from tests.api.conftest import ApiClient
from tests.factories import PlanFactory
from tests.fhir.conftest import FhirApi

pytestmark = pytest.mark.django_db

SCHEDULE_FOLLOW_UP_BUTTON = ">Planera uppföljning</a>"
REPORT_DEVIATION_BUTTON = ">Rapportera avvikelse</a>"


def coordinator(plan: Plan) -> Actor:
    return Actor.for_user(plan.initiating_user)


def page_buttons(plan: Plan) -> str:
    client = Client()
    client.force_login(plan.initiating_user)
    response = client.get(reverse("plan_detail", args=[plan.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    # The plan's step buttons, in their own navigation block (absent when there are none).
    return html.split('class="actions"')[1].split("</nav>")[0] if 'class="actions"' in html else ""


def api_steps(plan: Plan) -> list[str]:
    _token, clear = api_token_create(user=plan.initiating_user)
    response = ApiClient(clear).get(f"plans/{plan.pk}")
    assert response.status_code == 200
    steps = response.json()["allowed_steps"]
    assert isinstance(steps, list)
    return steps


def fhir_steps(plan: Plan) -> list[str]:
    _token, clear = api_token_create(user=plan.initiating_user)
    status, care_plan = FhirApi(Client(), clear).get(f"CarePlan/{plan.pk}")
    assert status == 200
    return [e["valueCode"] for e in care_plan["extension"] if e["url"] == EXT_ALLOWED_STEP]


def schedule_follow_up(plan: Plan) -> None:
    services.follow_up_schedule(
        actor=coordinator(plan),
        plan=plan,
        due_date=timezone.localdate() + timedelta(days=30),
        what="Boendet",
    )


def report_deviation(plan: Plan) -> None:
    services.deviation_report(
        actor=coordinator(plan),
        plan=plan,
        kind=DeviationKind.NOT_DELIVERED,
        description="Boendestödet har inte kommit i gång.",
        addressed_to=plan.initiating_unit.organisation,
    )


def test_the_table_as_it_is_lets_an_established_plan_be_followed_up_everywhere() -> None:
    plan = PlanFactory.create(established=True)
    assert SCHEDULE_FOLLOW_UP_BUTTON in page_buttons(plan)
    steps = api_steps(plan)
    assert "schedule_follow_up" in steps
    assert "revise" in steps
    assert "establish" not in steps
    assert fhir_steps(plan) == steps
    schedule_follow_up(plan)
    assert plan.follow_ups.count() == 2


def test_forbidding_a_step_in_the_table_refuses_it_in_the_service_page_and_api(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = PlanFactory.create(established=True)
    monkeypatch.setitem(
        ALLOWED_STATES,
        Step.SCHEDULE_FOLLOW_UP,
        ALLOWED_STATES[Step.SCHEDULE_FOLLOW_UP] - {PlanState.ESTABLISHED},
    )
    with pytest.raises(StepNotAllowed):
        schedule_follow_up(plan)
    assert plan.follow_ups.count() == 1
    assert SCHEDULE_FOLLOW_UP_BUTTON not in page_buttons(plan)
    assert "schedule_follow_up" not in api_steps(plan)
    assert "schedule_follow_up" not in fhir_steps(plan)
    # The other steps are untouched.
    assert "revise" in api_steps(plan)
    assert "revise" in fhir_steps(plan)


def test_allowing_a_step_only_elsewhere_and_then_here_moves_all_three(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = PlanFactory.create(established=True)
    monkeypatch.setitem(ALLOWED_STATES, Step.REPORT_DEVIATION, frozenset({PlanState.REVISING}))
    with pytest.raises(StepNotAllowed):
        report_deviation(plan)
    assert REPORT_DEVIATION_BUTTON not in page_buttons(plan)
    assert "report_deviation" not in api_steps(plan)
    assert "report_deviation" not in fhir_steps(plan)

    monkeypatch.setitem(ALLOWED_STATES, Step.REPORT_DEVIATION, frozenset({PlanState.ESTABLISHED}))
    report_deviation(plan)
    assert plan.deviations.count() == 1
    assert REPORT_DEVIATION_BUTTON in page_buttons(plan)
    assert "report_deviation" in api_steps(plan)
    assert "report_deviation" in fhir_steps(plan)


def test_steps_available_asks_the_policy_too() -> None:
    """Someone outside the plan gets no steps, whatever the state allows."""
    plan = PlanFactory.create(established=True)
    stranger = Actor.for_user(PlanFactory.create().initiating_user)
    assert lifecycle.steps_available(actor=stranger, plan=plan) == []
    assert Step.REVISE in lifecycle.steps_available(actor=coordinator(plan), plan=plan)


def test_every_step_has_allowed_states_and_an_action() -> None:
    assert set(ALLOWED_STATES) == set(Step)
    assert set(lifecycle.STEP_ACTION) == set(Step)


# Nothing else lists states for a step ----------------------------------------------------

PACKAGE = Path(samplan.__file__).parent
# Modules that may name several plan states together, and why: the table itself, the model
# that declares the states, and FHIR's mapping of states onto CarePlan.status (a read).
MAY_LIST_STATES = {
    PACKAGE / "plans" / "lifecycle.py",
    PACKAGE / "plans" / "models.py",
    PACKAGE / "fhir" / "vocabulary.py",
    PACKAGE / "fhir" / "mapping.py",
    PACKAGE / "fhir" / "search.py",
}


def _plan_states_in(node: ast.AST) -> int:
    return sum(
        1
        for child in ast.walk(node)
        if isinstance(child, ast.Attribute)
        and isinstance(child.value, ast.Name)
        and child.value.id == "PlanState"
    )


def _state_lists(path: Path) -> list[int]:
    """Lines where a module lists two or more plan states (a list, set or tuple literal), or
    tests a plan's state for membership in something other than a name the lifecycle
    module exports (`state in (...)`, `state in DRAFT_STATES`)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.List | ast.Set | ast.Tuple) and _plan_states_in(node) >= 2:
            lines.append(node.lineno)
        if (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Attribute)
            and node.left.attr == "state"
            and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
            # `lifecycle.BEFORE_FIRST_MEETING` and the like are the table's own names.
            and not all(isinstance(c, ast.Attribute) for c in node.comparators)
        ):
            lines.append(node.lineno)
    return lines


def test_no_module_but_the_lifecycle_table_lists_states_for_a_step() -> None:
    found = {
        str(path.relative_to(PACKAGE)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
        and path not in MAY_LIST_STATES
        and (lines := _state_lists(path))
    }
    assert found == {}


def test_the_check_above_finds_a_hand_written_list(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "if plan.state in (PlanState.CLOSED, PlanState.PAUSED):\n    raise StepNotAllowed('x')\n"
    )
    assert _state_lists(module) == [1, 1]


def test_steps_that_need_a_consent_are_not_offered_without_one() -> None:
    """The API's allowed_steps and the plan page agree: with no active consent there is
    nothing to revoke and nobody to invite."""
    import json

    from samplan.accounts.models import User
    from samplan.consent.models import Consent

    karin = User.objects.get(username="karin.holm")
    no_consent = (
        Plan.objects.filter(initiating_unit__name="Socialpsykiatri Ekbacka", state="initiated")
        .exclude(consents__isnull=False)
        .first()
    )
    assert no_consent is not None
    with_consent = Plan.objects.get(person__given_name="Ove")
    assert Consent.objects.active().filter(plan=with_consent).exists()
    _token, clear = api_token_create(user=karin)
    client = Client(headers={"Authorization": f"Bearer {clear}"})
    steps = json.loads(client.get(f"/api/v1/plans/{no_consent.pk}").content)["allowed_steps"]
    assert "record_consent" in steps
    assert "schedule_meeting" not in steps
    assert "revoke_consent" not in steps
    steps = json.loads(client.get(f"/api/v1/plans/{with_consent.pk}").content)["allowed_steps"]
    assert "revoke_consent" in steps
    actor = Actor.for_user(karin)
    assert Step.SCHEDULE_MEETING not in lifecycle.steps_available(actor=actor, plan=no_consent)
