"""The demo world's agreements (issue 13): an agreement between each municipality and the
region on people with mental illness and addiction, with named contacts; a SIP lead in each
principal; a weekly SIP time ("tisdagar 9-12") kept by Ekbacka's social psychiatry and the
region's psychiatry and addiction care, and one on Thursdays in Strandvik; and one open
responsibility dispute on Ove's plan (the person sent back and forth, seed 004).

Written through the services, as the system (the operator seeding the demo), except the
dispute, which the plan's coordinator records. Every name is invented."""

from __future__ import annotations

from datetime import date, time

from samplan.agreements import services
from samplan.agreements.models import Weekday
from samplan.authz.actor import Actor
from samplan.demo.shape import DemoWorld
from samplan.plans.models import NeedGroup

VALID_FROM = date(2024, 1, 1)
ESCALATION = (
    "1. Enhetscheferna för de enheter som är oense löser frågan inom fem arbetsdagar.\n"
    "2. Annars lyfter de den till verksamhetscheferna i kommunen och regionen.\n"
    "3. Annars avgör den gemensamma ledningsgruppen för vård och omsorg."
)
# municipality key, its contact (name, e-mail), its SIP lead (username)
MUNICIPALITIES = [
    ("ekbacka", ("Kerstin Samverkansson", "samverkan@ekbacka.example"), "karin.holm"),
    ("strandvik", ("Stig Samverkare", "samverkan@strandvik.example"), "johan.dahl"),
]
REGION_CONTACT = ("Rebecka Regionsson", "samverkan@region.example")
REGION_SIP_LEAD = "omar.haddad"
# organisation key, weekday, start, end, unit keys
SIP_TIMES = [
    (
        "ekbacka",
        Weekday.TUESDAY,
        time(9),
        time(12),
        ["ekbacka_socialpsykiatri", "psykiatri", "beroende"],
    ),
    ("strandvik", Weekday.THURSDAY, time(13), time(16), ["strandvik_socialpsykiatri", "psykiatri"]),
]


def add_agreements(world: DemoWorld) -> None:
    system = Actor.system()
    region = world.organisations["region"]
    for key, (name, email), lead in MUNICIPALITIES:
        municipality = world.organisations[key]
        agreement = services.agreement_create(
            actor=system,
            fields=services.AgreementFields(
                title=f"Överenskommelse om samarbete: {municipality.name} och {region.name}",
                parties=(municipality, region),
                valid_from=VALID_FROM,
                scope=(
                    "Samarbete kring personer med psykisk funktionsnedsättning och personer med "
                    "missbruk eller beroende: vem som ansvarar för vad, och samordnad "
                    "individuell plan (SIP)."
                ),
                target_groups=(
                    NeedGroup.PSYCHIATRIC_ADDICTION,
                    NeedGroup.PSYCHIATRIC_DISABILITY,
                ),
                escalation=ESCALATION,
                document_url=f"https://{key}.example/overenskommelser/psykisk-halsa.pdf",
            ),
        )
        services.agreement_contact_add(
            actor=system, agreement=agreement, organisation=municipality, name=name, email=email
        )
        services.agreement_contact_add(
            actor=system,
            agreement=agreement,
            organisation=region,
            name=REGION_CONTACT[0],
            email=REGION_CONTACT[1],
        )
        services.sip_lead_add(actor=system, organisation=municipality, user=world.staff[lead].user)
    services.sip_lead_add(actor=system, organisation=region, user=world.staff[REGION_SIP_LEAD].user)
    for key, weekday, start, end, units in SIP_TIMES:
        services.sip_time_add(
            actor=system,
            organisation=world.organisations[key],
            weekday=weekday,
            start=start,
            end=end,
            units=[world.units[u] for u in units],
            valid_from=VALID_FROM,
        )
    ove = world.plans.get("established_overdue")
    if ove is not None:
        karin = world.staff["karin.holm"]
        services.dispute_record(
            actor=Actor(user=karin.user, membership=karin),
            plan=ove,
            units=[world.units["ekbacka_socialpsykiatri"], world.units["psykiatri"]],
            subject=(
                "Vem ansvarar för behandlingen av missbruket: psykiatrin hänvisar till "
                "beroendevården, och beroendevården menar att psykiatrin ska ha huvudansvaret "
                "så länge måendet är dåligt."
            ),
        )
