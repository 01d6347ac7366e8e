"""The person's other decisions from the own view: which next of kin may see the plan,
approving a version, asking for the plan to end, asking a unit for a SIP, a meeting's
calendar file; each audited and in the plan's history, bad input shown next to its field,
changing nothing and audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from samplan.accounts.models import User
from samplan.directory.models import Representative, RepresentativeKind, Unit
from samplan.notify.models import InboxMessage
from samplan.plans.models import InitiatedBy, Meeting, Plan, PlanVersion
from tests.own.conftest import audited, events

pytestmark = pytest.mark.django_db

type OnCommit = Callable[..., Any]


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: OnCommit) -> OnCommit:
    return django_capture_on_commit_callbacks


@pytest.fixture
def lisa(ove_plan: Plan) -> Representative:
    """Ove's sister, with a login, not (yet) chosen to see the plan."""
    user = User.objects.create_user(username="lisa.demosson", password=None)
    return Representative.objects.create(
        person=ove_plan.person,
        kind=RepresentativeKind.NEXT_OF_KIN,
        name="Lisa Demosson",
        relation="syster",
        user=user,
    )


def test_a_next_of_kin_not_chosen_sees_nothing_until_the_person_chooses(
    ove_plan: Plan, lisa: Representative, person_client: Callable[[str], Client]
) -> None:
    sister, ove = person_client("lisa.demosson"), person_client("ove.demosson")
    plan_url = f"/my/plans/{ove_plan.pk}/"
    document = f"{plan_url}documents/plain_language/"
    assert sister.get(plan_url).status_code == 404
    assert sister.get(document).status_code == 404
    assert "Ove" not in sister.get("/my/plans/").content.decode()

    page = ove.get(f"{plan_url}representatives/")
    assert page.status_code == 200
    assert "Lisa Demosson" in page.content.decode()
    answer = ove.post(f"{plan_url}representatives/", {"may_see_plan": [lisa.pk]})
    assert answer.status_code == 302
    assert sister.get(plan_url).status_code == 200
    assert sister.get(document).status_code == 200
    assert audited("representative.choose_own", person=ove_plan.person) is not None
    assert events(ove_plan)[-1] == "representatives_chosen"

    # Chosen away again: nothing on the very next request.
    assert ove.post(f"{plan_url}representatives/", {"may_see_plan": []}).status_code == 302
    assert sister.get(plan_url).status_code == 404
    assert sister.get(document).status_code == 404
    # The sister may see, but may not decide for Ove.
    lisa.may_see_plan = True
    lisa.save()
    assert sister.get(f"{plan_url}representatives/").status_code == 404
    assert sister.get(f"{plan_url}approve/").status_code == 404
    assert sister.get(f"{plan_url}end/").status_code == 404


def test_choosing_someone_who_is_not_the_persons_representative_changes_nothing(
    ove_plan: Plan, lisa: Representative, person_client: Callable[[str], Client]
) -> None:
    ove = person_client("ove.demosson")
    bengt = Representative.objects.get(name="Bengt Demosson")  # Greta's son, not Ove's
    answer = ove.post(
        f"/my/plans/{ove_plan.pk}/representatives/", {"may_see_plan": [lisa.pk, bengt.pk]}
    )
    assert answer.status_code == 400
    assert "Välj bland dina närstående och företrädare" in answer.content.decode()
    lisa.refresh_from_db()
    assert not lisa.may_see_plan
    invalid = audited("representative.choose_own", outcome="invalid")
    assert invalid is not None
    assert invalid.detail == {"fields": ["may_see_plan"]}


