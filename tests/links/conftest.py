"""A plan for Ove with interventions of three organisations, and a meeting that invites a unit,
someone from Försäkringskassan and a next of kin; their links, as the mail carries them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail as django_mail
from django.utils import timezone

from samplan.accounts.models import User
from samplan.audit.models import AuditEvent
from samplan.authz.actor import Actor
from samplan.consent import services as consent_services
from samplan.consent.models import ConsentDecision, ConsentMethod, InformationKind
from samplan.directory.models import Organisation, Person, Unit
from samplan.plans import services
from samplan.plans.models import (
    Goal,
    InitiativeReason,
    Intervention,
    InterventionStatus,
    Invitation,
    Meeting,
    MeetingMode,
    Need,
    NeedKind,
    Plan,
)
from tests.factories import look_up

pytestmark = pytest.mark.django_db

FK_INTERVENTION = "Försäkringskassan utreder sjukpenning i särskild ordning"
REGION_INTERVENTION = "Läkemedelsgenomgång på öppenpsykiatrin"
MUNICIPALITY_INTERVENTION = "Boendestöd två kvällar i veckan"
NEED = "Behöver stöd med sömnen och ekonomin"
GOAL = "Klara ett eget boende till sommaren"
NEXT_OF_KIN = "Johanna Anhörigsson"
FK_INVITEE = "Hanna Handläggare"
LOCATION = "Ekbacka kommunhus, rum 3"


def actor(username: str) -> Actor:
    return Actor.for_user(User.objects.get(username=username))


def org(name: str) -> Organisation:
    return Organisation.objects.get(name=name)


def link_in(body: str) -> str:
    match = re.search(r"/invitation/\d+/[^/\s]+/", body)
    assert match, body
    return match.group(0)


def token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


@dataclass
class Invited:
    plan: Plan
    person: Person
    meeting: Meeting
    fk: Invitation  # someone from Försäkringskassan (in the registry)
    kin: Invitation  # a next of kin
    fk_link: str
    kin_link: str


@pytest.fixture
def invited(
    mailoutbox: list[django_mail.EmailMessage],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Invited:
    karin = actor("karin.holm")
    ove = Person.objects.get(given_name="Ove", family_name="Demosson")
    plan = services.plan_initiate(
        actor=karin, person=look_up(karin, ove), reasons=[InitiativeReason.BOUNCED_AROUND]
    )
    fk, region, ekbacka = org("Försäkringskassan"), org("Region Sjöland"), org("Ekbacka kommun")
    consent_services.consent_record(
        actor=karin,
        plan=plan,
        decision=ConsentDecision.GIVEN,
        method=ConsentMethod.ORAL,
        organisations=[ekbacka, region, fk],
        information_kinds=[InformationKind.PLAN, InformationKind.HEALTH, InformationKind.SOCIAL],
    )
    Need.objects.create(plan=plan, kind=NeedKind.NEED, description=NEED)
    Goal.objects.create(plan=plan, shared_goal=GOAL)
    for organisation, text in (
        (fk, FK_INTERVENTION),
        (region, REGION_INTERVENTION),
        (ekbacka, MUNICIPALITY_INTERVENTION),
    ):
        Intervention.objects.create(
            plan=plan,
            description=text,
            responsible_organisation=organisation,
            status=InterventionStatus.PLANNED,
        )
    start = timezone.now() + timedelta(days=5)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = services.meeting_schedule(
            actor=karin,
            plan=plan,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            mode=MeetingMode.PHYSICAL,
            location=LOCATION,
            units=[Unit.objects.get(name="Öppenpsykiatri Sjöstad")],
            externals=[
                services.ExternalInvitee(FK_INVITEE, "hanna@fk.example", "Försäkringskassan"),
                services.ExternalInvitee(NEXT_OF_KIN, "johanna@example.org"),
            ],
        )
    plan.refresh_from_db()
    by_address = {m.to[0]: str(m.body) for m in mailoutbox}
    return Invited(
        plan=plan,
        person=ove,
        meeting=meeting,
        fk=meeting.invitations.get(external_name=FK_INVITEE),
        kin=meeting.invitations.get(external_name=NEXT_OF_KIN),
        fk_link=link_in(by_address["hanna@fk.example"]),
        kin_link=link_in(by_address["johanna@example.org"]),
    )


def last_event(action: str) -> AuditEvent:
    event = AuditEvent.objects.filter(action=action).order_by("-pk").first()
    assert event is not None, action
    return event


def invitation_row(invitation: Invitation) -> dict[str, Any]:
    return dict(Invitation.objects.values().get(pk=invitation.pk))
