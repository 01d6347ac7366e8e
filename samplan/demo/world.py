"""The demo world: one region, two municipalities, Försäkringskassan, a school, their staff
and 50+ fictitious persons. Used by `samplan demo`, by tests and by benchmarks.

Every name is invented; identity numbers are generated to be valid in form (date, century,
check digit) and are not taken from any register.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from samplan.authz.actor import Actor
from samplan.demo import attendance, managers
from samplan.demo.agreements import add_agreements
from samplan.demo.shape import DemoWorld
from samplan.directory import services
from samplan.directory.identity import luhn_check_digit
from samplan.directory.models import (
    IdentifierKind,
    Organisation,
    OrganisationKind,
    OrganisationRoleKind,
    Person,
    Profession,
    RepresentativeKind,
    UnitKind,
)

DEMO_PASSWORD = "samplan-demo-2026"
REGION_NAME = "Region Sjöland"


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    organisation: str
    unit: str
    role: str


# key, name, kind, organisation number (valid in form), units
ORGANISATIONS = [
    (
        "region",
        REGION_NAME,
        OrganisationKind.REGION,
        "232100-0081",
        [
            ("psykiatri", "Öppenpsykiatri Sjöstad", UnitKind.PSYCHIATRY),
            ("beroende", "Beroendevård Sjöstad", UnitKind.ADDICTION),
            ("vardcentral", "Vårdcentral Ekbacka", UnitKind.PRIMARY_CARE),
            ("habilitering", "Habilitering barn och unga", UnitKind.HABILITATION),
        ],
    ),
    (
        "ekbacka",
        "Ekbacka kommun",
        OrganisationKind.MUNICIPALITY,
        "212000-0316",
        [
            ("ekbacka_socialpsykiatri", "Socialpsykiatri Ekbacka", UnitKind.SOCIAL_PSYCHIATRY),
            ("ekbacka_lss", "LSS-handläggning Ekbacka", UnitKind.LSS),
            ("ekbacka_hemtjanst", "Hemtjänst Ekbacka", UnitKind.HOME_CARE),
            ("ekbacka_bistand", "Biståndsenheten Ekbacka", UnitKind.NEEDS_ASSESSMENT),
        ],
    ),
    (
        "strandvik",
        "Strandviks kommun",
        OrganisationKind.MUNICIPALITY,
        "212000-0274",
        [
            ("strandvik_socialpsykiatri", "Socialpsykiatri Strandvik", UnitKind.SOCIAL_PSYCHIATRY),
            ("strandvik_lss", "LSS-handläggning Strandvik", UnitKind.LSS),
            ("strandvik_hemtjanst", "Hemtjänst Strandvik", UnitKind.HOME_CARE),
            ("strandvik_bistand", "Biståndsenheten Strandvik", UnitKind.NEEDS_ASSESSMENT),
        ],
    ),
    (
        "fk",
        "Försäkringskassan",
        OrganisationKind.STATE_AGENCY,
        "202100-5521",
        [("fk_lokal", "Lokalt försäkringscenter Sjöstad", UnitKind.SOCIAL_INSURANCE)],
    ),
    (
        "skola",
        "Ekbackaskolan (friskola)",
        OrganisationKind.SCHOOL,
        "556123-4567",
        [("skola_elevhalsa", "Elevhälsan Ekbackaskolan", UnitKind.SCHOOL)],
    ),
]

# username, first name, last name, unit key, profession
STAFF = [
    ("sara.lind", "Sara", "Lind", "psykiatri", Profession.NURSE),
    ("omar.haddad", "Omar", "Haddad", "psykiatri", Profession.PSYCHIATRIST),
    ("eva.strom", "Eva", "Ström", "beroende", Profession.COUNSELLOR),
    ("jonas.berg", "Jonas", "Berg", "beroende", Profession.PHYSICIAN),
    ("maria.nyberg", "Maria", "Nyberg", "vardcentral", Profession.NURSE),
    ("lena.ek", "Lena", "Ek", "habilitering", Profession.OCCUPATIONAL_THERAPIST),
    ("karin.holm", "Karin", "Holm", "ekbacka_socialpsykiatri", Profession.CASE_OFFICER),
    ("ali.yilmaz", "Ali", "Yilmaz", "ekbacka_socialpsykiatri", Profession.SUPPORT_WORKER),
    ("anna.sjoberg", "Anna", "Sjöberg", "ekbacka_lss", Profession.CASE_OFFICER),
    ("peter.falk", "Peter", "Falk", "ekbacka_hemtjanst", Profession.MANAGER),
    ("nora.wik", "Nora", "Wik", "ekbacka_bistand", Profession.CASE_OFFICER),
    ("johan.dahl", "Johan", "Dahl", "strandvik_socialpsykiatri", Profession.SOCIAL_WORKER),
    ("sofia.ahmed", "Sofia", "Ahmed", "strandvik_lss", Profession.CASE_OFFICER),
    ("erik.lund", "Erik", "Lund", "strandvik_hemtjanst", Profession.ASSISTANT_NURSE),
    ("mona.nilsson", "Mona", "Nilsson", "strandvik_bistand", Profession.CASE_OFFICER),
    ("hanna.fors", "Hanna", "Fors", "fk_lokal", Profession.INSURANCE_OFFICER),
    ("lisa.grahn", "Lisa", "Grahn", "skola_elevhalsa", Profession.SCHOOL_NURSE),
    ("registrator.ekbacka", "Rut", "Register", "ekbacka_bistand", Profession.CASE_OFFICER),
]
# Staff who also hold an organisation role: the registrar keeps the registry data of the
# persons Ekbacka has a relation with, and alone sets or removes protected identity.
STAFF_ROLES = [("registrator.ekbacka", "ekbacka", OrganisationRoleKind.REGISTRAR)]
# A nurse who works in both psychiatry and addiction care: acts through one unit at a time.
SECOND_MEMBERSHIPS = [("sara.lind", "beroende", Profession.NURSE)]
# username, first, last, organisation key, role
ORG_ROLES = [
    ("admin.region", "Rita", "Admin", "region", OrganisationRoleKind.ADMIN),
    ("admin.ekbacka", "Erik", "Admin", "ekbacka", OrganisationRoleKind.ADMIN),
    ("admin.strandvik", "Stina", "Admin", "strandvik", OrganisationRoleKind.ADMIN),
    ("granskare.region", "Rolf", "Granskare", "region", OrganisationRoleKind.LOG_REVIEWER),
    ("granskare.ekbacka", "Elsa", "Granskare", "ekbacka", OrganisationRoleKind.LOG_REVIEWER),
]
# Accounts for a person with a plan and for a next of kin: (username, person key, rep name)
PERSON_USERS = [("ove.demosson", "ove", None), ("bengt.demosson", "greta", "Bengt Demosson")]

GIVEN = [
    "Alva",
    "Bo",
    "Cecilia",
    "David",
    "Elin",
    "Fredrik",
    "Greta",
    "Hassan",
    "Ida",
    "Jakob",
    "Klara",
    "Leo",
    "Maja",
    "Nils",
    "Olivia",
    "Pontus",
    "Rut",
    "Samir",
    "Tove",
    "Ulf",
    "Vera",
    "William",
    "Yasmin",
    "Åke",
    "Ebba",
    "Amir",
    "Linnea",
    "Oskar",
    "Siv",
    "Tage",
]
FAMILY = [
    "Andersson",
    "Bergström",
    "Carlsson",
    "Danielsson",
    "Engström",
    "Forsberg",
    "Gustafsson",
    "Hedlund",
    "Isaksson",
    "Jönsson",
    "Karlsson",
    "Lindqvist",
    "Magnusson",
    "Nordin",
    "Olofsson",
    "Persson",
    "Rask",
    "Sandberg",
    "Törnqvist",
    "Wallin",
    "Öberg",
    "Ali",
]
STREETS = ["Storgatan", "Sjövägen", "Ekbacksvägen", "Skolgatan", "Hamngatan", "Björkstigen"]


def person_number(born: date, serial: int, *, coordination: bool = False) -> str:
    """A twelve-digit number valid in form: date (day + 60 for samordningsnummer), serial, check."""
    day = born.day + (60 if coordination else 0)
    ten = f"{born:%y%m}{day:02d}{serial:03d}"
    return f"{born.year}{born:%m}{day:02d}{serial:03d}{luhn_check_digit(ten)}"


def demo_users() -> list[DemoUser]:
    units = {
        key: (name, org_name) for _k, org_name, _kd, _n, us in ORGANISATIONS for key, name, _ in us
    }
    users = [DemoUser("admin", "Systemadministratör", "–", "–", "superuser")]
    for username, first, last, org_key, role in ORG_ROLES:
        org_name = next(o[1] for o in ORGANISATIONS if o[0] == org_key)
        users.append(DemoUser(username, f"{first} {last}", org_name, "–", str(role.label)))
    roles = {username: str(role.label) for username, _org, role in STAFF_ROLES}
    for username, first, last, unit_key, profession in STAFF:
        unit_name, org_name = units[unit_key]
        label = ", ".join(filter(None, [str(profession.label), roles.get(username, "")]))
        users.append(DemoUser(username, f"{first} {last}", org_name, unit_name, label))
    users += [DemoUser(*m) for m in managers.demo_logins({o[0]: o[1] for o in ORGANISATIONS})]
    users.append(DemoUser("ove.demosson", "Ove Demosson", "–", "–", "person med plan"))
    users.append(DemoUser("bengt.demosson", "Bengt Demosson", "–", "–", "närstående till Greta"))
    return users


def demo_exists() -> bool:
    return Organisation.objects.filter(name=REGION_NAME).exists()


@transaction.atomic
def build(*, seed: int = 2026, persons: int = 56, with_plans: bool = True) -> DemoWorld:
    """Create the demo world through the same services the pages use."""
    rng = random.Random(seed)
    system = Actor.system()
    world = DemoWorld()
    user_model = get_user_model()

    for key, name, kind, org_number, units in ORGANISATIONS:
        org = services.organisation_create(
            actor=system,
            name=name,
            kind=kind,
            org_number=org_number,
            email=f"registrator@{key}.example",
        )
        world.organisations[key] = org
        for unit_key, unit_name, unit_kind in units:
            world.units[unit_key] = services.unit_create(
                actor=system,
                organisation=org,
                name=unit_name,
                kind=unit_kind,
                email=f"{unit_key}@{key}.example",
                phone=f"010-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            )

    user_model.objects.create_superuser(
        username="admin",
        email="admin@samplan.example",
        password=None,
        first_name="System",
        last_name="Administratör",
    )
    for username, first, last, org_key, role in ORG_ROLES:
        user = user_model.objects.create_user(
            username=username,
            password=None,
            first_name=first,
            last_name=last,
            email=f"{username}@example.org",
        )
        services.organisation_role_grant(
            actor=system, organisation=world.organisations[org_key], user=user, kind=role
        )
    for i, (username, first, last, unit_key, profession) in enumerate(STAFF):
        membership = services.staff_create(
            actor=system,
            unit=world.units[unit_key],
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@example.org",
            profession=profession,
            password=None,
            hsa_id=f"SE2321000081-D{i:04d}"
            if world.units[unit_key].organisation.kind == OrganisationKind.REGION
            else "",
        )
        world.staff[username] = membership
    for username, unit_key, profession in SECOND_MEMBERSHIPS:
        services.membership_add(
            actor=system,
            user=world.staff[username].user,
            unit=world.units[unit_key],
            profession=profession,
        )
    for username, org_key, role in STAFF_ROLES:
        services.organisation_role_grant(
            actor=system,
            organisation=world.organisations[org_key],
            user=world.staff[username].user,
            kind=role,
        )

    _persons(world, system, rng, persons)
    for username, person_key, rep_name in PERSON_USERS:
        person = world.persons[person_key]
        first, last = (rep_name or person.full_name).split(" ", 1)
        account = user_model.objects.create_user(
            username=username,
            password=None,
            first_name=first,
            last_name=last,
            email=f"{username}@example.net",
        )
        if rep_name:
            rep = person.representatives.get(name=rep_name)
            services.representative_update(actor=system, representative=rep, user=account)
        else:
            services.person_update(actor=system, person=person, user=account)
    # One Argon2 hash for all demo accounts: hashing is deliberately slow, and these accounts
    # share one published password anyway.
    demo_usernames = [u.username for u in demo_users()]
    user_model.objects.filter(username__in=demo_usernames).update(
        password=make_password(DEMO_PASSWORD)
    )
    if with_plans:
        from samplan.demo.plans import build_plans

        world.plans = build_plans(world)
    add_agreements(world)  # agreements, SIP leads and times, a dispute (issue 13)
    if with_plans:
        attendance.add_meeting_history(world)  # seed 004's quarters
    managers.add_managers(world)
    return world


def _persons(world: DemoWorld, system: Actor, rng: random.Random, count: int) -> None:
    def add(key: str, born: date, **fields: object) -> Person:
        serial = rng.randint(100, 989)
        coordination = bool(fields.pop("coordination", False))
        fields.setdefault("identifier", person_number(born, serial, coordination=coordination))
        fields.setdefault("identifier_kind", IdentifierKind.PERSONNUMMER)
        fields.setdefault("address", f"{rng.choice(STREETS)} {rng.randint(1, 60)}")
        fields.setdefault("postal_code", f"1{rng.randint(10, 99)} {rng.randint(10, 99)}")
        fields.setdefault("city", rng.choice(["Ekbacka", "Strandvik", "Sjöstad"]))
        fields.setdefault("phone", f"070-{rng.randint(100, 999)} {rng.randint(10, 99)} 00")
        person = services.person_create(actor=system, **fields)  # type: ignore[arg-type]
        world.persons[key] = person
        return person

    # Named persons that the demo and tests refer to.
    add("ove", date(1979, 4, 17), given_name="Ove", family_name="Demosson")  # bollas runt
    add("greta", date(1941, 9, 3), given_name="Greta", family_name="Demosson")  # dementia
    child = add("liam", date(2014, 6, 21), given_name="Liam", family_name="Demoberg")
    services.representative_add(
        actor=system,
        person=child,
        kind=RepresentativeKind.GUARDIAN,
        name="Johanna Demoberg",
        relation="mamma",
        phone="070-111 22 33",
        may_see_plan=True,
        may_see_meetings=True,
        may_attend_meetings=True,
        may_act_for_person=True,
    )
    services.representative_add(
        actor=system,
        person=child,
        kind=RepresentativeKind.GUARDIAN,
        name="Mats Demoberg",
        relation="pappa",
        phone="070-444 55 66",
        may_see_plan=True,
        may_see_meetings=True,
        may_attend_meetings=True,
        may_act_for_person=True,
    )
    add(
        "skyddad",
        date(1990, 2, 11),
        given_name="Sanna",
        family_name="Skyddsdotter",
        protected_identity=True,
        address="",
        postal_code="",
        city="",
        phone="",
    )
    add(
        "samordning",
        date(1988, 12, 5),
        given_name="Dmytro",
        family_name="Demenko",
        coordination=True,
        identifier_kind=IdentifierKind.SAMORDNINGSNUMMER,
    )
    add(
        "reserv",
        date(1975, 1, 1),
        given_name="Okänd",
        family_name="Reservsson",
        identifier_kind=IdentifierKind.RESERVE,
        identifier="RES-SJ-000123",
    )
    greta = world.persons["greta"]
    services.representative_add(
        actor=system,
        person=greta,
        kind=RepresentativeKind.NEXT_OF_KIN,
        name="Bengt Demosson",
        relation="son",
        phone="070-777 88 99",
        may_see_plan=True,
        may_see_meetings=True,
        may_attend_meetings=True,
    )
    services.representative_add(
        actor=system,
        person=greta,
        kind=RepresentativeKind.TRUSTEE,
        name="Gun Godman",
        relation="god man",
        may_see_meetings=True,
    )

    while len(world.persons) < count:
        born = date(rng.randint(1935, 2008), rng.randint(1, 12), rng.randint(1, 28))
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        add(f"p{len(world.persons)}", born, given_name=given, family_name=family)
