"""The plan page's lists come in the plan's one query (`access.plans.access_plan_page`): the
page shows exactly what it showed when each list was a query of its own
(`selectors.plan_page_data`), with every kind of row the lists hold."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from samplan.authz.access import plans as access_plans
from samplan.plans.models import (
    Attainment,
    FollowUp,
    GoalAttainment,
    Invitation,
    Participant,
    Plan,
    PlanEvent,
)
from samplan.web.plans import page
from tests.plans.test_plan_read_queries import _grow, _grow_page, _ove_plan

pytestmark = pytest.mark.django_db

# What differs between two renderings of the same page: tokens, and the idle seconds left,
# which count down between the two requests.
_TOKENS = re.compile(
    r'(name="csrfmiddlewaretoken" value="|name="once_token" value="|nonce="'
    r'|data-session-idle=")[^"]+"'
)


def _page(client: Client, plan: Plan) -> str:
    response = client.get(f"/plans/{plan.pk}/")
    assert response.status_code == 200
    return _TOKENS.sub(r'\1"', response.content.decode())


def _more(plan: Plan) -> None:
    """Rows of every shape: a participant who has left, a follow-up done with goal results,
    an external invitee, more than the newest events the page shows."""
    _grow(plan)
    _grow_page(plan)
    left = Participant.objects.filter(plan=plan, left_at__isnull=True).last()
    assert left is not None
    Participant.objects.filter(pk=left.pk).update(left_at=timezone.now())
    done = FollowUp.objects.filter(plan=plan).order_by("pk").first()
    assert done is not None
    FollowUp.objects.filter(pk=done.pk).update(
        done_at=timezone.now(), result="Bra", attainment=Attainment.values[0]
    )
    for goal in plan.goals.all()[:3]:
        GoalAttainment.objects.create(
            follow_up=done, goal=goal, goal_text=goal.shared_goal, attainment=Attainment.values[-1]
        )
    meeting = plan.meetings.order_by("pk").last()
    assert meeting is not None
    Invitation.objects.create(
        meeting=meeting, external_name="Extern Person", external_organisation="Föreningen"
    )
    for i in range(35):
        PlanEvent.objects.create(
            plan=plan, kind="draft_changed", actor=plan.coordinator, detail={"item": "goal", "n": i}
        )


@pytest.mark.parametrize("grown", [False, True])
def test_the_page_shows_what_the_lists_of_their_own_showed(
    login: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch, grown: bool
) -> None:
    plan = _ove_plan()
    assert plan.coordinator is not None
    if grown:
        _more(plan)
    client = login(plan.coordinator.username)
    folded = _page(client, plan)

    def without_lists(**kwargs: Any) -> tuple[Any, None]:
        reached, _lists = access_plans.access_plan_page(**kwargs)
        return reached, None  # the page then takes every list from the selector's queries

    monkeypatch.setattr(page, "access_plan_page", without_lists)
    separate = _page(client, plan)
    assert folded == separate
    if grown:
        assert "Extern Person" in folded
        assert folded.count('<li><time datetime="') >= 30


def test_the_page_lists_are_the_orms_rows(django_db_blocker: Any) -> None:
    """Each folded row equals the ORM's, field by field and type by type, with its related
    rows and its own lists."""
    from samplan.authz.actor import Actor

    plan = _ove_plan()
    assert plan.coordinator is not None
    _more(plan)
    actor = Actor.for_user(plan.coordinator)
    _reached, lists = access_plans.access_plan_page(actor=actor, plan_id=plan.pk)

    def same(got: list[Any], expected: list[Any], related: tuple[str, ...] = ()) -> None:
        assert len(got) == len(expected)
        for a, b in zip(got, expected, strict=True):
            fields = [f.attname for f in type(b)._meta.concrete_fields]
            assert [(getattr(a, f), type(getattr(a, f))) for f in fields] == [
                (getattr(b, f), type(getattr(b, f))) for f in fields
            ]
            for path in related:
                x, y = a, b
                for name in path.split("__"):
                    if y is None:
                        break
                    x, y = getattr(x, name), getattr(y, name)
                if y is None:
                    assert x is None
                else:
                    same([x], [y])

    same(
        lists.participants,
        list(
            plan.participants.filter(left_at__isnull=True)
            .select_related("unit__organisation")
            .order_by("pk")
        ),
        ("unit", "unit__organisation"),
    )
    meetings = list(plan.meetings.order_by("starts_at", "pk"))
    same(lists.meetings, meetings)
    for got, expected in zip(lists.meetings, meetings, strict=True):
        same(
            list(got.invitations.all()),
            list(expected.invitations.select_related("unit__organisation").order_by("pk")),
            ("unit", "unit__organisation"),
        )
    follow_ups = list(plan.follow_ups.order_by("due_date", "pk"))
    same(lists.follow_ups, follow_ups)
    for done, planned in zip(lists.follow_ups, follow_ups, strict=True):
        same(list(done.goal_results.all()), list(planned.goal_results.order_by("pk")))
    assert any(f.goal_results.all() for f in lists.follow_ups)
    same(
        lists.deviations,
        list(
            plan.deviations.select_related("addressed_to", "reported_unit").order_by(
                "-reported_at", "pk"
            )
        ),
        ("addressed_to", "reported_unit"),
    )
    same(
        lists.versions,
        list(plan.versions.select_related("established_by").order_by("number")),
        ("established_by",),
    )
    same(
        lists.events,
        list(plan.events.select_related("actor", "unit").order_by("-at", "-pk")[:30]),
        ("actor", "unit"),
    )
    assert all(item.plan is _reached.plan for item in lists.events)
