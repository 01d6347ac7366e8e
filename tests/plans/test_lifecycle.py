"""One plan through its whole life, across a municipality, a region and an external invitee."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail as django_mail
from django.db.models import Max
from django.utils import timezone
from icalendar import Calendar

from samplan.accounts.models import User
from samplan.audit.models import AuditEvent
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent import services as consent_services
from samplan.consent.models import ConsentDecision
from samplan.directory.models import Organisation, Person, Unit
from samplan.plans import selectors, services
from samplan.plans.links import make_token
from samplan.plans.models import (
    Attainment,
    ClosureReason,
    InitiativeReason,
    InvitationAnswer,
    MeetingMode,
    NeedGroup,
    NeedKind,
    Plan,
    PlanState,
)
from tests.factories import look_up
from tests.timeshift import meeting_has_taken_place

pytestmark = pytest.mark.django_db
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def actor(username: str) -> Actor:
    return Actor.for_user(User.objects.get(username=username))


def unit(name: str) -> Unit:
    return Unit.objects.get(name=name)


def org(name: str) -> Organisation:
    return Organisation.objects.get(name=name)


def events(plan: Plan) -> list[str]:
    return list(plan.events.order_by("at", "pk").values_list("kind", flat=True))


def ics_of(message: Any) -> Calendar:
    for part in message.message().walk():
        if part.get_content_type() == "text/calendar":
            return Calendar.from_ical(part.get_payload(decode=True))
    raise AssertionError("no calendar attachment")


def start_of(event: Any) -> datetime:
    value = event.decoded("DTSTART")
    assert isinstance(value, datetime)
    return value


def next_dst_start(after: date) -> date:
    """The last Sunday of March after `after`: clocks go forward in Sweden."""
    year = after.year if after < date(after.year, 3, 25) else after.year + 1
    day = date(year, 3, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def test_whole_lifecycle(
    mailoutbox: list[django_mail.EmailMessage],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    karin, omar, eva = actor("karin.holm"), actor("omar.haddad"), actor("eva.strom")
    ove = Person.objects.get(given_name="Ove", family_name="Demosson")
    # The demo world already holds audit rows for Ove: only those written from here count.
    audit_before = AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    ekbacka, region = org("Ekbacka kommun"), org("Region Sjöland")
    psykiatri, beroende = unit("Öppenpsykiatri Sjöstad"), unit("Beroendevård Sjöstad")

    # 1. Initiative: the municipality sees the need.
    plan = services.plan_initiate(
        actor=karin,
        person=ove,
        reasons=[InitiativeReason.BOUNCED_AROUND, InitiativeReason.REPEATED_VISITS],
        need_groups=[NeedGroup.PSYCHIATRIC_ADDICTION],
        note="Har hänvisats mellan psykiatrin och beroendevården.",
    )
    assert plan.state == PlanState.INITIATED
    assert plan.meeting_deadline > plan.initiated_on
    assert events(plan) == ["initiated"]
    # Before consent only the initiating unit sees the initiative.
    assert authz.can(karin, Action.PLAN_VIEW, plan)
    assert not authz.can(omar, Action.PLAN_VIEW, plan)

    # 2. Consent: oral, to the municipality and the region.
    consent_services.consent_record(
        actor=karin,
        plan=plan,
        decision=ConsentDecision.GIVEN,
        method="oral",
        organisations=[ekbacka, region],
        information_kinds=["plan", "health", "social"],
    )
    plan.refresh_from_db()
    assert plan.state == PlanState.CONSENTED
    assert events(plan)[-1] == "consent_given"

    # 3. Invitation: two region units and an external invitee without an account.
    start = timezone.now() + timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = services.meeting_schedule(
            actor=karin,
            plan=plan,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            mode=MeetingMode.PHYSICAL,
            location="Socialkontoret, Storgatan 1",
            units=[psykiatri, beroende],
            externals=[services.ExternalInvitee("Kim Kurator", "kim@skola.example", "Skolan")],
        )
    plan.refresh_from_db()
    assert plan.state == PlanState.INVITED
    assert len(mailoutbox) == 3
    assert {m.to[0] for m in mailoutbox} >= {"kim@skola.example"}
    first_uid = {str(ics_of(m).walk("VEVENT")[0]["UID"]) for m in mailoutbox}
    assert first_uid == {meeting.uid}
    assert all("Ove" not in m.body and ove.identifier not in m.body for m in mailoutbox)
    # The region's units have it in their worklist and inbox.
    assert list(selectors.invitations_to_answer(actor=omar)) == [
        meeting.invitations.get(unit=psykiatri)
    ]

    # 4. Answers: psychiatry comes, addiction care declines, the external invitee comes.
    services.invitation_answer(
        actor=omar,
        invitation=meeting.invitations.get(unit=psykiatri),
        answer=InvitationAnswer.ACCEPTED,
    )
    services.invitation_answer(
        actor=eva,
        invitation=meeting.invitations.get(unit=beroende),
        answer=InvitationAnswer.DECLINED,
        reason="Personen är inte aktuell hos oss.",
    )
    external = meeting.invitations.get(external_name="Kim Kurator")
    services.invitation_answer_by_link(
        invitation_id=external.pk, token=make_token(external), answer=InvitationAnswer.ACCEPTED
    )
    assert authz.can(omar, Action.PLAN_VIEW, plan)  # participant, and consent covers the region
    assert not authz.can(eva, Action.PLAN_VIEW, plan)  # declined: not a participant

    # The meeting moves: everyone gets an update with the same UID and a higher SEQUENCE.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_update(
            actor=karin,
            meeting=meeting,
            starts_at=start + timedelta(days=1),
            ends_at=start + timedelta(days=1, hours=1),
            mode=MeetingMode.DIGITAL,
            video_url="https://video.example/sip-1",
        )
    assert len(mailoutbox) == 3
    updated = [ics_of(m).walk("VEVENT")[0] for m in mailoutbox]
    assert {str(e["UID"]) for e in updated} == {meeting.uid}
    assert {int(str(e["SEQUENCE"])) for e in updated} == {1}

    # 5. The meeting is held; who actually attended is recorded.
    meeting_has_taken_place(meeting)
    services.meeting_record_held(
        actor=karin,
        meeting=meeting,
        attended=[meeting.invitations.get(unit=psykiatri), external],
        minutes="Ove vill ha en kontaktperson.",
    )
    plan.refresh_from_db()
    assert plan.state == PlanState.MEETING_HELD
    assert meeting.invitations.get(unit=beroende).attended is False

    # 6. The plan is written; establishing too early names every missing item.
    services.need_add(
        actor=karin,
        plan=plan,
        kind=NeedKind.NEED,
        description="Stöd att klara vardagen",
        icf_code="d230",
    )
    goal = services.goal_add(
        actor=karin, plan=plan, shared_goal="Eget boende med stöd", person_words="Jag vill bo själv"
    )
    services.intervention_add(
        actor=karin,
        plan=plan,
        description="Boendestöd två gånger i veckan",
        responsible_organisation=ekbacka,
        responsible_unit=unit("Socialpsykiatri Ekbacka"),
        status="decided",
        start_date=date.today(),
        goal=goal,
    )
    # Before a lead organisation is named, the initiating unit edits the draft.
    assert not authz.can(omar, Action.PLAN_EDIT, plan)
    services.intervention_add(
        actor=karin,
        plan=plan,
        description="Läkemedelsuppföljning",
        responsible_organisation=region,
        responsible_unit=psykiatri,
        status="planned",
    )
    with pytest.raises(services.PlanIncomplete) as missing:
        services.plan_establish(actor=karin, plan=plan)
    assert {m.key for m in missing.value.missing} == {
        "lead_organisation",
        "coordinator",
        "time_plan",
        "evaluation_plan",
        "follow_up",
    }
    assert plan.versions.count() == 0
    services.plan_update_details(
        actor=karin,
        plan=plan,
        lead_organisation=ekbacka,
        coordinator=User.objects.get(username="karin.holm"),
        coordinator_phone="08-123 45 67",
        coordinator_email="karin.holm@example.org",
        time_plan="Boendestöd från start, läkemedelsuppföljning var tredje månad.",
        evaluation_plan="Boendesituationen följs upp efter tre månader.",
    )
    follow_up = services.follow_up_schedule(
        actor=karin,
        plan=plan,
        due_date=date.today() + timedelta(days=90),
        what="Hur boendestödet fungerar",
    )
    with django_capture_on_commit_callbacks(execute=True):
        v1 = services.plan_establish(actor=karin, plan=plan)
    plan.refresh_from_db()
    assert (plan.state, v1.number) == (PlanState.ESTABLISHED, 1)
    assert v1.content["coordinator"]["name"] == "Karin Holm"
    assert [i["organisation"] for i in v1.content["interventions"]] == [
        "Ekbacka kommun",
        "Region Sjöland",
    ]
    assert (
        User.objects.get(username="omar.haddad")
        .inbox_messages.filter(subject__contains="upprättad")
        .exists()
    )
    # The coordinator and the lead organisation edit; the region may edit its own intervention.
    assert authz.can(karin, Action.PLAN_EDIT, plan)
    assert not authz.can(omar, Action.PLAN_EDIT, plan)
    region_intervention = plan.interventions.get(responsible_organisation=region)
    assert authz.can(omar, Action.INTERVENTION_EDIT, region_intervention)

    # 7. Follow-up with goal attainment.
    services.follow_up_record(
        actor=karin,
        follow_up=follow_up,
        result="Boendestödet fungerar, Ove trivs.",
        attainment=Attainment.PARTLY,
        goal_attainments={goal.pk: Attainment.PARTLY},
    )
    follow_up.refresh_from_db()
    assert follow_up.version_number == 1
    assert follow_up.goal_results.get().attainment == Attainment.PARTLY

    # 8. First revision: a new goal, version 2.
    services.plan_revise(actor=karin, plan=plan, reason="Ny målsättning om sysselsättning")
    plan.refresh_from_db()
    assert plan.state == PlanState.REVISING
    services.goal_add(actor=karin, plan=plan, shared_goal="Daglig sysselsättning")
    services.follow_up_schedule(
        actor=karin, plan=plan, due_date=date.today() + timedelta(days=180), what="Sysselsättningen"
    )
    v2 = services.plan_establish(actor=karin, plan=plan)
    assert v2.number == 2
    diff = selectors.version_diff(v1.content, v2.content)
    assert any(
        c.section == "goals"
        and c.kind == "added"
        and c.after["shared_goal"] == "Daglig sysselsättning"
        for c in diff
    )

    # 9. Second revision: the region changes its own intervention, version 3.
    services.plan_revise(actor=karin, plan=plan)
    services.intervention_update(
        actor=omar,
        intervention=region_intervention,
        description="Läkemedelsuppföljning varannan månad",
    )
    v3 = services.plan_establish(actor=karin, plan=Plan.objects.get(pk=plan.pk))
    assert v3.number == 3
    assert any(
        c.section == "interventions" and c.kind == "changed"
        for c in selectors.version_diff(v2.content, v3.content)
    )
    # Frozen versions never change.
    v1.refresh_from_db()
    assert len(v1.content["goals"]) == 1

    # 10. Closure.
    services.plan_close(actor=karin, plan=plan, reason=ClosureReason.GOALS_REACHED)
    plan.refresh_from_db()
    assert plan.state == PlanState.CLOSED
    assert plan.closure_reason == ClosureReason.GOALS_REACHED
    assert events(plan) == [
        "initiated",
        "consent_given",
        "meeting_scheduled",
        "invitation_answered",
        "invitation_answered",
        "invitation_answered",
        "meeting_changed",
        "meeting_held",
        "draft_changed",
        "draft_changed",
        "draft_changed",
        "draft_changed",
        "draft_changed",
        "draft_changed",
        "established",
        "followed_up",
        "revision_started",
        "draft_changed",
        "draft_changed",
        "established",
        "revision_started",
        "draft_changed",
        "established",
        "closed",
    ]
    assert list(plan.versions.values_list("number", flat=True)) == [1, 2, 3]
    # Every write left an audit row naming the person (the rows this test caused only).
    audited = set(
        AuditEvent.objects.filter(pk__gt=audit_before, person=ove, outcome="ok").values_list(
            "action", flat=True
        )
    )
    assert audited >= {
        "plan.initiate",
        "consent.given",
        "meeting.schedule",
        "invitation.answer",
        "invitation.answer_external",
        "meeting.update",
        "meeting.held",
        "need.add",
        "goal.add",
        "intervention.add",
        "intervention.update",
        "plan.update",
        "follow_up.schedule",
        "plan.establish",
        "follow_up.record",
        "plan.revise",
        "plan.close",
    }


def test_ics_start_is_right_in_stockholm_across_daylight_saving(
    mailoutbox: list[django_mail.EmailMessage],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    karin = actor("karin.holm")
    plan = services.plan_initiate(
        actor=karin,
        person=look_up(karin, Person.objects.get(given_name="Greta")),
        reasons=[InitiativeReason.SEVERAL_SERVICES],
    )
    consent_services.consent_record(
        actor=karin,
        plan=plan,
        decision="given",
        method="written",
        organisations=[org("Ekbacka kommun"), org("Region Sjöland")],
        information_kinds=["plan"],
    )
    switch = next_dst_start(timezone.localdate())
    before = datetime.combine(switch - timedelta(days=2), time(10, 0), tzinfo=STOCKHOLM)
    after = datetime.combine(switch + timedelta(days=1), time(10, 0), tzinfo=STOCKHOLM)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = services.meeting_schedule(
            actor=karin,
            plan=plan,
            starts_at=before,
            ends_at=before + timedelta(hours=1),
            mode="physical",
            location="Vårdcentralen",
            units=[unit("Vårdcentral Ekbacka")],
        )
    first = ics_of(mailoutbox[-1]).walk("VEVENT")[0]
    assert start_of(first).astimezone(STOCKHOLM).hour == 10
    assert start_of(first).utcoffset() == timedelta(hours=1)  # winter time
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_update(
            actor=karin,
            meeting=meeting,
            starts_at=after,
            ends_at=after + timedelta(hours=1),
            mode="physical",
            location="Vårdcentralen",
        )
    second = ics_of(mailoutbox[-1]).walk("VEVENT")[0]
    assert start_of(second).astimezone(STOCKHOLM).hour == 10
    assert start_of(second).utcoffset() == timedelta(hours=2)  # summer time
    assert str(second["UID"]) == str(first["UID"]) == meeting.uid
    assert int(str(second["SEQUENCE"])) == int(str(first["SEQUENCE"])) + 1
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_cancel(actor=karin, meeting=meeting, reason="Personen är sjuk")
    cancel = ics_of(mailoutbox[-1])
    assert str(cancel["METHOD"]) == "CANCEL"
    assert str(cancel.walk("VEVENT")[0]["UID"]) == meeting.uid
