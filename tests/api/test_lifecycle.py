"""One plan through its life, only through the API: initiate, consent, meeting, answer, held,
content, establish, revise, establish again, close."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from samplan.demo.world import person_number
from samplan.directory.models import Organisation, Unit
from samplan.plans.models import Plan, PlanVersion

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json() if status != 204 else None


def test_whole_lifecycle_through_the_api(api: Callable[..., ApiClient]) -> None:
    karin, omar = api("karin.holm"), api("omar.haddad")
    ekbacka = Organisation.objects.get(name="Ekbacka kommun")
    region = Organisation.objects.get(name="Region Sjöland")
    psykiatri = Unit.objects.get(name="Öppenpsykiatri Sjöstad")

    person = ok(
        karin.post(
            "persons",
            {
                "identifier": person_number(date(1984, 3, 9), 417),
                "given_name": "Selma",
                "family_name": "Apitest",
            },
        ),
        201,
    )
    # Registering a person opens the start of a plan, not the search: that covers only the
    # persons the unit has a relation with.
    assert ok(karin.post("persons/search", {"query": "Apitest"})) == []

    plan = ok(karin.post("plans", {"person": person["id"], "reasons": ["several_services"]}), 201)
    pid = plan["id"]
    assert plan["state"] == "initiated"
    # Before consent only the initiating unit sees the initiative.
    assert omar.get(f"plans/{pid}").status_code == 404

    consent = ok(
        karin.post(
            f"plans/{pid}/consents",
            {
                "decision": "given",
                "method": "oral",
                "organisations": [ekbacka.pk, region.pk],
                "information_kinds": ["plan", "health", "social"],
            },
        ),
        201,
    )
    assert consent["organisations"] == sorted([ekbacka.pk, region.pk])
    assert ok(karin.get(f"plans/{pid}"))["state"] == "consented"

    start = timezone.now() + timedelta(minutes=20)
    meeting = ok(
        karin.post(
            f"plans/{pid}/meetings",
            {
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(),
                "mode": "physical",
                "location": "Socialkontoret, Storgatan 1",
                "units": [psykiatri.pk],
                "externals": [{"name": "Kim Kurator", "email": "kim@skola.example"}],
            },
        ),
        201,
    )
    assert ok(karin.get(f"plans/{pid}"))["state"] == "invited"
    moved = ok(
        karin.put(
            f"meetings/{meeting['id']}",
            {
                "starts_at": (start + timedelta(minutes=5)).isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(),
                "mode": "digital",
                "video_url": "https://video.example/sip",
            },
        )
    )
    assert moved["sequence"] == 1
    assert moved["mode"] == "digital"

    invitation = next(i for i in meeting["invitations"] if i["unit_id"] == psykiatri.pk)
    worklist = ok(omar.get("worklist"))
    assert invitation["id"] in [i["id"] for i in worklist["invitations"]]
    answered = ok(omar.post(f"invitations/{invitation['id']}/answer", {"answer": "accepted"}))
    assert answered["answer"] == "accepted"
    # Taking part, with consent covering the region, opens the plan to the psychiatry unit.
    assert omar.get(f"plans/{pid}").status_code == 200

    held = ok(karin.post(f"meetings/{meeting['id']}/held", {"attended": [invitation["id"]]}))
    assert held["held_at"] is not None
    assert ok(karin.get(f"plans/{pid}"))["state"] == "meeting_held"

    # Incomplete: 409 with what is missing.
    refused = karin.post(f"plans/{pid}/establish")
    assert refused.status_code == 409
    missing = {m["key"] for m in refused.json()["missing"]}
    assert {"needs", "goals", "interventions", "lead_organisation", "coordinator"} <= missing

    ok(karin.post(f"plans/{pid}/needs", {"kind": "need", "description": "Stöd i vardagen"}), 201)
    goal = ok(karin.post(f"plans/{pid}/goals", {"shared_goal": "Bo kvar hemma"}), 201)
    for org, unit, text in ((ekbacka, None, "Boendestöd"), (region, psykiatri, "Behandling")):
        ok(
            karin.post(
                f"plans/{pid}/interventions",
                {
                    "description": text,
                    "responsible_organisation": org.pk,
                    "responsible_unit": unit.pk if unit else None,
                    "status": "decided",
                    "goal": goal["id"],
                },
            ),
            201,
        )
    revision = ok(karin.get(f"plans/{pid}"))["revision"]
    karin_id = ok(karin.get(f"plans/{pid}"))["initiating_unit_id"]
    assert karin_id
    details = ok(
        karin.patch(
            f"plans/{pid}",
            {
                "revision": revision,
                "lead_organisation": ekbacka.pk,
                "coordinator": Plan.objects.get(pk=pid).initiating_user_id,
                "coordinator_phone": "010-123 45 67",
                "time_plan": "Start direkt, avstämning varje månad.",
                "evaluation_plan": "Uppföljning efter tre månader.",
            },
        )
    )
    assert details["revision"] == revision + 1
    ok(
        karin.post(
            f"plans/{pid}/follow-ups",
            {"due_date": (date.today() + timedelta(days=90)).isoformat(), "what": "Målen"},
        ),
        201,
    )

    first = ok(karin.post(f"plans/{pid}/establish"), 201)
    assert first["number"] == 1
    assert first["content"]["lead_organisation"] == "Ekbacka kommun"
    assert ok(karin.get(f"plans/{pid}"))["state"] == "established"
    # An established plan does not change: a second establish is a refused step.
    assert karin.post(f"plans/{pid}/establish").status_code == 409

    assert ok(karin.post(f"plans/{pid}/revise", {"reason": "Ny insats"}))["state"] == "revising"
    ok(karin.patch(f"plans/{pid}", {"title": "Selmas plan"}))
    second = ok(karin.post(f"plans/{pid}/establish"), 201)
    assert second["number"] == 2
    diff = ok(karin.get(f"plans/{pid}/versions/1/diff/2"))
    assert {"section": "title", "kind": "changed", "before": "", "after": "Selmas plan"} in diff[
        "changes"
    ]
    assert ok(karin.get(f"plans/{pid}/versions/1"))["content"]["title"] == ""
    assert karin.get(f"plans/{pid}/versions/3").status_code == 404

    closed = ok(karin.post(f"plans/{pid}/close", {"reason": "goals_reached"}))
    assert closed["state"] == "closed"
    assert PlanVersion.objects.filter(plan_id=pid).count() == 2
    full = ok(karin.get(f"plans/{pid}"))
    assert full["closure_reason"] == "goals_reached"
    assert [v["number"] for v in full["versions"]] == [1, 2]
    assert len(full["interventions"]) == 2
