"""Each step the state does not allow, and each bad input, is refused and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail as django_mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from samplan.accounts.models import User
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent import services as consent_services
from samplan.consent.models import Consent
from samplan.directory.models import Organisation, Person, Unit
from samplan.plans import selectors, services
from samplan.plans.links import LinkRefused
from samplan.plans.models import (
    ClosureReason,
    Deviation,
    DeviationStatus,
    Invitation,
    InvitationAnswer,
    Meeting,
    Need,
    Plan,
    PlanEvent,
    PlanState,
)
from tests.factories import look_up
from tests.timeshift import meeting_has_taken_place

pytestmark = pytest.mark.django_db


def actor(username: str) -> Actor:
    return Actor.for_user(User.objects.get(username=username))


def org(name: str) -> Organisation:
    return Organisation.objects.get(name=name)


def unit(name: str) -> Unit:
    return Unit.objects.get(name=name)


@pytest.fixture
def karin() -> Actor:
    return actor("karin.holm")


@pytest.fixture
def initiated(karin: Actor) -> Plan:
    return services.plan_initiate(
        actor=karin, person=Person.objects.get(given_name="Ove"), reasons=["bounced_around"]
    )


def consent(plan: Plan, who: Actor, *orgs: str) -> Consent:
    return consent_services.consent_record(
        actor=who,
        plan=plan,
        decision="given",
        method="oral",
        organisations=[org(o) for o in orgs or ("Ekbacka kommun", "Region Sjöland")],
        information_kinds=["plan"],
    )


def schedule(plan: Plan, who: Actor, **overrides: Any) -> Meeting:
    start = timezone.now() + timedelta(days=3)
    fields: dict[str, Any] = {
        "starts_at": start,
        "ends_at": start + timedelta(hours=1),
        "mode": "physical",
        "location": "Socialkontoret",
        "units": [unit("Öppenpsykiatri Sjöstad")],
    }
    fields.update(overrides)
    return services.meeting_schedule(actor=who, plan=plan, **fields)


def snapshot(plan: Plan) -> tuple[Any, ...]:
    plan.refresh_from_db()
    return (
        plan.state,
        plan.revision,
        plan.versions.count(),
        plan.meetings.count(),
        plan.needs.count(),
        plan.events.count(),
        Invitation.objects.filter(meeting__plan=plan).count(),
    )


def field_errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_establishing_without_consent_is_refused(karin: Actor, initiated: Plan) -> None:
    services.need_add(actor=karin, plan=initiated, kind="need", description="Stöd")
    before = snapshot(initiated)
    with pytest.raises(services.StepNotAllowed) as refused:
        services.plan_establish(actor=karin, plan=initiated)
    assert "samtycke" in refused.value.messages[0]
    assert snapshot(initiated) == before


def test_meeting_needs_consent(karin: Actor, initiated: Plan) -> None:
    before = snapshot(initiated)
    with pytest.raises(services.StepNotAllowed):
        schedule(initiated, karin)
    assert snapshot(initiated) == before


def test_refused_consent_closes_the_initiative_with_that_reason(
    karin: Actor, initiated: Plan
) -> None:
    consent_services.consent_record(actor=karin, plan=initiated, decision="refused", method="oral")
    initiated.refresh_from_db()
    assert initiated.state == PlanState.CLOSED
    assert initiated.closure_reason == ClosureReason.CONSENT_REFUSED


def test_inviting_after_closure_is_refused(karin: Actor, initiated: Plan) -> None:
    consent(initiated, karin)
    services.plan_close(actor=karin, plan=initiated, reason="declined")
    before = snapshot(initiated)
    with pytest.raises(services.StepNotAllowed) as refused:
        schedule(initiated, karin)
    assert "läge" in refused.value.messages[0]
    assert snapshot(initiated) == before
    with pytest.raises(services.StepNotAllowed):
        services.plan_close(actor=karin, plan=initiated, reason="declined")


def test_editing_an_established_version_is_refused(karin: Actor) -> None:
    plan = established_plan(karin)
    version = plan.versions.get()
    content = dict(version.content)
    before = snapshot(plan)
    need = plan.needs.first()
    assert need is not None
    with pytest.raises(services.StepNotAllowed) as refused:
        services.need_add(actor=karin, plan=plan, kind="need", description="Något nytt")
    assert "revidering" in refused.value.messages[0]
    with pytest.raises(services.StepNotAllowed):
        services.need_update(actor=karin, need=need, kind="need", description="Ändrat")
    with pytest.raises(services.StepNotAllowed):
        services.plan_update_details(actor=karin, plan=plan, time_plan="Ny")
    assert snapshot(plan) == before
    version.refresh_from_db()
    assert version.content == content
    need.refresh_from_db()
    assert need.description != "Ändrat"


def test_meeting_dates_out_of_order_are_refused_at_the_field(karin: Actor, initiated: Plan) -> None:
    consent(initiated, karin)
    before = snapshot(initiated)
    start = timezone.now() + timedelta(days=2)
    with pytest.raises(ValidationError) as bad:
        schedule(initiated, karin, starts_at=start, ends_at=start - timedelta(hours=1))
    assert "ends_at" in field_errors(bad)
    with pytest.raises(ValidationError) as digital:
        schedule(initiated, karin, mode="digital", location="", video_url="")
    assert "video_url" in field_errors(digital)
    assert snapshot(initiated) == before


def test_intervention_without_responsible_party_or_with_dates_out_of_order(
    karin: Actor, initiated: Plan
) -> None:
    before = snapshot(initiated)
    with pytest.raises(ValidationError) as no_party:
        services.intervention_add(
            actor=karin,
            plan=initiated,
            description="Boendestöd",
            responsible_organisation=None,
            status="planned",
        )
    assert "responsible_organisation" in field_errors(no_party)
    with pytest.raises(ValidationError) as dates:
        services.intervention_add(
            actor=karin,
            plan=initiated,
            description="Boendestöd",
            responsible_organisation=org("Ekbacka kommun"),
            status="planned",
            start_date=date(2026, 5, 1),
            end_date=date(2026, 4, 1),
        )
    assert "end_date" in field_errors(dates)
    with pytest.raises(ValidationError) as wrong_unit:
        services.intervention_add(
            actor=karin,
            plan=initiated,
            description="Boendestöd",
            responsible_organisation=org("Ekbacka kommun"),
            responsible_unit=unit("Öppenpsykiatri Sjöstad"),
            status="planned",
        )
    assert "responsible_unit" in field_errors(wrong_unit)
    assert snapshot(initiated) == before
    assert initiated.interventions.count() == 0


@pytest.mark.parametrize(("code", "fragment"), [("x123", "bokstav"), ("d999", "finns inte")])
def test_unknown_icf_code_is_refused_at_the_field(
    karin: Actor, initiated: Plan, code: str, fragment: str
) -> None:
    with pytest.raises(ValidationError) as bad:
        services.need_add(actor=karin, plan=initiated, kind="need", description="Gå", icf_code=code)
    assert fragment in field_errors(bad)["icf_code"][0]
    assert not Need.objects.filter(plan=initiated).exists()
    # A known code is accepted and normalised.
    need = services.need_add(
        actor=karin, plan=initiated, kind="need", description="Gå", icf_code=" D450 "
    )
    assert need.icf_code == "d450"


def test_consent_for_a_child_must_come_from_a_guardian() -> None:
    lena = actor("lena.ek")
    child = Person.objects.get(given_name="Liam")
    plan = services.plan_initiate(actor=lena, person=child, reasons=["several_services"])
    with pytest.raises(ValidationError) as bad:
        consent_services.consent_record(
            actor=lena,
            plan=plan,
            decision="given",
            method="oral",
            organisations=[org("Region Sjöland")],
            information_kinds=["plan"],
        )
    assert "vårdnadshavare" in field_errors(bad)["representative"][0]
    assert not plan.consents.exists()
    guardian = child.representatives.filter(kind="guardian").first()
    consent_services.consent_record(
        actor=lena,
        plan=plan,
        decision="given",
        method="written",
        organisations=[org("Region Sjöland")],
        information_kinds=["plan"],
        representative=guardian,
    )
    plan.refresh_from_db()
    assert plan.state == PlanState.CONSENTED


def test_partial_consent_limits_who_can_be_invited(karin: Actor, initiated: Plan) -> None:
    consent(initiated, karin, "Ekbacka kommun")  # the region is not covered
    before = snapshot(initiated)
    with pytest.raises(ValidationError) as bad:
        schedule(initiated, karin)
    assert "Region Sjöland" in field_errors(bad)["units"][0]
    assert snapshot(initiated) == before


def test_revocation_pauses_the_plan_and_removes_other_organisations_access(karin: Actor) -> None:
    plan = established_plan(karin)
    omar = actor("omar.haddad")
    assert authz.can(omar, Action.PLAN_VIEW, plan)
    consent_services.consent_revoke(actor=karin, plan=plan, note="Personen vill inte längre")
    plan.refresh_from_db()
    assert plan.state == PlanState.PAUSED
    assert not authz.can(actor("omar.haddad"), Action.PLAN_VIEW, plan)
    assert authz.can(karin, Action.PLAN_VIEW, plan)  # the initiating unit keeps its record
    with pytest.raises(services.StepNotAllowed):
        consent_services.consent_revoke(actor=karin, plan=plan)
    with pytest.raises(services.StepNotAllowed):
        services.plan_revise(actor=karin, plan=plan)
    # A new consent opens it again.
    consent(plan, karin)
    plan.refresh_from_db()
    assert plan.state == PlanState.ESTABLISHED
    assert authz.can(actor("omar.haddad"), Action.PLAN_VIEW, plan)


def test_a_stale_form_gets_a_conflict_and_nothing_is_overwritten(
    karin: Actor, initiated: Plan
) -> None:
    stale = initiated.revision
    services.plan_update_details(
        actor=karin, plan=initiated, time_plan="Först", expected_revision=stale
    )
    with pytest.raises(services.EditConflict) as conflict:
        services.plan_update_details(
            actor=karin, plan=initiated, time_plan="Sedan", expected_revision=stale
        )
    assert "ändrat planen" in conflict.value.messages[0]
    initiated.refresh_from_db()
    assert initiated.time_plan == "Först"


def test_answer_to_a_cancelled_meeting_is_refused(karin: Actor, initiated: Plan) -> None:
    consent(initiated, karin)
    meeting = schedule(initiated, karin)
    services.meeting_cancel(actor=karin, meeting=meeting)
    invitation = meeting.invitations.get()
    with pytest.raises(services.StepNotAllowed):
        services.invitation_answer(
            actor=actor("omar.haddad"), invitation=invitation, answer=InvitationAnswer.ACCEPTED
        )
    invitation.refresh_from_db()
    assert invitation.answer == InvitationAnswer.PENDING


def test_decline_needs_a_reason_and_strangers_cannot_answer(karin: Actor, initiated: Plan) -> None:
    consent(initiated, karin)
    invitation = schedule(initiated, karin).invitations.get()
    with pytest.raises(ValidationError) as bad:
        services.invitation_answer(
            actor=actor("omar.haddad"), invitation=invitation, answer=InvitationAnswer.DECLINED
        )
    assert "decline_reason" in field_errors(bad)
    with pytest.raises(authz.Denied):
        services.invitation_answer(
            actor=actor("eva.strom"), invitation=invitation, answer=InvitationAnswer.ACCEPTED
        )
    # A unit's invitation has no link: nothing signed opens it.
    with pytest.raises(LinkRefused):
        services.invitation_answer_by_link(
            invitation_id=invitation.pk, token="x" * 64, answer="accepted"
        )
    invitation.refresh_from_db()
    assert invitation.answer == InvitationAnswer.PENDING


def test_follow_up_before_establishing_and_twice_is_refused(karin: Actor) -> None:
    plan = established_plan(karin)
    follow_up = plan.follow_ups.get()
    services.follow_up_record(actor=karin, follow_up=follow_up, result="Bra", attainment="achieved")
    with pytest.raises(services.StepNotAllowed):
        services.follow_up_record(
            actor=karin, follow_up=follow_up, result="Igen", attainment="achieved"
        )
    fresh = services.plan_initiate(
        actor=karin,
        person=look_up(karin, Person.objects.get(given_name="Greta")),
        reasons=["several_services"],
    )
    draft_follow_up = services.follow_up_schedule(
        actor=karin, plan=fresh, due_date=date.today() + timedelta(days=30), what="Något"
    )
    with pytest.raises(services.StepNotAllowed):
        services.follow_up_record(
            actor=karin, follow_up=draft_follow_up, result="x", attainment="achieved"
        )


def test_deviation_is_addressed_and_handled(
    karin: Actor, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    plan = established_plan(karin)
    omar = actor("omar.haddad")
    region = org("Region Sjöland")
    with django_capture_on_commit_callbacks(execute=True):
        deviation = services.deviation_report(
            actor=karin,
            plan=plan,
            kind="not_delivered",
            description="Läkemedelsuppföljningen har inte skett.",
            addressed_to=region,
        )
    assert deviation.status == DeviationStatus.OPEN
    assert (
        User.objects.get(username="omar.haddad")
        .inbox_messages.filter(subject__contains="avvikelse")
        .exists()
    )
    with pytest.raises(ValidationError) as bad:
        services.deviation_set_status(actor=omar, deviation=deviation, status="handled")
    assert "resolution" in field_errors(bad)
    services.deviation_set_status(
        actor=omar, deviation=deviation, status="handled", resolution="Tid bokad."
    )
    deviation.refresh_from_db()
    assert deviation.status == DeviationStatus.HANDLED
    with pytest.raises(services.StepNotAllowed):
        services.deviation_set_status(actor=omar, deviation=deviation, status="open")
    # Not to an organisation outside the plan.
    with pytest.raises(ValidationError):
        services.deviation_report(
            actor=karin,
            plan=plan,
            kind="other",
            description="x",
            addressed_to=org("Strandviks kommun"),
        )
    assert Deviation.objects.filter(plan=plan).count() == 1


def test_reminders_for_unanswered_invitations(
    karin: Actor,
    initiated: Plan,
    mailoutbox: list[django_mail.EmailMessage],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    consent(initiated, karin)
    meeting = schedule(
        initiated, karin, units=[unit("Öppenpsykiatri Sjöstad"), unit("Beroendevård Sjöstad")]
    )
    services.invitation_answer(
        actor=actor("eva.strom"),
        invitation=meeting.invitations.get(unit__name__startswith="Ber"),
        answer="accepted",
    )
    later = timezone.now() + timedelta(days=2, minutes=1)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.invitations_remind_due(now=later)
    pending = meeting.invitations.get(unit__name__startswith="Öpp")
    answered = meeting.invitations.get(unit__name__startswith="Ber")
    pending.refresh_from_db()
    answered.refresh_from_db()
    assert (pending.reminders_sent, answered.reminders_sent) == (1, 0)
    reminders = [m for m in mailoutbox if m.to == [pending.email]]
    assert len(reminders) == 1
    assert reminders[0].subject.startswith("Påminnelse")
    assert not [m for m in mailoutbox if m.to == [answered.email]]
    # Not again the same day.
    services.invitations_remind_due(now=later + timedelta(hours=3))
    pending.refresh_from_db()
    assert pending.reminders_sent == 1
    assert PlanEvent.objects.filter(plan=initiated, kind="invitation_reminded").count() == 1


def test_worklists(karin: Actor, initiated: Plan) -> None:
    Plan.objects.filter(pk=initiated.pk).update(meeting_deadline=date.today() - timedelta(days=1))
    assert initiated in selectors.deadlines_passed(actor=karin)
    drafts = {row.plan.pk: row for row in selectors.drafts_with_missing_items(actor=karin)}
    assert "consent" in {m.key for m in drafts[initiated.pk].missing}
    plan = established_plan(karin)
    plan.follow_ups.update(due_date=date.today() - timedelta(days=1))
    rows = {r.follow_up.plan_id: r for r in selectors.follow_ups_due(actor=karin)}
    assert rows[plan.pk].overdue
    assert plan in selectors.plans_as_coordinator(actor=karin)
    # Another municipality sees none of it.
    johan = actor("johan.dahl")
    assert not selectors.deadlines_passed(actor=johan).filter(pk=initiated.pk).exists()
    assert plan.pk not in {r.follow_up.plan_id for r in selectors.follow_ups_due(actor=johan)}


def established_plan(karin: Actor) -> Plan:
    """A plan with version 1, coordinated by Karin, with the region taking part."""
    plan = services.plan_initiate(
        actor=karin, person=Person.objects.get(given_name="Ove"), reasons=["bounced_around"]
    )
    consent(plan, karin)
    meeting = schedule(plan, karin)
    omar = actor("omar.haddad")
    invitation = meeting.invitations.get()
    services.invitation_answer(actor=omar, invitation=invitation, answer="accepted")
    meeting_has_taken_place(meeting)
    services.meeting_record_held(actor=karin, meeting=meeting, attended=[invitation])
    ekbacka, region = org("Ekbacka kommun"), org("Region Sjöland")
    services.need_add(actor=karin, plan=plan, kind="need", description="Stöd i vardagen")
    services.goal_add(actor=karin, plan=plan, shared_goal="Eget boende")
    services.intervention_add(
        actor=karin,
        plan=plan,
        description="Boendestöd",
        responsible_organisation=ekbacka,
        status="decided",
    )
    services.intervention_add(
        actor=karin,
        plan=plan,
        description="Läkemedel",
        responsible_organisation=region,
        status="planned",
    )
    services.plan_update_details(
        actor=karin,
        plan=plan,
        lead_organisation=ekbacka,
        coordinator=User.objects.get(username="karin.holm"),
        coordinator_phone="08-1",
        coordinator_email="karin@example.org",
        time_plan="Ett år",
        evaluation_plan="Boendet",
    )
    services.follow_up_schedule(
        actor=karin, plan=plan, due_date=date.today() + timedelta(days=60), what="Boendet"
    )
    services.plan_establish(actor=karin, plan=plan)
    plan.refresh_from_db()
    return plan


def test_meeting_cannot_be_recorded_as_held_in_the_future(karin: Actor, initiated: Plan) -> None:
    consent(initiated, karin)
    meeting = schedule(initiated, karin)
    with pytest.raises(ValidationError) as bad:
        services.meeting_record_held(
            actor=karin,
            meeting=meeting,
            attended=[],
            held_at=timezone.now() + timedelta(days=2),
        )
    assert "held_at" in field_errors(bad)
    meeting.refresh_from_db()
    assert meeting.held_at is None


def test_unknown_choices_and_staff_outside_the_organisation_are_refused(
    karin: Actor, initiated: Plan
) -> None:
    before = Plan.objects.count()
    with pytest.raises(ValidationError) as bad:
        services.plan_initiate(
            actor=karin,
            person=look_up(karin, Person.objects.get(given_name="Greta")),
            reasons=["several_services"],
            plan_type="XX",
        )
    assert "plan_type" in field_errors(bad)
    assert Plan.objects.count() == before
    with pytest.raises(ValidationError) as staff:
        services.intervention_add(
            actor=karin,
            plan=initiated,
            description="Boendestöd",
            responsible_organisation=org("Ekbacka kommun"),
            responsible_staff=User.objects.get(username="omar.haddad"),
            status="planned",
        )
    assert "responsible_staff" in field_errors(staff)
