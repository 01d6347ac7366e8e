"""Two years of SIP meetings behind the demo world, so that seed 004's table (calls by each
municipality, attendance by the region, per quarter) comes out of the statistics.

Each of the two municipalities' social psychiatry called four meetings a quarter, for eight
quarters before the current one, each about a person with both mental illness and addiction
(fictitious persons, one plan each, closed since). The region's psychiatry and addiction care
were summoned; at first they often declined (pointing at each other) or did not answer, then
came more often, and in the last two quarters came to every meeting (seed 004: "Under hösten
2013 har socialtjänst och landsting gemensamt deltagit i samtliga vårdplaneringar").

The consent ended with each plan, so that the region's staff keep no relation with these
persons; only the calling unit's staff, who initiated the plans, see them. History is loaded
as records, as `samplan generate` loads its world: the services check
that a step happens now, and these happened in earlier quarters. No audit events are written
for it (nobody read anything).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from samplan.accounts.models import User
from samplan.consent.models import Consent, ConsentDecision, ConsentMethod
from samplan.demo.shape import DemoWorld
from samplan.directory.identity import luhn_check_digit
from samplan.directory.models import IdentifierKind, Person
from samplan.plans.models import (
    ClosureReason,
    InitiatedBy,
    Invitation,
    InvitationAnswer,
    InvitationKind,
    Meeting,
    MeetingMode,
    NeedGroup,
    Participant,
    Plan,
    PlanEvent,
    PlanState,
)

QUARTERS = 8
MEETINGS_PER_QUARTER = 4
ZONE = ZoneInfo("Europe/Stockholm")
CALLERS = [
    ("ekbacka", "ekbacka_socialpsykiatri", "karin.holm"),
    ("strandvik", "strandvik_socialpsykiatri", "johan.dahl"),
]
SUMMONED = ["psykiatri", "beroende"]
GIVEN = ["Arvid", "Britt", "Conny", "Dagny", "Egon", "Frida", "Gösta", "Hjördis"]
FAMILY = ["Historiksson", "Tidigaredotter", "Förrström", "Arkivson"]

# What the region's units answered, by how many quarters ago (8 = the oldest), for each of the
# four meetings of the quarter: (answer, attended, reason) for psychiatry, then addiction care.
A, D, R, P = (
    InvitationAnswer.ACCEPTED,
    InvitationAnswer.DECLINED,
    InvitationAnswer.REPRESENTED,
    InvitationAnswer.PENDING,
)
PSYCH = "Beroendevården bör ha huvudansvaret så länge missbruket pågår."
ADDICT = "Psykiatrin bör ha huvudansvaret så länge måendet är dåligt."
TIME = "Krockar med en annan tid."
Answer = tuple[str, bool, str]
EARLY: list[tuple[Answer, Answer]] = [
    ((A, True, ""), (D, False, ADDICT)),
    ((D, False, PSYCH), (A, True, "")),
    ((A, True, ""), (P, False, "")),
    ((A, False, ""), (D, False, ADDICT)),
]
MIDDLE: list[tuple[Answer, Answer]] = [
    ((A, True, ""), (A, True, "")),
    ((A, True, ""), (D, False, ADDICT)),
    ((R, True, ""), (A, True, "")),
    ((A, True, ""), (P, False, "")),
]
LATER: list[tuple[Answer, Answer]] = [
    ((A, True, ""), (A, True, "")),
    ((A, True, ""), (A, True, "")),
    ((D, False, TIME), (A, True, "")),
    ((A, True, ""), (R, True, "")),
]
ALL_CAME: list[tuple[Answer, Answer]] = [((A, True, ""), (A, True, ""))] * MEETINGS_PER_QUARTER


def answers_for(quarters_ago: int) -> list[tuple[Answer, Answer]]:
    if quarters_ago >= 7:
        return EARLY
    if quarters_ago >= 5:
        return MIDDLE
    if quarters_ago >= 3:
        return LATER
    return ALL_CAME


def quarter_start(day: date, back: int) -> date:
    """The first day of the quarter `back` quarters before the one `day` is in."""
    index = day.year * 4 + (day.month - 1) // 3 - back
    return date(index // 4, (index % 4) * 3 + 1, 1)


def _person_number(born: date, serial: int) -> str:
    ten = f"{born:%y%m%d}{serial:03d}"
    return f"{born.year}{born:%m%d}{serial:03d}{luhn_check_digit(ten)}"


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZONE).astimezone(UTC)


def add_meeting_history(world: DemoWorld, today: date | None = None) -> None:
    today = today or date.today()
    users = {
        u.username: u for u in get_user_model().objects.filter(username__in=[c[2] for c in CALLERS])
    }
    n = 0
    for back in range(QUARTERS, 0, -1):
        first_day = quarter_start(today, back)
        for org_key, unit_key, username in CALLERS:
            for i, answers in enumerate(answers_for(back)):
                n += 1
                _plan(
                    world,
                    users[username],
                    org_key,
                    unit_key,
                    first_day + timedelta(days=12 + 20 * i),
                    answers,
                    n,
                    today,
                )


def _plan(
    world: DemoWorld,
    user: User,
    org_key: str,
    unit_key: str,
    meeting_day: date,
    answers: tuple[Answer, Answer],
    n: int,
    today: date,
) -> None:
    organisation = world.organisations[org_key]
    unit = world.units[unit_key]
    region = world.organisations["region"]
    born = date(1960, 1, 1) + timedelta(days=97 * n)
    person = Person.objects.create(
        identifier_kind=IdentifierKind.PERSONNUMMER,
        identifier=_person_number(born, 990 + n % 10),
        birth_date=born,
        given_name=GIVEN[n % len(GIVEN)],
        family_name=FAMILY[n % len(FAMILY)],
        city=organisation.name.split()[0],
    )
    initiated = meeting_day - timedelta(days=16)
    closed = min(_at(meeting_day + timedelta(days=45), 14), _at(today - timedelta(days=1), 14))
    plan = Plan.objects.create(
        person=person,
        state=PlanState.CLOSED,
        initiated_by=InitiatedBy.STAFF,
        initiated_on=initiated,
        initiating_unit=unit,
        initiating_user=user,
        reasons=["bounced_around", "responsibility_unclear"],
        need_groups=[NeedGroup.PSYCHIATRIC_ADDICTION],
        meeting_deadline=initiated + timedelta(days=14),
        lead_organisation=organisation,
        coordinator=user,
        coordinator_unit=unit,
        closure_reason=ClosureReason.MOVED if n % 2 else ClosureReason.DECLINED,
        closed_at=closed,
    )
    summoned = [world.units[k] for k in SUMMONED]
    Participant.objects.bulk_create([Participant(plan=plan, unit=u) for u in [unit, *summoned]])
    consent = Consent.objects.create(
        plan=plan,
        decision=ConsentDecision.GIVEN,
        method=ConsentMethod.WRITTEN,
        information_kinds=["plan", "social", "health"],
        given_at=_at(initiated + timedelta(days=1), 10),
        recorded_by=user,
        recorded_unit=unit,
        # Ended with the plan: the region's units keep no relation with the person.
        revoked_at=closed,
        revoked_by=user,
        revocation_note="Planen avslutades.",
    )
    consent.organisations.set([organisation, region])
    starts = _at(meeting_day, 9)
    meeting = Meeting.objects.create(
        plan=plan,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        mode=MeetingMode.PHYSICAL,
        location="Socialkontoret",
        agenda="Samordning av insatser",
        held_at=starts + timedelta(hours=1),
        minutes="Mötet hölls.",
        organiser=user,
    )
    Invitation.objects.bulk_create(
        [
            Invitation(
                meeting=meeting,
                unit=u,
                email=u.email or "enhet@example.org",
                kind=InvitationKind.SUMMONS,
                answer=answer,
                decline_reason=reason,
                represented_by="En kollega" if answer == InvitationAnswer.REPRESENTED else "",
                answered_at=None
                if answer == InvitationAnswer.PENDING
                else starts - timedelta(days=5),
                attended=attended,
            )
            for u, (answer, attended, reason) in zip(summoned, answers, strict=True)
        ]
    )
    for kind, at, detail in (
        ("initiated", _at(initiated, 10), {}),
        ("meeting_held", starts + timedelta(hours=1), {"meeting": meeting.pk}),
        ("closed", closed, {"reason": plan.closure_reason}),
    ):
        event = PlanEvent.objects.create(plan=plan, kind=kind, actor=user, unit=unit, detail=detail)
        PlanEvent.objects.filter(pk=event.pk).update(at=at)  # `at` is set on creation