def test_an_approval_is_recorded_on_the_version_and_shows(
    ove_plan: Plan, person_client: Callable[[str], Client], on_commit: OnCommit
) -> None:
    ove, karin = person_client("ove.demosson"), person_client("karin.holm")
    version = ove_plan.versions.get(number=1)
    assert version.approved_at is None
    # Established without the person's approval: the pages say so.
    without = "upprättades utan personens registrerade godkännande"
    assert without in ove.get(f"/my/plans/{ove_plan.pk}/").content.decode()
    assert without in karin.get(f"/plans/{ove_plan.pk}/versions/1/").content.decode()

    assert ove.get(f"/my/plans/{ove_plan.pk}/approve/").status_code == 200
    with on_commit(execute=True):
        answer = ove.post(f"/my/plans/{ove_plan.pk}/approve/", {"version": version.pk})
    assert answer.status_code == 302
    version.refresh_from_db()
    assert version.approved_at is not None
    assert version.approved_by == ove_plan.person.user
    assert version.approved_by_representative is None
    assert version.person_participation == "approved"
    assert (
        "Personen har godkänt versionen." in ove.get(f"/my/plans/{ove_plan.pk}/").content.decode()
    )
    staff = karin.get(f"/plans/{ove_plan.pk}/versions/1/").content.decode()
    assert "Personen har godkänt versionen." in staff
    assert audited("plan.approve_own", person=ove_plan.person) is not None
    assert events(ove_plan)[-1] == "version_approved"
    assert "Personen godkände versionen" in karin.get(f"/plans/{ove_plan.pk}/").content.decode()
    assert InboxMessage.objects.filter(
        recipient=ove_plan.coordinator, plan=ove_plan, subject__contains="godkänt"
    ).exists()

    # Twice: a message next to the field, nothing changed, audited.
    again = ove.post(f"/my/plans/{ove_plan.pk}/approve/", {"version": version.pk})
    assert again.status_code == 400
    assert "redan godkänd" in again.content.decode()
    assert audited("plan.approve_own", outcome="invalid") is not None


def test_approving_a_version_of_another_persons_plan_is_refused(
    ove_plan: Plan, person_client: Callable[[str], Client]
) -> None:
    ove = person_client("ove.demosson")
    greta_version = PlanVersion.objects.get(plan__person__given_name="Greta", number=1)
    answer = ove.post(f"/my/plans/{ove_plan.pk}/approve/", {"version": greta_version.pk})
    assert answer.status_code == 400
    text = answer.content.decode()
    assert "Välj en version av din egen plan." in text
    assert "Greta" not in text
    greta_version.refresh_from_db()
    assert greta_version.approved_at is None
    invalid = audited("plan.approve_own", outcome="invalid")
    assert invalid is not None
    assert invalid.detail == {"fields": ["version"]}
    assert invalid.person == ove_plan.person
    # Through Greta's plan itself: the same 404 as a missing plan, audited.
    greta_plan = greta_version.plan
    answer = ove.post(f"/my/plans/{greta_plan.pk}/approve/", {"version": greta_version.pk})
    assert answer.status_code == 404
    assert audited("plan.view_own", outcome="denied") is not None


def test_asking_to_end_the_plan_tells_the_coordinator_who_closes_it(
    ove_plan: Plan, person_client: Callable[[str], Client], on_commit: OnCommit
) -> None:
    ove, karin = person_client("ove.demosson"), person_client("karin.holm")
    with on_commit(execute=True):
        answer = ove.post(f"/my/plans/{ove_plan.pk}/end/", {"note": "Jag klarar mig själv nu."})
    assert answer.status_code == 302
    ove_plan.refresh_from_db()
    assert ove_plan.state == "established"  # the coordinator closes it
    message = InboxMessage.objects.get(recipient=ove_plan.coordinator, plan=ove_plan)
    assert "avslutas" in message.subject
    assert audited("plan.request_end_own", person=ove_plan.person) is not None
    assert events(ove_plan)[-1] == "end_requested"
    assert (
        "Personen bad om att planen avslutas"
        in karin.get(f"/plans/{ove_plan.pk}/").content.decode()
    )
    too_long = ove.post(f"/my/plans/{ove_plan.pk}/end/", {"note": "x" * 2001})
    assert too_long.status_code == 400
    assert audited("plan.request_end_own", outcome="invalid") is not None


