"""Reads the browser suite's server database in a separate process and prints JSON.

The browser tests never open the server's database themselves (pytest-django has already
configured Django for the normal suite's settings by then): they run this script with the
server's environment. `probe.py world` maps the demo world to concrete ids, each with a user
who may open it; `probe.py plan <id>` tells what a test needs to check about one plan.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samplan.settings")

import django

django.setup()

from samplan.accounts.models import User  # noqa: E402
from samplan.authz import policy as authz  # noqa: E402
from samplan.authz.actor import Actor  # noqa: E402
from samplan.authz.policy import Action  # noqa: E402
from samplan.directory.models import Person, Representative  # noqa: E402
from samplan.notify.models import InboxMessage  # noqa: E402
from samplan.plans.links import make_token  # noqa: E402
from samplan.plans.models import (  # noqa: E402
    Deviation,
    FollowUp,
    Invitation,
    InvitationAnswer,
    Meeting,
    Plan,
    PlanState,
)

PREFERRED = ["karin.holm", "omar.haddad"]


def _staff() -> list[tuple[str, Actor]]:
    users = list(User.objects.filter(is_active=True, memberships__isnull=False).distinct())
    users.sort(
        key=lambda u: (
            u.username not in PREFERRED,
            PREFERRED.index(u.username) if u.username in PREFERRED else 0,
            u.username,
        )
    )
    return [(u.username, Actor.for_user(u)) for u in users]


def _who(staff: list[tuple[str, Actor]], action: Action, obj: Any) -> str | None:
    for name, actor in staff:
        if authz.can(actor, action, obj):
            return name
    return None


def world() -> dict[str, Any]:
    staff = _staff()
    out: dict[str, Any] = {"states": {}}
    for plan in Plan.objects.order_by("pk"):
        if plan.state in out["states"]:
            continue
        user = _who(staff, Action.PLAN_EDIT, plan) or _who(staff, Action.PLAN_VIEW, plan)
        if user:
            out["states"][plan.state] = {"plan": plan.pk, "person": plan.person_id, "user": user}

    for rep in Representative.objects.order_by("pk"):
        user = _who(staff, Action.PERSON_EDIT, rep.person)
        if user:
            out["representative"] = {"id": rep.pk, "person": rep.person_id, "user": user}
            break

    admin = User.objects.get(username="admin.ekbacka")
    org = authz.manageable_organisations(Actor.for_user(admin)).order_by("pk").first()
    assert org is not None
    unit = org.units.order_by("pk").first()
    member = User.objects.filter(memberships__unit__organisation=org).order_by("pk").first()
    out["organisation"] = {
        "id": org.pk,
        "unit": unit.pk if unit else None,
        "staff": member.pk if member else None,
        "user": "admin.ekbacka",
    }

    for meeting in Meeting.objects.filter(held_at__isnull=True, cancelled_at__isnull=True):
        if meeting.plan.state in (PlanState.CLOSED, PlanState.PAUSED):
            continue
        user = _who(staff, Action.PLAN_EDIT, meeting.plan)
        if user:
            out["meeting"] = {"plan": meeting.plan_id, "id": meeting.pk, "user": user}
            break

    for inv in Invitation.objects.filter(
        answer=InvitationAnswer.PENDING,
        meeting__held_at__isnull=True,
        meeting__cancelled_at__isnull=True,
    ).order_by("pk"):
        if inv.unit_id is None:
            # The path after /invitation/: the invitation's id and a signed token.
            out.setdefault("external_token", f"{inv.pk}/{make_token(inv)}")
            continue
        user = _who(staff, Action.INVITATION_ANSWER, inv)
        if user and "invitation" not in out:
            out["invitation"] = {"id": inv.pk, "user": user}

    for fu in FollowUp.objects.filter(done_at__isnull=True, plan__state=PlanState.ESTABLISHED):
        user = _who(staff, Action.FOLLOW_UP_RECORD, fu.plan)
        if user:
            out["follow_up"] = {"plan": fu.plan_id, "id": fu.pk, "user": user}
            break

    for dev in Deviation.objects.order_by("pk"):
        user = _who(staff, Action.DEVIATION_HANDLE, dev)
        if user:
            out["deviation"] = {"plan": dev.plan_id, "id": dev.pk, "user": user}
            break

    for plan in Plan.objects.filter(state=PlanState.REVISING).order_by("pk"):
        user = _who(staff, Action.PLAN_EDIT, plan)
        need, goal, iv = plan.needs.first(), plan.goals.first(), plan.interventions.first()
        if user and need and goal and iv:
            out["draft"] = {
                "plan": plan.pk,
                "need": need.pk,
                "goal": goal.pk,
                "intervention": iv.pk,
                "user": user,
            }
            break

    for plan in Plan.objects.filter(versions__isnull=False).distinct().order_by("pk"):
        user = _who(staff, Action.PLAN_VIEW, plan)
        if user:
            out["version"] = {"plan": plan.pk, "number": 1, "user": user}
            break

    karin = User.objects.get(username="karin.holm")
    message = InboxMessage.objects.filter(recipient=karin).order_by("pk").first()
    if message:
        out["inbox_message"] = {"id": message.pk, "user": "karin.holm"}

    for username in ("ove.demosson", "bengt.demosson"):
        own = authz.own_plans(Actor.for_user(User.objects.get(username=username)))
        first = own.order_by("pk").first()
        if first:
            out.setdefault("own", {})[username] = {"plan": first.pk, "person": first.person_id}
    # A fictitious demo person with no plan: found by a look-up with the whole number.
    dmytro = Person.objects.get(given_name="Dmytro", family_name="Demenko")
    out["lookup"] = {"person": dmytro.pk, "number": dmytro.formatted_identifier}
    return out


def plan_info(pk: int) -> dict[str, Any]:
    plan = Plan.objects.get(pk=pk)
    return {
        "state": plan.state,
        "needs": list(plan.needs.values_list("description", flat=True)),
        "versions": plan.versions.count(),
        "revision": plan.revision,
        "time_plan": plan.time_plan,
    }


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "world":
        result: Any = world()
    elif command == "plan":
        result = plan_info(int(sys.argv[2]))
    else:
        raise SystemExit(f"unknown command: {command}")
    print(json.dumps(result))
