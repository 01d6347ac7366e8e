"""`samplan generate`, the registry: organisations, units, staff (accounts and memberships),
log reviewers, persons and representatives. Rows go through the bulk loader; what the plans
and the audit log need later is kept in `Registry`."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth.hashers import make_password

from samplan.accounts.models import User
from samplan.demo.generate_load import Loader
from samplan.demo.world import DEMO_PASSWORD, FAMILY, GIVEN, STREETS, person_number
from samplan.directory.identity import luhn_check_digit
from samplan.directory.models import (
    IdentifierKind,
    Membership,
    Organisation,
    OrganisationKind,
    OrganisationRole,
    OrganisationRoleKind,
    Person,
    Profession,
    Representative,
    RepresentativeKind,
    Unit,
    UnitKind,
)


def _words(text: str) -> list[str]:
    return text.split()


# More names than the demo world's, so that a search by name finds a plausible handful.
GIVEN_MORE = [
    *GIVEN,
    *_words(
        "Anna Erik Karin Lars Eva Anders Maria Johan Kerstin Per Lena Mikael Sara Magnus Emma "
        "Henrik Sofia Mats Hanna Daniel Linda Stefan Elsa Gustav Astrid Axel Wilma Liam Saga "
        "Noah Selma Hugo Alice Elias Agnes Lucas Ines Omar Leila Ahmed Fatima Mohammed Zara "
        "Viktor Ellen Filip Moa Kent Birgitta Rolf Inger Bengt Gunnel Sven Ingrid"
    ),
]
FAMILY_MORE = [
    *FAMILY,
    *_words(
        "Johansson Nilsson Larsson Eriksson Olsson Svensson Pettersson Jansson Lindberg "
        "Lindström Axelsson Berglund Fredriksson Henriksson Holm Hansen Sundberg Lund "
        "Mohammadi Hussein Nguyen Kowalski Virtanen Berg Ek Falk Wikström Strand Nyström Blom "
        "Åberg"
    ),
]
PLACE_A = _words(
    "Ek Björk Sjö Strand Lind Al Gran Ask Berg Dal Hag Holm Lunda Mo Näs Sand Vik Ör Äng"
)
PLACE_B = _words("backa vik by köping holm stad näs dal berga torp sund hult fors å")

REGION_UNITS = [
    (UnitKind.PSYCHIATRY, "Öppenpsykiatri"),
    (UnitKind.ADDICTION, "Beroendevård"),
    (UnitKind.PRIMARY_CARE, "Vårdcentral"),
    (UnitKind.HABILITATION, "Habilitering"),
    (UnitKind.SOMATIC, "Geriatrik"),
]
MUNICIPALITY_UNITS = [
    (UnitKind.SOCIAL_PSYCHIATRY, "Socialpsykiatri"),
    (UnitKind.LSS, "LSS-handläggning"),
    (UnitKind.HOME_CARE, "Hemtjänst"),
    (UnitKind.NEEDS_ASSESSMENT, "Biståndsenheten"),
    (UnitKind.CHILD_YOUTH, "Barn och unga"),
    (UnitKind.ELDERLY_CARE, "Äldreomsorg"),
    (UnitKind.ADDICTION, "Beroendeenheten"),
]
OTHER_UNITS: dict[str, list[tuple[UnitKind, str]]] = {
    OrganisationKind.STATE_AGENCY: [(UnitKind.SOCIAL_INSURANCE, "Lokalt försäkringscenter")],
    OrganisationKind.SCHOOL: [(UnitKind.SCHOOL, "Elevhälsan")],
    OrganisationKind.PRIVATE_PROVIDER: [
        (UnitKind.HOME_CARE, "Hemtjänst"),
        (UnitKind.OTHER, "Boende"),
    ],
}
UNITS_BY_KIND: dict[str, list[tuple[UnitKind, str]]] = {
    OrganisationKind.REGION: REGION_UNITS,
    OrganisationKind.MUNICIPALITY: MUNICIPALITY_UNITS,
    **OTHER_UNITS,
}
PROFESSIONS: dict[str, list[Profession]] = {
    UnitKind.PSYCHIATRY: [Profession.NURSE, Profession.PSYCHIATRIST, Profession.PSYCHOLOGIST],
    UnitKind.ADDICTION: [Profession.COUNSELLOR, Profession.PHYSICIAN, Profession.NURSE],
    UnitKind.PRIMARY_CARE: [Profession.NURSE, Profession.PHYSICIAN],
    UnitKind.HABILITATION: [Profession.OCCUPATIONAL_THERAPIST, Profession.PHYSIOTHERAPIST],
    UnitKind.SOMATIC: [Profession.PHYSICIAN, Profession.NURSE],
    UnitKind.SCHOOL: [Profession.SCHOOL_NURSE, Profession.TEACHER],
    UnitKind.SOCIAL_INSURANCE: [Profession.INSURANCE_OFFICER],
}
SOCIAL_PROFESSIONS = [Profession.CASE_OFFICER, Profession.SOCIAL_WORKER, Profession.SUPPORT_WORKER]

Row = tuple[object, ...]
Tick = Callable[[Iterable[Row]], Iterator[Row]]
_ASCII = str.maketrans("åäöéÅÄÖÉ", "aaoeAAOE")


@dataclass
class Registry:
    """What the plans and the audit log need of the generated registry."""

    region_ids: list[int] = field(default_factory=list)
    municipality_ids: list[int] = field(default_factory=list)
    other_org_ids: list[int] = field(default_factory=list)
    org_kind: dict[int, str] = field(default_factory=dict)
    org_name: dict[int, str] = field(default_factory=dict)
    units_of: dict[int, list[int]] = field(default_factory=dict)  # organisation -> units
    unit_org: dict[int, int] = field(default_factory=dict)
    unit_name: dict[int, str] = field(default_factory=dict)
    unit_kind: dict[int, str] = field(default_factory=dict)
    staff_of: dict[int, list[int]] = field(default_factory=dict)  # unit -> users
    user_name: dict[int, str] = field(default_factory=dict)
    reviewers: dict[int, int] = field(default_factory=dict)  # organisation -> log reviewer
    person_ids: list[int] = field(default_factory=list)
    person_born: dict[int, date] = field(default_factory=dict)
    guardians: dict[int, list[int]] = field(default_factory=dict)  # child -> representatives


def _org_number(rng: random.Random, prefix: str, taken: set[str]) -> str:
    while True:
        nine = prefix + "".join(str(rng.randint(0, 9)) for _ in range(9 - len(prefix)))
        number = f"{nine[:6]}-{nine[6:]}{luhn_check_digit(nine)}"
        if number not in taken:
            taken.add(number)
            return number


def _places(rng: random.Random, count: int) -> list[str]:
    names = [a + b for a in PLACE_A for b in PLACE_B]
    rng.shuffle(names)
    out = names[:count]
    n = 2
    while len(out) < count:  # more places than names: a second series
        out += [f"{p} {n}" for p in names[: count - len(out)]]
        n += 1
    return out


def build_organisations(
    loader: Loader, rng: random.Random, reg: Registry, *, municipalities: int, units: int
) -> None:
    taken = set(Organisation.objects.values_list("org_number", flat=True))
    org_id = loader.next_id(Organisation)
    unit_id = loader.next_id(Unit)
    places = _places(rng, municipalities + 1)
    region_place = places[0]
    orgs: list[tuple[int, str, str, str]] = []  # id, name, kind, number
    orgs.append((org_id, f"Region {region_place}", OrganisationKind.REGION, "2321"))
    for i, place in enumerate(places[1:], start=1):
        orgs.append((org_id + i, f"{place} kommun", OrganisationKind.MUNICIPALITY, "2120"))
    others = [
        ("Försäkringskassan", OrganisationKind.STATE_AGENCY, "2021"),
        *[
            (f"{p}skolan (friskola)", OrganisationKind.SCHOOL, "5561")
            for p in places[1 : 1 + max(1, round(units / 250))]
        ],
        *[
            (f"Omsorg {p} AB", OrganisationKind.PRIVATE_PROVIDER, "5565")
            for p in places[1 : 1 + max(1, round(units / 400))]
        ],
    ]
    for other_name, other_kind, other_prefix in others:
        orgs.append((org_id + len(orgs), other_name, other_kind, other_prefix))
    org_rows = []
    for oid, name, kind, prefix in orgs:
        number = _org_number(rng, prefix, taken)
        slug = name.split(" ")[0].lower().translate(_ASCII)
        org_rows.append((oid, name, kind, number, f"registrator@{slug}.example", loader.now))
        reg.org_kind[oid] = kind
        reg.org_name[oid] = name
        by_kind: dict[str, list[int]] = {
            OrganisationKind.REGION: reg.region_ids,
            OrganisationKind.MUNICIPALITY: reg.municipality_ids,
        }
        by_kind.get(kind, reg.other_org_ids).append(oid)
    loader.write(
        loader.table(Organisation, ["id", "name", "kind", "org_number", "email", "created_at"]),
        org_rows,
    )

    # Units: 40 % in the region, 50 % in the municipalities, the rest with the others.
    region_units = max(len(REGION_UNITS), round(units * 0.4))
    other_units = max(len(reg.other_org_ids), round(units * 0.1))
    municipal_units = max(len(reg.municipality_ids) * 2, units - region_units - other_units)
    plan_units: list[tuple[int, int]] = []  # organisation, how many
    plan_units.append((reg.region_ids[0], region_units))
    for n, oid in enumerate(reg.municipality_ids):
        share = municipal_units // len(reg.municipality_ids)
        plan_units.append(
            (oid, share + (1 if n < municipal_units % len(reg.municipality_ids) else 0))
        )
    for n, oid in enumerate(reg.other_org_ids):
        share = other_units // len(reg.other_org_ids)
        plan_units.append((oid, share + (1 if n < other_units % len(reg.other_org_ids) else 0)))
    unit_rows = []
    for oid, count in plan_units:
        org_kind = reg.org_kind[oid]
        menu = UNITS_BY_KIND[org_kind]
        town = reg.org_name[oid].split(" ")[0]
        reg.units_of[oid] = []
        for k in range(count):
            ukind, label = menu[k % len(menu)]
            series = k // len(menu)
            name = f"{label} {town}" + (f" {places[series % len(places)]}" if series else "")
            if series >= len(places):
                name += f" {series}"
            uid = unit_id
            unit_id += 1
            phone = f"010-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
            unit_rows.append((uid, oid, name, ukind, f"enhet{uid}@example.org", phone, loader.now))
            reg.units_of[oid].append(uid)
            reg.unit_org[uid] = oid
            reg.unit_name[uid] = name
            reg.unit_kind[uid] = ukind
    loader.write(
        loader.table(
            Unit, ["id", "organisation_id", "name", "kind", "email", "phone", "created_at"]
        ),
        unit_rows,
    )


def build_staff(loader: Loader, rng: random.Random, reg: Registry, *, staff: int) -> None:
    password = make_password(DEMO_PASSWORD)  # one hash for every generated account
    user_id = loader.next_id(User)
    membership_id = loader.next_id(Membership)
    role_id = loader.next_id(OrganisationRole)
    units = sorted(reg.unit_org)
    users: list[tuple[object, ...]] = []
    memberships: list[tuple[object, ...]] = []
    joined = loader.now - timedelta(days=3650)
    for n in range(max(staff, len(units))):
        unit = units[n % len(units)]
        first, last = rng.choice(GIVEN_MORE), rng.choice(FAMILY_MORE)
        username = f"{first}.{last}.{user_id}".lower().translate(_ASCII)
        users.append(
            (user_id, password, username, first, last, f"{username}@example.org", True, joined)
        )
        profession = rng.choice(PROFESSIONS.get(reg.unit_kind[unit], SOCIAL_PROFESSIONS))
        memberships.append((membership_id, user_id, unit, profession, True, joined))
        reg.staff_of.setdefault(unit, []).append(user_id)
        reg.user_name[user_id] = f"{first} {last}"
        user_id += 1
        membership_id += 1
    roles = []
    for oid in [*reg.region_ids, *reg.municipality_ids]:
        username = f"granskare.{oid}.{user_id}"
        users.append(
            (
                user_id,
                password,
                username,
                "Logg",
                "Granskare",
                f"{username}@example.org",
                True,
                joined,
            )
        )
        roles.append((role_id, user_id, oid, OrganisationRoleKind.LOG_REVIEWER))
        reg.reviewers[oid] = user_id
        user_id += 1
        role_id += 1
    user_cols = ["id", "password", "username", "first_name", "last_name", "email"]
    loader.write(loader.table(User, [*user_cols, "is_active", "date_joined"]), users)
    loader.write(
        loader.table(
            Membership, ["id", "user_id", "unit_id", "profession", "is_active", "created_at"]
        ),
        memberships,
    )
    loader.write(
        loader.table(OrganisationRole, ["id", "user_id", "organisation_id", "kind"]), roles
    )


def _birth_date(rng: random.Random, today: date) -> date:
    # Who has a SIP: children and young people, adults with psychiatric and addiction needs,
    # elderly with dementia and somatic illness.
    group = rng.random()
    if group < 0.15:
        age = rng.randint(3, 17)
    elif group < 0.7:
        age = rng.randint(18, 64)
    else:
        age = rng.randint(65, 99)
    return today - timedelta(days=age * 365 + rng.randint(0, 364))


def person_rows(
    loader: Loader, rng: random.Random, reg: Registry, *, persons: int, taken: set[str], first: int
) -> Iterator[Row]:
    """The persons, as rows (a generator: 300,000 at region scale). It reads nothing from the
    database: on PostgreSQL it runs inside a COPY."""
    person_id = first
    today = loader.now.date()
    created = datetime(today.year - 10, 1, 1, 8, tzinfo=UTC)
    for _ in range(persons):
        born = _birth_date(rng, today)
        coordination = rng.random() < 0.02
        while True:
            identifier = person_number(born, rng.randint(0, 999), coordination=coordination)
            if identifier not in taken:
                taken.add(identifier)
                break
        protected = rng.random() < 0.01
        kind = IdentifierKind.SAMORDNINGSNUMMER if coordination else IdentifierKind.PERSONNUMMER
        given, family = rng.choice(GIVEN_MORE), rng.choice(FAMILY_MORE)
        city = rng.choice(list(reg.org_name.values())[: 1 + len(reg.municipality_ids)])
        city = city.removesuffix(" kommun").removeprefix("Region ")
        yield (
            person_id,
            kind,
            identifier,
            born,
            given,
            family,
            protected,
            "" if protected else f"{rng.choice(STREETS)} {rng.randint(1, 80)}",
            "" if protected else f"{rng.randint(100, 989)} {rng.randint(10, 99)}",
            "" if protected else city,
            ""
            if protected
            else f"070-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            "sv",
            created,
            created,
        )
        reg.person_ids.append(person_id)
        reg.person_born[person_id] = born
        person_id += 1


def build_persons(
    loader: Loader, rng: random.Random, reg: Registry, *, persons: int, tick: Tick
) -> None:
    table = loader.table(
        Person,
        [
            "id",
            "identifier_kind",
            "identifier",
            "birth_date",
            "given_name",
            "family_name",
            "protected_identity",
            "address",
            "postal_code",
            "city",
            "phone",
            "preferred_language",
            "created_at",
            "updated_at",
        ],
    )
    loader.prepare_large(Person, persons)
    taken = set(Person.objects.values_list("identifier", flat=True))
    first = loader.next_id(Person)
    rows = person_rows(loader, rng, reg, persons=persons, taken=taken, first=first)
    loader.write(table, tick(rows))
    # Children have one or two guardians; some of the elderly a next of kin.
    rep_id = loader.next_id(Representative)
    reps = []
    today = loader.now.date()
    for pid in reg.person_ids:
        age = (today - reg.person_born[pid]).days // 365
        if age < 18:
            for relation in ("mamma", "pappa")[: rng.randint(1, 2)]:
                name = f"{rng.choice(GIVEN_MORE)} {rng.choice(FAMILY_MORE)}"
                reps.append(
                    (
                        rep_id,
                        pid,
                        RepresentativeKind.GUARDIAN,
                        name,
                        relation,
                        True,
                        True,
                        True,
                        True,
                    )
                )
                reg.guardians.setdefault(pid, []).append(rep_id)
                rep_id += 1
        elif age >= 75 and rng.random() < 0.3:
            name = f"{rng.choice(GIVEN_MORE)} {rng.choice(FAMILY_MORE)}"
            reps.append(
                (
                    rep_id,
                    pid,
                    RepresentativeKind.NEXT_OF_KIN,
                    name,
                    "dotter",
                    True,
                    True,
                    True,
                    False,
                )
            )
            rep_id += 1
    loader.write(
        loader.table(
            Representative,
            [
                "id",
                "person_id",
                "kind",
                "name",
                "relation",
                "may_see_plan",
                "may_see_meetings",
                "may_attend_meetings",
                "may_act_for_person",
            ],
        ),
        reps,
    )
