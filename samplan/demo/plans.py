"""Demo plans in every state of the lifecycle, made through the same services as the pages.

Meetings cannot be called in the past, so the builder calls them in the future and then moves
them back in time: the demo needs a history that the services would never write."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from samplan.accounts.models import User
from samplan.authz.actor import Actor
from samplan.consent import services as consent_services
from samplan.consent.models import ConsentDecision
from samplan.demo.shape import DemoWorld
from samplan.directory import services as directory
from samplan.directory.models import LookupReason, Organisation, Person, Unit
from samplan.plans import services
from samplan.plans.models import (
    Attainment,
    ClosureReason,
    InvitationAnswer,
    Meeting,
    MeetingMode,
    Plan,
    PlanType,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")


class _Builder:
    def __init__(self, world: DemoWorld) -> None:
        self.world = world
        self.today = timezone.localdate()

    def actor(self, username: str, unit_key: str | None = None) -> Actor:
        user = User.objects.get(username=username)
        unit_id = self.world.units[unit_key].pk if unit_key else None
        return Actor.for_user(user, unit_id=unit_id)

    def org(self, key: str) -> Organisation:
        return self.world.organisations[key]

    def unit(self, key: str) -> Unit:
        return self.world.units[key]

    def person(self, key: str) -> Person:
        return self.world.persons[key]

    def at(self, days: int, hour: int = 10) -> datetime:
        return datetime.combine(self.today + timedelta(days=days), time(hour), tzinfo=STOCKHOLM)

    def initiate(self, who: Actor, person: Person, *, days_ago: int, **kw: object) -> Plan:
        # A unit with no relation to the person finds him or her by a look-up with a reason.
        directory.person_lookup(
            actor=who,
            query=directory.LookupQuery(identifier=person.identifier),
            reason=LookupReason.START_PLAN,
        )
        plan = services.plan_initiate(
            actor=who,
            person=person,
            initiated_on=self.today - timedelta(days=days_ago),
            **kw,  # type: ignore[arg-type]
        )
        return plan

    def consent(self, who: Actor, plan: Plan, *orgs: str, **kw: object) -> None:
        consent_services.consent_record(
            actor=who,
            plan=plan,
            decision=ConsentDecision.GIVEN,
            method=str(kw.pop("method", "oral")),
            organisations=[self.org(o) for o in orgs],
            information_kinds=list(kw.pop("kinds", ["plan", "health", "social"])),  # type: ignore[call-overload]
            **kw,  # type: ignore[arg-type]
        )

    def meeting(
        self,
        who: Actor,
        plan: Plan,
        units: list[str],
        *,
        in_days: int,
        externals: list[services.ExternalInvitee] | None = None,
    ) -> Meeting:
        start = self.at(max(in_days, 1))
        meeting = services.meeting_schedule(
            actor=who,
            plan=plan,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            mode=MeetingMode.PHYSICAL if len(units) % 2 else MeetingMode.DIGITAL,
            location="Socialkontoret, Storgatan 1, Ekbacka",
            video_url="https://video.example/sip",
            agenda="Samordning av insatser",
            units=[self.unit(u) for u in units],
            externals=externals or [],
        )
        if in_days < 1:
            past = self.at(in_days)
            Meeting.objects.filter(pk=meeting.pk).update(
                starts_at=past, ends_at=past + timedelta(hours=1)
            )
            meeting.refresh_from_db()
        return meeting

    def answer(
        self, username: str, meeting: Meeting, unit_key: str, answer: str, reason: str = ""
    ) -> None:
        services.invitation_answer(
            actor=self.actor(username, unit_key),
            invitation=meeting.invitations.get(unit=self.unit(unit_key)),
            answer=answer,
            reason=reason,
        )

    def held(self, who: Actor, meeting: Meeting) -> None:
        attended = [
            i
            for i in meeting.invitations.all()
            if i.answer in (InvitationAnswer.ACCEPTED, InvitationAnswer.REPRESENTED)
        ]
        services.meeting_record_held(
            actor=who,
            meeting=meeting,
            attended=attended,
            held_at=meeting.starts_at + timedelta(minutes=2),
            minutes="Personen deltog och berättade om sina behov.",
        )

    def content(
        self,
        who: Actor,
        plan: Plan,
        *,
        lead: str,
        coordinator: str,
        interventions: list[tuple[str, str, str | None]],
        goal: str,
        words: str,
        need: str,
        icf: str = "",
        follow_up_in: int = 90,
    ) -> None:
        services.need_add(actor=who, plan=plan, kind="need", description=need, icf_code=icf)
        services.need_add(
            actor=who,
            plan=plan,
            kind="interest",
            description="Tycker om att laga mat och promenera.",
        )
        g = services.goal_add(
            actor=who,
            plan=plan,
            shared_goal=goal,
            person_words=words,
            target_date=self.today + timedelta(days=365),
        )
        for description, org_key, unit_key in interventions:
            services.intervention_add(
                actor=who,
                plan=plan,
                description=description,
                responsible_organisation=self.org(org_key),
                responsible_unit=self.unit(unit_key) if unit_key else None,
                status="decided",
                start_date=self.today,
                goal=g,
            )
        coordinator_user = User.objects.get(username=coordinator)
        services.plan_update_details(
            actor=who,
            plan=plan,
            lead_organisation=self.org(lead),
            coordinator=coordinator_user,
            coordinator_phone="010-123 45 67",
            coordinator_email=coordinator_user.email,
            time_plan="Insatserna startar direkt; avstämning varje månad första halvåret.",
            evaluation_plan="Målen följs upp efter tre månader och utvärderas efter ett år.",
        )
        services.follow_up_schedule(
            actor=who,
            plan=plan,
            due_date=self.today + timedelta(days=follow_up_in),
            what="Hur insatserna fungerar och om målen närmar sig",
        )


def build_plans(world: DemoWorld) -> dict[str, Plan]:
    b = _Builder(world)
    karin = b.actor("karin.holm")
    johan = b.actor("johan.dahl")
    plans: dict[str, Plan] = {}

    # Ove has been sent back and forth between psychiatry and addiction care (seed 004).
    ove = b.initiate(
        karin,
        b.person("ove"),
        days_ago=40,
        reasons=["bounced_around", "responsibility_unclear", "repeated_visits"],
        need_groups=["psychiatric_addiction"],
        note="Hänvisas mellan beroendevården och öppenpsykiatrin.",
    )
    b.consent(karin, ove, "ekbacka", "region")
    first = b.meeting(karin, ove, ["psykiatri", "beroende"], in_days=-30)
    b.answer("omar.haddad", first, "psykiatri", InvitationAnswer.ACCEPTED)
    b.answer(
        "eva.strom",
        first,
        "beroende",
        InvitationAnswer.DECLINED,
        reason="Psykiatrin bör ha huvudansvaret så länge måendet är dåligt.",
    )
    b.held(karin, first)
    services.deviation_report(
        actor=karin,
        plan=ove,
        kind="unanswered",
        addressed_to=b.org("region"),
        description="Beroendevården kom inte till SIP-mötet trots kallelse.",
    )
    b.content(
        karin,
        ove,
        lead="ekbacka",
        coordinator="karin.holm",
        need="Behöver samordnat stöd för både psykisk ohälsa och missbruk.",
        icf="d240",
        goal="Ove får behandling för både psykisk ohälsa och missbruk samtidigt.",
        words="Jag vill slippa bli skickad runt.",
        interventions=[
            ("Boendestöd två gånger i veckan", "ekbacka", "ekbacka_socialpsykiatri"),
            ("Psykiatrisk behandling och läkemedel", "region", "psykiatri"),
        ],
        follow_up_in=-5,
    )
    services.plan_establish(actor=karin, plan=ove)
    plans["established_overdue"] = ove

    # Greta: dementia and somatic illness; established and under revision.
    greta = b.initiate(
        b.actor("nora.wik"),
        b.person("greta"),
        days_ago=120,
        reasons=["several_services", "readmission"],
        need_groups=["dementia_somatic"],
    )
    nora = b.actor("nora.wik")
    b.consent(nora, greta, "ekbacka", "region")
    m = b.meeting(nora, greta, ["vardcentral"], in_days=-100)
    b.answer("maria.nyberg", m, "vardcentral", InvitationAnswer.ACCEPTED)
    b.held(nora, m)
    b.content(
        nora,
        greta,
        lead="ekbacka",
        coordinator="nora.wik",
        need="Behöver hjälp med läkemedel och måltider.",
        icf="d510",
        goal="Greta kan bo kvar hemma.",
        words="Jag vill bo kvar i mitt hus.",
        interventions=[
            ("Hemtjänst morgon och kväll", "ekbacka", "ekbacka_hemtjanst"),
            ("Hembesök av distriktssköterska", "region", "vardcentral"),
        ],
        follow_up_in=10,
    )
    services.plan_establish(actor=nora, plan=greta)
    services.follow_up_record(
        actor=nora,
        follow_up=greta.follow_ups.get(),
        result="Hemtjänsten fungerar, men läkemedlen glöms ibland.",
        attainment=Attainment.PARTLY,
    )
    services.plan_revise(actor=nora, plan=greta, reason="Läkemedelshanteringen behöver ändras")
    plans["revising"] = greta

    # Liam: a habilitation plan completed with the SIP items, consent from a guardian.
    lena = b.actor("lena.ek")
    liam = b.initiate(
        lena,
        b.person("liam"),
        days_ago=15,
        reasons=["transition"],
        plan_type=PlanType.HABILITATION,
        existing_plan_reference="Habiliteringsplan 2026",
    )
    b.consent(
        lena,
        liam,
        "region",
        "ekbacka",
        method="written",
        representative=b.person("liam").representatives.filter(kind="guardian").first(),
    )
    inv = b.meeting(
        lena,
        liam,
        ["habilitering", "ekbacka_lss"],
        in_days=5,
        externals=[
            services.ExternalInvitee("Lisa Grahn", "lisa.grahn@example.org", "Ekbackaskolan")
        ],
    )
    b.answer("lena.ek", inv, "habilitering", InvitationAnswer.ACCEPTED)
    # The municipality's LSS unit has not answered yet: it is in Anna Sjöberg's worklist.
    plans["invited"] = liam

    # Plans in the other states, in both municipalities.
    names = [k for k in world.persons if k.startswith("p")]
    plans["initiated_late"] = b.initiate(
        johan, b.person(names[0]), days_ago=30, reasons=["several_services"]
    )
    plans["initiated"] = b.initiate(
        karin, b.person(names[1]), days_ago=1, reasons=["person_request"], initiated_by="person"
    )
    consented = b.initiate(
        johan,
        b.person(names[2]),
        days_ago=3,
        reasons=["sequencing"],
        need_groups=["psychiatric_disability"],
    )
    b.consent(johan, consented, "strandvik", "region")
    plans["consented"] = consented
    held = b.initiate(johan, b.person(names[3]), days_ago=20, reasons=["several_services"])
    b.consent(johan, held, "strandvik", "region")
    hm = b.meeting(johan, held, ["psykiatri"], in_days=-2)
    b.answer("omar.haddad", hm, "psykiatri", InvitationAnswer.ACCEPTED)
    b.held(johan, hm)
    services.need_add(actor=johan, plan=held, kind="need", description="Stöd till sysselsättning")
    plans["meeting_held"] = held

    lss = b.initiate(
        b.actor("sofia.ahmed"),
        b.person(names[4]),
        days_ago=60,
        reasons=["several_services"],
        plan_type=PlanType.LSS_IP,
        lss_decision_date=b.today - timedelta(days=70),
    )
    plans["lss_initiated"] = lss

    paused = b.initiate(karin, b.person(names[5]), days_ago=50, reasons=["readmission"])
    b.consent(karin, paused, "ekbacka", "region")
    pm = b.meeting(karin, paused, ["beroende"], in_days=10)
    b.answer("eva.strom", pm, "beroende", InvitationAnswer.ACCEPTED)
    # Revoked after the region joined: the region has lost access, the municipality keeps
    # its own record of the initiative.
    consent_services.consent_revoke(
        actor=karin, plan=paused, note="Personen vill tänka över saken."
    )
    plans["paused"] = paused

    closed = b.initiate(karin, b.person(names[6]), days_ago=70, reasons=["repeated_visits"])
    consent_services.consent_record(
        actor=karin,
        plan=closed,
        decision=ConsentDecision.REFUSED,
        method="oral",
        note="Vill inte ha en SIP nu.",
    )
    plans["closed_refused"] = closed

    done = b.initiate(johan, b.person(names[7]), days_ago=200, reasons=["several_services"])
    b.consent(johan, done, "strandvik", "region")
    dm = b.meeting(johan, done, ["beroende"], in_days=-180)
    b.answer("jonas.berg", dm, "beroende", InvitationAnswer.ACCEPTED)
    b.held(johan, dm)
    b.content(
        johan,
        done,
        lead="strandvik",
        coordinator="johan.dahl",
        need="Behöver stöd att hålla sig drogfri.",
        goal="Drogfri i sex månader.",
        words="Jag vill ha ett jobb.",
        icf="d845",
        interventions=[
            ("Öppenvårdsbehandling", "region", "beroende"),
            ("Sysselsättning", "strandvik", "strandvik_socialpsykiatri"),
        ],
    )
    services.plan_establish(actor=johan, plan=done)
    services.follow_up_record(
        actor=johan,
        follow_up=done.follow_ups.get(),
        result="Målen uppnådda.",
        attainment=Attainment.ACHIEVED,
    )
    services.plan_close(actor=johan, plan=done, reason=ClosureReason.GOALS_REACHED)
    plans["closed"] = done
    return plans
