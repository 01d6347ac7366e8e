"""The SIP lifecycle's pages: each form's success and error path, refused steps, access."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from samplan.accounts.models import User
from samplan.audit.models import AuditEvent, Outcome
from samplan.authz.actor import Actor
from samplan.consent import services as consent_services
from samplan.consent.models import Consent, ConsentDecision, ConsentMethod, InformationKind
from samplan.directory.models import Organisation, Person, Unit
from samplan.plans import services
from samplan.plans.links import make_token
from samplan.plans.models import (
    Attainment,
    ClosureReason,
    Deviation,
    DeviationKind,
    DeviationStatus,
    FollowUp,
    Goal,
    InitiativeReason,
    Intervention,
    InterventionStatus,
    Invitation,
    InvitationAnswer,
    Meeting,
    MeetingMode,
    Need,
    NeedKind,
    Plan,
    PlanState,
)
from tests.factories import look_up

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]
STOCKHOLM = ZoneInfo("Europe/Stockholm")


# A plan built through the services, step by step ------------------------------------------


def actor(username: str) -> Actor:
    return Actor.for_user(User.objects.get(username=username))


def org(name: str) -> Organisation:
    return Organisation.objects.get(name=name)


def unit(name: str) -> Unit:
    return Unit.objects.get(name=name)


def person(given: str, family: str) -> Person:
    return Person.objects.get(given_name=given, family_name=family)


def initiate(who: Person | None = None, **fields: object) -> Plan:
    karin = actor("karin.holm")
    return services.plan_initiate(
        actor=karin,
        person=look_up(karin, who or person("Ove", "Demosson")),
        reasons=[InitiativeReason.BOUNCED_AROUND],
        **fields,  # type: ignore[arg-type]
    )


def consent(plan: Plan) -> Consent:
    return consent_services.consent_record(
        actor=actor("karin.holm"),
        plan=plan,
        decision=ConsentDecision.GIVEN,
        method=ConsentMethod.ORAL,
        organisations=[org("Ekbacka kommun"), org("Region Sjöland")],
        information_kinds=[InformationKind.PLAN, InformationKind.HEALTH],
    )


def schedule(plan: Plan, *, minutes: int = 10) -> Meeting:
    start = timezone.now() + timedelta(minutes=minutes)
    return services.meeting_schedule(
        actor=actor("karin.holm"),
        plan=plan,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        mode=MeetingMode.PHYSICAL,
        location="Ekbacka kommunhus, rum 3",
        units=[unit("Öppenpsykiatri Sjöstad")],
        externals=[services.ExternalInvitee("Kim Rektor", "kim@skola.example", "Skolan")],
    )


def unit_invitation(meeting: Meeting) -> Invitation:
    return meeting.invitations.get(unit__isnull=False)


def external_invitation(meeting: Meeting) -> Invitation:
    return meeting.invitations.get(unit__isnull=True)


def hold(plan: Plan) -> Meeting:
    meeting = schedule(plan)
    services.invitation_answer(
        actor=actor("omar.haddad"),
        invitation=unit_invitation(meeting),
        answer=InvitationAnswer.ACCEPTED,
    )
    return services.meeting_record_held(
        actor=actor("karin.holm"), meeting=meeting, attended=list(meeting.invitations.all())
    )


def fill(plan: Plan) -> None:
    """Everything a plan must hold, so that it can be established."""
    karin = actor("karin.holm")
    services.need_add(actor=karin, plan=plan, kind=NeedKind.NEED, description="Stöd i vardagen")
    goal = services.goal_add(
        actor=karin, plan=plan, shared_goal="Eget boende", person_words="Bo själv"
    )
    services.intervention_add(
        actor=karin,
        plan=plan,
        description="Boendestöd två gånger i veckan",
        responsible_organisation=org("Ekbacka kommun"),
        status=InterventionStatus.DECIDED,
        goal=goal,
    )
    services.plan_update_details(
        actor=karin,
        plan=plan,
        lead_organisation=org("Ekbacka kommun"),
        coordinator=User.objects.get(username="karin.holm"),
        coordinator_phone="010-123 45 67",
        coordinator_email="karin.holm@example.org",
        time_plan="Möte var tredje månad",
        evaluation_plan="Målen följs upp i juni",
    )
    services.follow_up_schedule(
        actor=karin, plan=plan, due_date=timezone.localdate() + timedelta(days=90), what="Boendet"
    )


@pytest.fixture
def initiated(db: None) -> Plan:
    return initiate()


@pytest.fixture
def consented(initiated: Plan) -> Plan:
    consent(initiated)
    initiated.refresh_from_db()
    return initiated


@pytest.fixture
def invited(consented: Plan) -> tuple[Plan, Meeting]:
    meeting = schedule(consented)
    consented.refresh_from_db()
    return consented, meeting


@pytest.fixture
def held(consented: Plan) -> Plan:
    hold(consented)
    consented.refresh_from_db()
    return consented


@pytest.fixture
def complete(held: Plan) -> Plan:
    fill(held)
    held.refresh_from_db()
    return held


@pytest.fixture
def established(complete: Plan) -> Plan:
    services.plan_establish(actor=actor("karin.holm"), plan=complete)
    complete.refresh_from_db()
    return complete


def url(name: str, *args: object) -> str:
    return reverse(name, args=args)


def page(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def follow_message(client: Client, response: object) -> str:
    assert response.status_code == 302  # type: ignore[attr-defined]
    return page(client.get(response["Location"]))  # type: ignore[index]


# Worklist and initiative ------------------------------------------------------------------


def test_worklist_shows_pending_invitation_with_answer_link(
    login: Login, invited: tuple[Plan, Meeting]
) -> None:
    _plan, meeting = invited
    html = page(login("omar.haddad").get(url("worklist")))
    assert "Kallelser att besvara" in html
    invitations = html.split('id="h-invitations"')[1].split('id="h-coordinated"')[0]
    assert url("invitation_answer", unit_invitation(meeting).pk) in invitations
    # The invited unit does not take part yet: the invitations name no person.
    assert "Demosson" not in invitations


def test_worklist_lists_overdue_initiative_and_missing_items(login: Login) -> None:
    plan = initiate(initiated_on=timezone.localdate() - timedelta(days=60))
    html = page(login("karin.holm").get(url("worklist")))
    late = html.split('id="h-deadlines"')[1].split('id="h-drafts"')[0]
    assert "Tidsgränsen passerad" in late
    assert plan.get_absolute_url() in late
    drafts = html.split('id="h-drafts"')[1]
    assert plan.get_absolute_url() in drafts
    assert "Gällande samtycke från personen" in drafts  # a missing item of the draft


def test_person_page_lists_plans_and_offers_to_start_one(login: Login, initiated: Plan) -> None:
    html = page(login("karin.holm").get(initiated.person.get_absolute_url()))
    assert initiated.get_absolute_url() in html
    assert url("plan_initiate", initiated.person.pk) in html


def test_initiate_a_plan(login: Login) -> None:
    ove = person("Ove", "Demosson")
    client = login("karin.holm")
    before = set(Plan.objects.filter(person=ove).values_list("pk", flat=True))
    assert client.get(url("plan_initiate", ove.pk)).status_code == 200
    response = client.post(
        url("plan_initiate", ove.pk),
        {
            "reasons": [InitiativeReason.BOUNCED_AROUND, InitiativeReason.REPEATED_VISITS],
            "need_groups": ["psychiatric_addiction"],
            "initiated_by": "staff",
            "initiated_on": timezone.localdate().isoformat(),
            "plan_type": "SIP",
            "note": "Bollas mellan psykiatrin och socialtjänsten",
        },
    )
    plan = Plan.objects.filter(person=ove).exclude(pk__in=before).get()
    assert response.status_code == 302
    assert response["Location"] == plan.get_absolute_url()
    assert plan.state == PlanState.INITIATED
    assert plan.reasons == ["bounced_around", "repeated_visits"]
    assert "Mötet ska hållas senast" in follow_message(client, response)


def test_initiate_without_reason_is_refused_at_the_field(login: Login) -> None:
    ove = person("Ove", "Demosson")
    before = Plan.objects.filter(person=ove).count()
    response = login("karin.holm").post(
        url("plan_initiate", ove.pk),
        {"initiated_by": "staff", "plan_type": "IP", "note": "x"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "Ange minst ett skäl till initiativet." in form.errors["reasons"]
    assert "LSS-beslut" in form.errors["lss_decision_date"][0]
    assert 'aria-invalid="true"' in page(response) or "errorlist" in page(response)
    assert Plan.objects.filter(person=ove).count() == before


# The plan page and access -------------------------------------------------------------------


def test_plan_page_shows_state_person_deadline_and_missing_items(
    login: Login, initiated: Plan
) -> None:
    response = login("karin.holm").get(initiated.get_absolute_url())
    html = page(response)
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert "Ove Demosson" in html
    assert initiated.person.formatted_identifier in html
    assert "Initierad" in html
    assert "Det finns inget gällande samtycke." in html
    assert "Gällande samtycke från personen" in html  # what is missing
    assert url("consent_record", initiated.pk) in html
    # No meeting can be called before consent.
    assert url("meeting_schedule", initiated.pk) not in html
    assert initiated.person.phone in html


def test_protected_person_has_no_contact_details_on_the_plan_page(login: Login) -> None:
    sanna = person("Sanna", "Skyddsdotter")
    plan = initiate(sanna)
    response = login("karin.holm").get(plan.get_absolute_url())
    assert response.status_code == 200
    assert response.context["show_contact"] is False
    assert "Skyddade personuppgifter." in page(response)


def test_other_organisation_without_consent_gets_404(login: Login, consented: Plan) -> None:
    # Strandvik is not covered by the consent; Beroendevård does not take part.
    for username in ("johan.dahl", "eva.strom"):
        client = login(username)
        assert client.get(consented.get_absolute_url()).status_code == 404
        assert client.get(url("need_add", consented.pk)).status_code == 404
        assert AuditEvent.objects.filter(
            actor=User.objects.get(username=username), outcome="denied"
        ).exists()
    # A missing plan looks the same.
    assert login("karin.holm").get(url("plan_detail", 999999)).status_code == 404


def test_before_consent_only_the_initiating_unit_sees_the_plan(
    login: Login, initiated: Plan
) -> None:
    assert login("omar.haddad").get(initiated.get_absolute_url()).status_code == 404
    assert login("ali.yilmaz").get(initiated.get_absolute_url()).status_code == 200


def test_participant_without_edit_right_sees_no_edit_buttons(login: Login, held: Plan) -> None:
    html = page(login("omar.haddad").get(held.get_absolute_url()))
    assert "Ove Demosson" in html
    assert url("need_add", held.pk) not in html
    assert url("plan_establish", held.pk) not in html
    assert url("deviation_report", held.pk) in html


def test_plan_page_query_count_does_not_grow_with_content(
    login: Login, held: Plan, django_assert_max_num_queries: Any
) -> None:
    fill(held)
    client = login("karin.holm")
    client.get(held.get_absolute_url())  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as small:
        assert client.get(held.get_absolute_url()).status_code == 200
    karin = actor("karin.holm")
    goal = Goal.objects.filter(plan=held).first()
    for i in range(6):
        services.need_add(actor=karin, plan=held, kind=NeedKind.INTEREST, description=f"n{i}")
        services.goal_add(actor=karin, plan=held, shared_goal=f"g{i}")
        services.intervention_add(
            actor=karin,
            plan=held,
            description=f"i{i}",
            responsible_organisation=org("Region Sjöland"),
            responsible_unit=unit("Öppenpsykiatri Sjöstad"),
            status=InterventionStatus.PLANNED,
            goal=goal,
        )
    with django_assert_max_num_queries(len(small)):
        assert client.get(held.get_absolute_url()).status_code == 200


# Consent ------------------------------------------------------------------------------------


def test_record_consent(login: Login, initiated: Plan) -> None:
    client = login("karin.holm")
    assert client.get(url("consent_record", initiated.pk)).status_code == 200
    response = client.post(
        url("consent_record", initiated.pk),
        {
            "decision": "given",
            "method": "written",
            "organisations": [org("Ekbacka kommun").pk, org("Region Sjöland").pk],
            "information_kinds": ["plan", "social"],
            "given_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    initiated.refresh_from_db()
    assert initiated.state == PlanState.CONSENTED
    html = follow_message(client, response)
    assert "Gällande samtycke" in html
    assert "Region Sjöland" in html


def test_consent_without_organisations_is_refused_at_the_field(
    login: Login, initiated: Plan
) -> None:
    response = login("karin.holm").post(
        url("consent_record", initiated.pk),
        {"decision": "given", "method": "oral", "information_kinds": ["plan"]},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["organisations"] == [
        "Välj vilka organisationer samtycket gäller."
    ]
    assert not Consent.objects.filter(plan=initiated).exists()


def test_consent_for_a_child_needs_a_guardian(login: Login) -> None:
    liam = person("Liam", "Demoberg")
    plan = initiate(liam)
    client = login("karin.holm")
    data = {
        "decision": "given",
        "method": "oral",
        "organisations": [org("Ekbacka kommun").pk],
        "information_kinds": ["plan"],
    }
    response = client.post(url("consent_record", plan.pk), data)
    assert response.status_code == 400
    assert "vårdnadshavare" in response.context["form"].errors["representative"][0]
    guardian = liam.representatives.get(name="Johanna Demoberg")
    response = client.post(url("consent_record", plan.pk), {**data, "representative": guardian.pk})
    assert response.status_code == 302
    assert Consent.objects.get(plan=plan).given_by_representative == guardian


def test_revoke_consent_pauses_the_plan(login: Login, consented: Plan) -> None:
    client = login("karin.holm")
    assert client.get(url("consent_revoke", consented.pk)).status_code == 200
    response = client.post(url("consent_revoke", consented.pk), {"note": "Vill inte längre"})
    assert response.status_code == 302
    consented.refresh_from_db()
    assert consented.state == PlanState.PAUSED
    # A second revocation is a refused step: a message on the plan page, nothing changed.
    response = client.post(url("consent_revoke", consented.pk), {"note": ""})
    assert "Det finns inget gällande samtycke att återkalla." in follow_message(client, response)


# Meetings and invitations -------------------------------------------------------------------


def test_schedule_a_meeting_in_swedish_time(login: Login, consented: Plan) -> None:
    client = login("karin.holm")
    response = client.get(url("meeting_schedule", consented.pk))
    assert response.status_code == 200
    # Only units of organisations that the consent covers are offered.
    assert "Öppenpsykiatri Sjöstad" in page(response)
    assert "Socialpsykiatri Strandvik" not in page(response)
    day = timezone.localdate() + timedelta(days=7)
    response = client.post(
        url("meeting_schedule", consented.pk),
        {
            "starts_at": f"{day.isoformat()}T09:30",
            "ends_at": f"{day.isoformat()}T11:00",
            "mode": "digital",
            "video_url": "https://video.example/sip-1",
            "agenda": "Första SIP-mötet",
            "units": [unit("Öppenpsykiatri Sjöstad").pk],
            "ext1_name": "Kim Rektor",
            "ext1_email": "kim@skola.example",
            "ext1_organisation": "Ekbackaskolan",
        },
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get(plan=consented)
    assert meeting.starts_at == datetime(day.year, day.month, day.day, 9, 30, tzinfo=STOCKHOLM)
    assert meeting.invitations.count() == 2
    consented.refresh_from_db()
    assert consented.state == PlanState.INVITED
    html = follow_message(client, response)
    assert "Kim Rektor (Ekbackaskolan)" in html
    assert "Inte besvarad" in html


def test_meeting_that_ends_before_it_starts_is_refused_at_the_field(
    login: Login, consented: Plan
) -> None:
    day = (timezone.localdate() + timedelta(days=7)).isoformat()
    response = login("karin.holm").post(
        url("meeting_schedule", consented.pk),
        {
            "starts_at": f"{day}T10:00",
            "ends_at": f"{day}T09:00",
            "mode": "physical",
            "location": "Rum 3",
            "units": [unit("Öppenpsykiatri Sjöstad").pk],
            "ext2_name": "Utan E-post",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["ext2_email"] == ["Ange en e-postadress för kallelsen."]
    assert not Meeting.objects.filter(plan=consented).exists()
    response = login("karin.holm").post(
        url("meeting_schedule", consented.pk),
        {
            "starts_at": f"{day}T10:00",
            "ends_at": f"{day}T09:00",
            "mode": "physical",
            "location": "Rum 3",
            "units": [unit("Öppenpsykiatri Sjöstad").pk],
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["ends_at"] == ["Mötet måste sluta efter att det börjar."]
    assert not Meeting.objects.filter(plan=consented).exists()


def test_inviting_after_closure_is_refused_and_changes_nothing(
    login: Login, consented: Plan
) -> None:
    services.plan_close(actor=actor("karin.holm"), plan=consented, reason=ClosureReason.MOVED)
    client = login("karin.holm")
    html = page(client.get(consented.get_absolute_url()))
    assert url("meeting_schedule", consented.pk) not in html
    day = (timezone.localdate() + timedelta(days=7)).isoformat()
    response = client.post(
        url("meeting_schedule", consented.pk),
        {
            "starts_at": f"{day}T10:00",
            "ends_at": f"{day}T11:00",
            "mode": "physical",
            "location": "Rum 3",
            "units": [unit("Öppenpsykiatri Sjöstad").pk],
        },
    )
    assert response.status_code == 302
    assert "Det går inte att kalla till möte" in follow_message(client, response)
    assert not Meeting.objects.filter(plan=consented).exists()


def test_change_cancel_and_invite_more(login: Login, invited: tuple[Plan, Meeting]) -> None:
    plan, meeting = invited
    client = login("karin.holm")
    start = timezone.localtime(meeting.starts_at) + timedelta(days=1)
    assert client.get(url("meeting_edit", plan.pk, meeting.pk)).status_code == 200
    response = client.post(
        url("meeting_edit", plan.pk, meeting.pk),
        {
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "mode": "physical",
            "location": "",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["location"] == ["Ange var mötet hålls."]
    response = client.post(
        url("meeting_edit", plan.pk, meeting.pk),
        {
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "mode": "physical",
            "location": "Rum 4",
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.location, meeting.sequence) == ("Rum 4", 1)

    response = client.post(
        url("invitation_add", plan.pk, meeting.pk),
        {"unit": "", "ext1_name": "Hanna FK", "ext1_email": "hanna@fk.example"},
    )
    assert response.status_code == 302
    assert meeting.invitations.count() == 3

    response = client.post(url("meeting_cancel", plan.pk, meeting.pk), {"note": "Sjuk"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.cancelled_at is not None
    plan.refresh_from_db()
    assert plan.state == PlanState.CONSENTED


def test_record_meeting_held_with_attendance(login: Login, invited: tuple[Plan, Meeting]) -> None:
    plan, meeting = invited
    client = login("karin.holm")
    assert url("meeting_held", plan.pk, meeting.pk) in page(client.get(plan.get_absolute_url()))
    response = client.post(
        url("meeting_held", plan.pk, meeting.pk),
        {"attended": [unit_invitation(meeting).pk], "minutes": "Bra möte"},
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.state == PlanState.MEETING_HELD
    assert unit_invitation(meeting).attended is True
    assert external_invitation(meeting).attended is False


def test_staff_answer_invitation(login: Login, invited: tuple[Plan, Meeting]) -> None:
    plan, meeting = invited
    invitation = unit_invitation(meeting)
    client = login("omar.haddad")
    response = client.get(url("invitation_answer", invitation.pk))
    assert response.status_code == 200
    assert "Ekbacka kommunhus, rum 3" in page(response)
    response = client.post(url("invitation_answer", invitation.pk), {"answer": "declined"})
    assert response.status_code == 400
    assert response.context["form"].errors["decline_reason"] == ["Ange varför ni inte kan komma."]
    invitation.refresh_from_db()
    assert invitation.answer == InvitationAnswer.PENDING
    response = client.post(url("invitation_answer", invitation.pk), {"answer": "accepted"})
    assert response.status_code == 302
    # Accepting makes the unit a participant: the plan opens to it.
    assert response["Location"] == plan.get_absolute_url() + "#meetings"
    assert client.get(plan.get_absolute_url()).status_code == 200
    # Staff of another unit cannot answer for Öppenpsykiatri.
    assert login("eva.strom").get(url("invitation_answer", invitation.pk)).status_code == 404


def test_external_answer_page_works_without_login(
    client: Client, invited: tuple[Plan, Meeting]
) -> None:
    _plan, meeting = invited
    invitation = external_invitation(meeting)
    target = url("invitation_answer_external", invitation.pk, make_token(invitation))
    response = client.get(target)
    assert response.status_code == 200
    html = page(response)
    assert "Ekbacka kommunhus, rum 3" in html
    assert "Demosson" not in html
    assert invitation.meeting.plan.person.formatted_identifier not in html
    response = client.post(target, {"answer": "represented"})
    assert response.status_code == 400
    assert response.context["form"].errors["represented_by"] == ["Ange vem som företräder er."]
    response = client.post(target, {"answer": "represented", "represented_by": "Biträdande rektor"})
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.answer == InvitationAnswer.REPRESENTED
    assert "Tack! Ditt svar är registrerat." in page(client.get(target))


def test_external_answer_page_with_a_wrong_token_is_404(
    client: Client, invited: tuple[Plan, Meeting]
) -> None:
    _plan, meeting = invited
    external = external_invitation(meeting)
    for target in (
        url("invitation_link_old", "x" * 64),
        url("invitation_answer_external", external.pk, "x" * 64),
    ):
        assert client.get(target).status_code == 404
        assert client.post(target, {"answer": "accepted"}).status_code == 404
    # A unit's invitation is answered by its staff, not through a link.
    target = url("invitation_answer_external", unit_invitation(meeting).pk, make_token(external))
    assert client.get(target).status_code == 404


# The draft -----------------------------------------------------------------------------------


def test_plan_details_are_saved(login: Login, held: Plan) -> None:
    client = login("karin.holm")
    response = client.get(url("plan_details_edit", held.pk))
    assert response.status_code == 200
    response = client.post(
        url("plan_details_edit", held.pk),
        {
            "revision": held.revision,
            "lead_organisation": org("Ekbacka kommun").pk,
            "coordinator": User.objects.get(username="karin.holm").pk,
            "coordinator_phone": "010-123 45 67",
            "coordinator_email": "karin.holm@example.org",
            "time_plan": "Möte var tredje månad",
            "evaluation_plan": "Målen följs upp i juni",
        },
    )
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.coordinator is not None
    assert held.coordinator.username == "karin.holm"
    assert held.lead_organisation == org("Ekbacka kommun")


def test_stale_plan_details_keep_the_input_and_change_nothing(login: Login, held: Plan) -> None:
    stale = held.revision
    services.need_add(actor=actor("karin.holm"), plan=held, kind=NeedKind.NEED, description="x")
    response = login("karin.holm").post(
        url("plan_details_edit", held.pk),
        {"revision": stale, "time_plan": "Min nya tidsplan", "evaluation_plan": ""},
    )
    assert response.status_code == 400
    html = page(response)
    assert "Någon annan har ändrat planen" in html
    assert "Min nya tidsplan" in html
    held.refresh_from_db()
    assert held.time_plan == ""


def test_lead_organisation_must_be_a_principal(login: Login, held: Plan) -> None:
    response = login("karin.holm").post(
        url("plan_details_edit", held.pk),
        {"revision": held.revision, "lead_organisation": org("Försäkringskassan").pk},
    )
    # Only principals are offered; another choice is refused at the field.
    assert response.status_code == 400
    assert "lead_organisation" in response.context["form"].errors
    held.refresh_from_db()
    assert held.lead_organisation is None


def test_add_edit_and_remove_a_need(login: Login, held: Plan) -> None:
    client = login("karin.holm")
    response = client.post(
        url("need_add", held.pk),
        {"kind": "need", "description": "Hjälp med ekonomin", "icf_code": "d450"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#needs")
    need = Need.objects.get(plan=held)
    assert need.icf_code == "d450"
    response = client.get(url("need_edit", held.pk, need.pk))
    assert response.status_code == 200
    held.refresh_from_db()
    response = client.post(
        url("need_edit", held.pk, need.pk),
        {"revision": held.revision, "kind": "interest", "description": "Musik"},
    )
    assert response.status_code == 302
    need.refresh_from_db()
    assert (need.kind, need.description) == ("interest", "Musik")
    response = client.post(url("need_remove", held.pk, need.pk))
    assert response.status_code == 302
    assert not Need.objects.filter(plan=held).exists()


def test_need_with_bad_icf_code_is_refused_at_the_field(login: Login, held: Plan) -> None:
    response = login("karin.holm").post(
        url("need_add", held.pk), {"kind": "need", "description": "x", "icf_code": "x12"}
    )
    assert response.status_code == 400
    assert "En ICF-kod är en bokstav" in response.context["form"].errors["icf_code"][0]
    assert not Need.objects.filter(plan=held).exists()


def test_htmx_add_need_answers_with_the_form_and_the_new_list(login: Login, held: Plan) -> None:
    client = login("karin.holm")
    html = page(client.get(held.get_absolute_url()))
    assert 'hx-post="' + url("need_add", held.pk) + '"' in html
    assert 'id="needs-list"' in html
    response = client.post(
        url("need_add", held.pk),
        {"kind": "need", "description": "x", "icf_code": "x12"},
        headers={"HX-Request": "true"},
    )
    # The error page holds the same form, with htmx, for htmx to put in place.
    assert response.status_code == 400
    assert 'id="need-add-form"' in page(response)
    assert "hx-select-oob" in page(response)
    response = client.post(
        url("need_add", held.pk),
        {"kind": "need", "description": "Sömn"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 302
    html = follow_message(client, response)
    assert "Sömn" in html
    assert "Behovet är tillagt." in html


def test_goal_and_intervention(login: Login, held: Plan) -> None:
    client = login("karin.holm")
    response = client.post(url("goal_add", held.pk), {"shared_goal": ""})
    assert response.status_code == 400
    assert "shared_goal" in response.context["form"].errors
    response = client.post(
        url("goal_add", held.pk),
        {"shared_goal": "Arbete på halvtid", "person_words": "Jobba", "target_date": "2027-06-01"},
    )
    assert response.status_code == 302
    goal = Goal.objects.get(plan=held)
    assert goal.target_date == date(2027, 6, 1)
    base = {
        "description": "Arbetsträning",
        "responsible_organisation": org("Region Sjöland").pk,
        "responsible_unit": unit("Socialpsykiatri Ekbacka").pk,
        "status": "planned",
        "start_date": "2026-09-01",
        "end_date": "2026-08-01",
        "goal": goal.pk,
    }
    response = client.post(url("intervention_add", held.pk), base)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["responsible_unit"] == ["Enheten hör inte till den ansvariga organisationen."]
    assert errors["end_date"] == ["Slutdatumet kan inte ligga före startdatumet."]
    assert not Intervention.objects.filter(plan=held).exists()
    response = client.post(
        url("intervention_add", held.pk),
        {**base, "responsible_unit": unit("Öppenpsykiatri Sjöstad").pk, "end_date": ""},
    )
    assert response.status_code == 302
    intervention = Intervention.objects.get(plan=held)
    held.refresh_from_db()
    response = client.post(
        url("intervention_edit", held.pk, intervention.pk),
        {
            **base,
            "revision": held.revision,
            "responsible_unit": "",
            "end_date": "",
            "status": "decided",
        },
    )
    assert response.status_code == 302
    intervention.refresh_from_db()
    assert intervention.status == InterventionStatus.DECIDED
    response = client.post(url("goal_remove", held.pk, goal.pk))
    assert response.status_code == 302
    intervention.refresh_from_db()
    assert intervention.goal is None
    response = client.post(url("intervention_remove", held.pk, intervention.pk))
    assert response.status_code == 302
    assert not Intervention.objects.filter(plan=held).exists()


# Establish, versions, follow-ups, deviations, closure ---------------------------------------


def test_establish_with_missing_items_lists_them_and_changes_nothing(
    login: Login, held: Plan
) -> None:
    client = login("karin.holm")
    response = client.get(url("plan_establish", held.pk))
    assert response.status_code == 200
    assert "Mål för de samordnade insatserna" in page(response)
    response = client.post(url("plan_establish", held.pk))
    assert response.status_code == 400
    html = page(response)
    assert "Planen kan inte upprättas" in html
    assert "Personens behov, förutsättningar och intressen" in html
    assert "Samordnarens namn" in html
    held.refresh_from_db()
    assert held.state == PlanState.MEETING_HELD
    assert not held.versions.exists()


def test_establish_revise_and_compare_versions(login: Login, complete: Plan) -> None:
    client = login("karin.holm")
    response = client.post(url("plan_establish", complete.pk))
    assert response.status_code == 302
    complete.refresh_from_db()
    assert complete.state == PlanState.ESTABLISHED
    html = follow_message(client, response)
    assert "Planen är upprättad som version 1." in html
    assert url("need_add", complete.pk) not in html  # established: no draft forms

    # Editing an established plan is a refused step.
    response = client.post(url("need_add", complete.pk), {"kind": "need", "description": "x"})
    assert "Planen är upprättad och kan inte ändras." in follow_message(client, response)
    assert complete.needs.count() == 1

    response = client.post(url("plan_revise", complete.pk), {"note": "Nytt boende"})
    assert response.status_code == 302
    goal = complete.goals.get()
    complete.refresh_from_db()
    client.post(
        url("goal_edit", complete.pk, goal.pk),
        {"revision": complete.revision, "shared_goal": "Eget boende med stöd"},
    )
    client.post(url("need_add", complete.pk), {"kind": "interest", "description": "Fiske"})
    assert client.post(url("plan_establish", complete.pk)).status_code == 302

    response = client.get(url("plan_version", complete.pk, 1))
    assert response.status_code == 200
    assert "Eget boende" in page(response)
    assert "Boendestöd två gånger i veckan" in page(response)
    response = client.get(url("plan_version_diff", complete.pk, 1, 2))
    assert response.status_code == 200
    html = page(response)
    assert "Mål: ändrat" in html
    assert "Behov, förutsättningar och intressen: tillagt" in html
    assert "Eget boende med stöd" in html
    assert "Fiske" in html
    assert client.get(url("plan_version", complete.pk, 9)).status_code == 404


def test_schedule_and_record_follow_up(login: Login, established: Plan) -> None:
    client = login("karin.holm")
    response = client.post(
        url("follow_up_schedule", established.pk),
        {"due_date": timezone.localdate().isoformat(), "what": ""},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["what"] == ["Ange vad som ska följas upp."]
    follow_up = FollowUp.objects.get(plan=established)
    goal = established.goals.get()
    response = client.post(url("follow_up_record", established.pk, follow_up.pk), {"result": "x"})
    assert response.status_code == 400
    assert response.context["form"].errors["attainment"] == ["Ange hur väl målen har uppnåtts."]
    response = client.post(
        url("follow_up_record", established.pk, follow_up.pk),
        {"result": "Har flyttat in", "attainment": "partly", f"goal_{goal.pk}": "achieved"},
    )
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.attainment == Attainment.PARTLY
    assert follow_up.goal_results.get().attainment == Attainment.ACHIEVED


def test_report_and_handle_a_deviation(login: Login, held: Plan) -> None:
    client = login("karin.holm")
    response = client.post(
        url("deviation_report", held.pk),
        {"kind": "no_show", "description": "", "addressed_to": org("Region Sjöland").pk},
    )
    assert response.status_code == 400
    assert "description" in response.context["form"].errors
    response = client.post(
        url("deviation_report", held.pk),
        {
            "kind": DeviationKind.NO_SHOW,
            "description": "Psykiatrin uteblev",
            "addressed_to": org("Region Sjöland").pk,
        },
    )
    assert response.status_code == 302
    deviation = Deviation.objects.get(plan=held)
    region = login("omar.haddad")
    assert url("deviation_status", held.pk, deviation.pk) in page(
        region.get(held.get_absolute_url())
    )
    response = region.post(url("deviation_status", held.pk, deviation.pk), {"status": "handled"})
    assert response.status_code == 400
    assert response.context["form"].errors["resolution"] == [
        "Beskriv hur avvikelsen har hanterats."
    ]
    response = region.post(
        url("deviation_status", held.pk, deviation.pk),
        {"status": "handled", "resolution": "Ny rutin för kallelser"},
    )
    assert response.status_code == 302
    deviation.refresh_from_db()
    assert deviation.status == DeviationStatus.HANDLED


def test_close_a_plan(login: Login, consented: Plan) -> None:
    client = login("karin.holm")
    response = client.post(url("plan_close", consented.pk), {"note": "x"})
    assert response.status_code == 400
    assert response.context["form"].errors["reason"] == ["Välj skäl för avslut."]
    consented.refresh_from_db()
    assert consented.state == PlanState.CONSENTED
    response = client.post(url("plan_close", consented.pk), {"reason": "moved", "note": "Flyttat"})
    assert response.status_code == 302
    consented.refresh_from_db()
    assert (consented.state, consented.closure_reason) == (PlanState.CLOSED, "moved")
    html = page(client.get(consented.get_absolute_url()))
    assert "Avslutad" in html
    assert url("plan_close", consented.pk) not in html


def test_establishing_records_how_the_person_took_part_until_he_approves(
    login: Login, complete: Plan
) -> None:
    client = login("karin.holm")
    form = page(client.get(url("plan_establish", complete.pk)))
    assert "Hur deltog personen?" in form

    # Bad input: next to the field, nothing established, audited by field name.
    response = client.post(url("plan_establish", complete.pk), {"participation": "hearsay"})
    assert response.status_code == 400
    assert "Välj hur personen deltog." in page(response)
    complete.refresh_from_db()
    assert not complete.versions.exists()
    assert AuditEvent.objects.filter(
        action="plan.establish", outcome=Outcome.INVALID, detail__fields=["participation"]
    ).exists()

    response = client.post(url("plan_establish", complete.pk), {"participation": "at_meeting"})
    assert response.status_code == 302
    version = complete.versions.get()
    assert version.participation_at_establishment == "at_meeting"
    html = page(client.get(url("plan_version", complete.pk, 1)))
    assert "Versionen upprättades utan personens registrerade godkännande." in html
    assert "Personen deltog i SIP-mötet där planen togs fram." in html