def test_asking_a_unit_for_a_sip_reaches_that_unit(
    ove_plan: Plan, person_client: Callable[[str], Client], on_commit: OnCommit
) -> None:
    ove = person_client("ove.demosson")
    unit = Unit.objects.filter(organisation__kind="region", is_active=True).order_by("pk").first()
    assert unit is not None
    form = ove.get("/my/request/")
    assert form.status_code == 200
    assert unit.name in form.content.decode()
    before = set(Plan.objects.values_list("pk", flat=True))
    with on_commit(execute=True):
        answer = ove.post(
            "/my/request/",
            {"person": ove_plan.person_id, "unit": unit.pk, "note": "Jag bollas runt."},
        )
    assert answer.status_code == 302
    (new,) = Plan.objects.exclude(pk__in=before)
    assert new.person == ove_plan.person
    assert new.initiating_unit == unit
    assert new.initiated_by == InitiatedBy.PERSON
    assert new.reasons == ["person_request"]
    assert events(new) == ["initiated"]
    assert audited("plan.request_own", person=ove_plan.person) is not None
    staff = User.objects.filter(memberships__unit=unit, memberships__is_active=True).first()
    assert staff is not None
    assert InboxMessage.objects.filter(recipient=staff, plan=new).exists()
    # The unit sees the request as its own initiative.
    client = Client()
    client.force_login(staff)
    client.post("/acting-unit/", {"unit": unit.pk})
    assert client.get(f"/plans/{new.pk}/").status_code == 200
    # And the person sees it among his plans.
    assert ove.get(f"/my/plans/{new.pk}/").status_code == 200


def test_asking_a_unit_that_does_not_exist_changes_nothing(
    ove_plan: Plan, person_client: Callable[[str], Client]
) -> None:
    ove = person_client("ove.demosson")
    count = Plan.objects.count()
    answer = ove.post("/my/request/", {"person": ove_plan.person_id, "unit": 999999})
    assert answer.status_code == 400
    assert "Den du valde finns inte i listan" in answer.content.decode()
    other = Plan.objects.get(person__given_name="Greta").person_id
    answer = ove.post("/my/request/", {"person": other, "unit": 999999})
    assert answer.status_code == 400
    assert "Välj vem begäran gäller" in answer.content.decode()
    assert Plan.objects.count() == count
    assert audited("plan.request_own", outcome="invalid") is not None


def test_an_upcoming_meeting_as_a_calendar_file(
    ove_plan: Plan, person_client: Callable[[str], Client]
) -> None:
    ove = person_client("ove.demosson")
    starts = timezone.now() + timedelta(days=7)
    assert ove_plan.coordinator is not None
    meeting = Meeting.objects.create(
        plan=ove_plan,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        mode="physical",
        location="Stadshuset, rum 3",
        organiser=ove_plan.coordinator,
    )
    page = ove.get(f"/my/plans/{ove_plan.pk}/").content.decode()
    url = f"/my/plans/{ove_plan.pk}/meetings/{meeting.pk}/calendar.ics"
    assert url in page
    answer = ove.get(url)
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/calendar")
    body = answer.content.decode()
    assert "BEGIN:VEVENT" in body
    assert meeting.uid in body
    assert "Stadshuset" in body
    assert audited("meeting.calendar_own", person=ove_plan.person) is not None
    assert events(ove_plan)[-1] == "calendar_fetched"
    # Not someone else's meeting, not a cancelled one.
    greta = Plan.objects.get(person__given_name="Greta")
    assert ove.get(f"/my/plans/{greta.pk}/meetings/{meeting.pk}/calendar.ics").status_code == 404
    meeting.cancelled_at = timezone.now()
    meeting.save()
    assert ove.get(url).status_code == 404
