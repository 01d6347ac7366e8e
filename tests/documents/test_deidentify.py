"""The de-identified case summary (seed 001): identifiers of every kind planted in a plan's
fields and free text are all gone, while the plan's substance stays; generated identity
numbers, phone numbers and e-mail addresses never survive the scrubber; bad input neither
breaks the summary nor runs in its HTML. All people here are fictitious."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import pytest
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samplan.accounts.models import User
from samplan.authz.policy import ALL_INFORMATION_KINDS
from samplan.consent.models import InformationKind
from samplan.directory.models import Person, Unit
from samplan.documents.deidentify import (
    HTML,
    TEXT,
    DeidentifiedSummary,
    NothingToSummarise,
    deidentified_summary,
)
from samplan.documents.deidentify_text import Register, age_band, scrub
from samplan.plans.models import (
    Deviation,
    DeviationKind,
    FollowUp,
    Goal,
    Intervention,
    InterventionStatus,
    Invitation,
    Meeting,
    MeetingMode,
    Need,
    NeedKind,
    Plan,
    PlanVersion,
)
from tests.factories import (
    MembershipFactory,
    PersonFactory,
    PlanFactory,
    RepresentativeFactory,
    UnitFactory,
    UserFactory,
)

LONG_WORD = "Kommunalförbundsinformationsöverföringssamordningsutvecklingsprojektsledningarna"
LONG_LOWER = "x" * 80
SCRIPT = "<script>alert('x')</script>"
NASTY = f"{SCRIPT} Mat & dryck \u202eteg\u202c 😀🏠 {LONG_WORD} {LONG_LOWER}"


def _freeze(plan: Plan, number: int) -> None:
    from samplan.plans.services import plan_snapshot

    PlanVersion.objects.create(
        plan=plan,
        number=number,
        content=plan_snapshot(plan),
        established_at=timezone.now(),
        established_by=plan.initiating_user,
    )


def _no_separators(text: str) -> str:
    return re.sub(r"[\s\-–+/.()]", "", text)


# --- every kind of identifier planted --------------------------------------------------------


@dataclass
class Planted:
    plan: Plan
    person: Person
    maker: User
    words: list[str]  # must not appear (case-insensitive)
    names: list[str]  # must not appear as a word (case-insensitive)
    numbers: list[str]  # must not appear, also with separators removed


@pytest.fixture
def planted(db: None) -> Planted:
    born = datetime.date(1990, 4, 17)
    person = PersonFactory.create(
        given_name="Signe",
        family_name="Fiktivsson",
        born=born,
        serial=123,
        address="Påhittegatan 7 B",
        postal_code="123 45",
        city="Låtsasby",
        phone="070-111 22 33",
        email="signe.fiktivsson@exempel.se",
    )
    ident = person.identifier  # YYYYMMDDNNNC
    short = ident[2:]
    spellings = [
        ident,
        f"{ident[:8]}-{ident[8:]}",
        f"{short[:6]}-{short[6:]}",
        short,
        f"{short[:6]} {short[6:]}",
        f"{short[:6]}+{short[6:]}",
    ]
    mother = RepresentativeFactory.create(
        person=person, name="Majvor Fiktivsson", relation="mamma", phone="073-444 55 66"
    )
    plan = PlanFactory.create(established=True, person=person)
    staff = UserFactory.create(first_name="Gunnel", last_name="Påhittadottir")
    MembershipFactory.create(user=staff, unit=plan.initiating_unit)
    maker = UserFactory.create(first_name="Maja", last_name="Granskarsson")
    MembershipFactory.create(user=maker, unit=plan.initiating_unit)
    municipality = plan.initiating_unit.organisation
    unit = plan.initiating_unit

    free_text = (
        f"Signe Fiktivsson ({spellings[1]}, även {spellings[2]} och {spellings[3]}) bor på "
        f"Påhittegatan 7 B, 123 45 Låtsasby. Mamma Majvor nås på +46 73 444 55 66 eller "
        f"0734445566, Signe själv på 070-111 22 33 och signe.fiktivsson@exempel.se. "
        f"Hon går på Lönnbackaskolan och jobbar extra på Konditori Sockerbiten. "
        f"Grannen Olle hjälper till, och läraren Eva Qvarnhjelm har ringt. "
        f"Gunnel Påhittadottir på {unit.name} träffade henne 2026-03-03, igen den 3 mars 2026, "
        f"sedan 3/3 och 03-03-2026. Hon är född 17 april 1990. "
        f"Samordningsnummer {short[:4]}{int(short[4:6]) + 60}-{short[6:]}, reservnummer "
        f"{ident[:8]}-R123. Kontakt med {municipality.name}."
    )
    Need.objects.create(plan=plan, kind=NeedKind.NEED, description=free_text)
    goal = Goal.objects.create(
        plan=plan,
        shared_goal="Signe vill ha ett eget boende och komma tillbaka till skolan",
        person_words=f"Jag vill bo nära grannen Olle. {free_text}",
        target_date=datetime.date(2027, 6, 14),
    )
    Intervention.objects.create(
        plan=plan,
        description=f"Boendestöd två gånger i veckan. {free_text}",
        responsible_organisation=municipality,
        responsible_unit=unit,
        responsible_staff=staff,
        status=InterventionStatus.DECIDED,
        start_date=datetime.date(2026, 3, 3),
        goal=goal,
        order=5,
    )
    FollowUp.objects.create(
        plan=plan, due_date=datetime.date(2026, 9, 9), what=free_text[:300].rsplit(" ", 1)[0]
    )  # the field holds 300
    meeting = Meeting.objects.create(
        plan=plan,
        starts_at=timezone.now() - datetime.timedelta(days=10),
        ends_at=timezone.now() - datetime.timedelta(days=10, hours=-1),
        mode=MeetingMode.PHYSICAL,
        location="Påhittegatan 7 B",
        agenda=free_text,
        minutes=free_text,
        held_at=timezone.now() - datetime.timedelta(days=10),
        organiser=staff,
    )
    Invitation.objects.create(
        meeting=meeting,
        external_name="Ingvar Byggmästarsson",
        external_organisation="Fiktiva Bygg AB",
        email="ingvar@fiktivabygg.example",
    )
    Deviation.objects.create(
        plan=plan,
        kind=DeviationKind.OTHER,
        description=f"Ingvar Byggmästarsson på Fiktiva Bygg AB kom inte. {free_text}",
        addressed_to=municipality,
        reported_by=staff,
        reported_unit=unit,
    )
    plan.title = "SIP för Signe Fiktivsson"
    plan.time_plan = free_text
    plan.evaluation_plan = free_text
    plan.initiative_note = free_text
    plan.existing_plan_reference = f"Genomförandeplan {ident}"
    plan.coordinator_phone = "010-555 66 77"
    plan.save()
    _freeze(plan, 2)
    return Planted(
        plan=plan,
        person=person,
        maker=maker,
        words=[
            "Påhittegatan",
            "123 45",
            "12345",
            "Låtsasby",
            "signe.fiktivsson@exempel.se",
            "exempel.se",
            "@",
            "Lönnbackaskolan",
            "Konditori",
            "Sockerbiten",
            "Fiktiva Bygg",
            "fiktivabygg",
            "2026-03-03",
            "3 mars",
            "3/3",
            "03-03-2026",
            "17 april",
            "1990",
            "14 juni",
            "2027-06-14",
            "9 september",
            municipality.name,
            unit.name,
            "R123",
        ],
        names=[
            "Signe",
            "Fiktivsson",
            "Majvor",
            "Olle",
            "Eva",
            "Qvarnhjelm",
            "Gunnel",
            "Påhittadottir",
            "Ingvar",
            "Byggmästarsson",
            plan.initiating_user.first_name,
            plan.initiating_user.last_name,
        ],
        numbers=[
            *spellings,
            "+46 73 444 55 66",
            "0734445566",
            "073-444 55 66",
            "070-111 22 33",
            "010-555 66 77",
            mother.phone,
            f"{short[:4]}{int(short[4:6]) + 60}{short[6:]}",
        ],
    )


def _made_by(user: User, unit: Unit) -> str:
    return f"{user.display_name}, {unit.name}"


def test_no_planted_identifier_survives(planted: Planted) -> None:
    plan = planted.plan
    made_by = _made_by(planted.maker, plan.initiating_unit)
    summary = deidentified_summary(plan=plan, kinds=ALL_INFORMATION_KINDS, made_by=made_by)
    first, _, body = summary.text.partition("\n")

    # The first line says what it is and who made it (the maker's own name is allowed there).
    assert first.startswith(f"Avidentifierad sammanfattning, gjord av {planted.maker.display_name}")
    assert summary.media_type == TEXT
    # Month only, and not the plan's id (it leads back to the person in the register).
    assert re.fullmatch(r"avidentifierad-sammanfattning-\d{4}-\d{2}\.txt", summary.filename)

    lowered = body.casefold()
    for word in planted.words:
        assert word.casefold() not in lowered, word
    for name in planted.names:
        assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", body, re.IGNORECASE), name
    flat = _no_separators(body)
    for number in planted.numbers:
        assert number not in body, number
        assert _no_separators(number) not in flat, number
    assert not re.search(r"\d{6}", flat), "no run of six digits at all"

    # The substance is still there: the goal's wording, the intervention and its kind.
    assert "vill ha ett eget boende och komma tillbaka till skolan" in body
    assert "Boendestöd två gånger i veckan" in body
    assert "kommunens socialpsykiatri" in body
    assert "20–29 år" in body or "30–39 år" in body  # an age band, not the date of birth
    assert "juni 2027" in body  # the goal's month
    for placeholder in ("[namn]", "[personnummer]", "[telefon]", "[adress]", "[skola]"):
        assert placeholder in body


def test_html_variant_holds_no_identifier_either(planted: Planted) -> None:
    summary = deidentified_summary(
        plan=planted.plan,
        kinds=ALL_INFORMATION_KINDS,
        made_by=_made_by(planted.maker, planted.plan.initiating_unit),
        as_html=True,
    )
    assert summary.media_type == HTML
    assert summary.filename.endswith(".html")
    assert '<html lang="sv">' in summary.text
    for name in ("Signe", "Fiktivsson", "Olle", "Qvarnhjelm", "Påhittadottir"):
        assert not re.search(rf"(?<!\w){name}(?!\w)", summary.text, re.IGNORECASE), name
    assert "Avidentifierad sammanfattning, gjord av Maja Granskarsson" in summary.text


# --- the reader's kinds are honoured ------------------------------------------------------


@pytest.fixture
def two_kinds_plan(db: None) -> Plan:
    plan = PlanFactory.create(established=True)
    region_unit = UnitFactory.create(psychiatry=True)
    Intervention.objects.create(
        plan=plan,
        description="Läkemedelsgenomgång hos psykiatrin",
        responsible_organisation=region_unit.organisation,
        responsible_unit=region_unit,
        status=InterventionStatus.PLANNED,
    )
    Intervention.objects.create(
        plan=plan,
        description="Stödsamtal varannan vecka",
        responsible_organisation=plan.initiating_unit.organisation,
        responsible_unit=plan.initiating_unit,
        status=InterventionStatus.DECIDED,
    )
    _freeze(plan, 2)
    return plan


def test_kinds_narrow_what_is_shown(two_kinds_plan: Plan) -> None:
    everything = deidentified_summary(
        plan=two_kinds_plan, kinds=ALL_INFORMATION_KINDS, made_by="Maja, enheten"
    ).text
    assert "Läkemedelsgenomgång" in everything
    assert "Stödsamtal" in everything
    assert "regionens psykiatri" in everything
    assert "Samtycket omfattar inte allt" not in everything

    social = deidentified_summary(
        plan=two_kinds_plan,
        kinds=frozenset({InformationKind.PLAN, InformationKind.SOCIAL}),
        made_by="Maja, enheten",
    ).text
    assert "Stödsamtal" in social
    assert "Eget boende" in social
    assert "Läkemedelsgenomgång" not in social
    assert "Samtycket omfattar inte allt" in social

    no_plan_content = deidentified_summary(
        plan=two_kinds_plan, kinds=frozenset({InformationKind.SOCIAL}), made_by="Maja"
    ).text
    assert "Stödsamtal" in no_plan_content
    assert "Eget boende" not in no_plan_content  # the goal is the plan's shared content
    assert "Stöd i vardagen" not in no_plan_content

    with pytest.raises(NothingToSummarise):
        deidentified_summary(plan=two_kinds_plan, kinds=frozenset(), made_by="Maja")


def test_demo_plans_summarise_without_their_people(db: None) -> None:
    for plan in Plan.objects.select_related("person").order_by("pk"):
        text = deidentified_summary(plan=plan, kinds=ALL_INFORMATION_KINDS, made_by="X").text
        body = text.partition("\n")[2]
        person = plan.person
        for name in (person.given_name, person.family_name):
            assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", body), (plan.pk, name)
        assert person.identifier[2:8] not in _no_separators(body)


# --- generated identifiers never survive -------------------------------------------------


@st.composite
def personnummer(draw: st.DrawFn) -> str:
    born = draw(st.dates(datetime.date(1900, 1, 1), datetime.date(2025, 12, 31)))
    day = born.day + (60 if draw(st.booleans()) else 0)
    serial = draw(st.integers(0, 999))
    check = draw(st.integers(0, 9))  # whatever the check digit
    letter = draw(st.booleans())
    tail = f"{serial:03d}{check}"
    if letter:  # a reserve number with a letter
        tail = draw(st.sampled_from("RTKX")) + tail[1:]
    date_part = f"{born:%Y%m}{day:02d}" if draw(st.booleans()) else f"{born:%y%m}{day:02d}"
    separator = draw(st.sampled_from(["", "-", "+", " "]))
    if len(date_part) == 8 and separator == "+":
        separator = "-"
    return f"{date_part}{separator}{tail}"


@st.composite
def phone(draw: st.DrawFn) -> str:
    digits = "".join(str(draw(st.integers(0, 9))) for _ in range(7))
    mobile = "7" + draw(st.sampled_from("02369"))
    area = draw(st.sampled_from(["8", "31", "40", "90", "10", mobile]))
    rest = digits[: 9 - len(area)] if area == mobile else digits[: 8 - len(area) + 1]
    grouped = " ".join([rest[:3], rest[3:5], rest[5:]]).strip()
    shape = draw(st.integers(0, 5))
    if shape == 0:
        return f"0{area}-{grouped}"
    if shape == 1:
        return f"0{area}{rest}"
    if shape == 2:
        return f"+46 {area} {grouped}"
    if shape == 3:
        return f"+46{area}{rest}"
    if shape == 4:
        return f"0046 {area}-{rest}"
    return f"+46 (0){area}-{grouped}"


TEMPLATES = [
    "Ring {x} i morgon.",
    "{x}",
    "Kontakt: {x}, tack.",
    "Uppgiften ({x}) kom från mamma.",
    "Hon gav oss {x} och gick.",
    "- {x}\n- nästa rad",
]


def _scrubbed(text: str) -> str:
    with translation.override("sv"):
        return scrub(text, Register())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(number=personnummer(), template=st.sampled_from(TEMPLATES))
def test_no_personnummer_survives(number: str, template: str) -> None:
    out = _scrubbed(template.format(x=number))
    assert number not in out
    assert _no_separators(number) not in _no_separators(out)
    assert not re.search(r"\d{4}", _no_separators(out)), out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(number=phone(), template=st.sampled_from(TEMPLATES))
def test_no_phone_number_survives(number: str, template: str) -> None:
    out = _scrubbed(template.format(x=number))
    digits = re.sub(r"\D", "", number)
    assert number not in out
    assert digits[-6:] not in re.sub(r"\D", "", out), out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(email=st.emails(), template=st.sampled_from(TEMPLATES))
def test_no_email_survives(email: str, template: str) -> None:
    out = _scrubbed(template.format(x=email))
    assert email.casefold() not in out.casefold()
    assert "@" not in out
    assert email.rsplit("@", 1)[1].casefold() not in out.casefold()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(["Olle", "Eva Qvarnhjelm", "Zorro", "Ahmed Yusuf", "Anna-Karin"]),
    title=st.sampled_from(["grannen", "läraren", "kompisen", "mamma", "kuratorn"]),
)
def test_names_after_a_title_go(name: str, title: str) -> None:
    out = _scrubbed(f"Hon träffar {title} {name} på fredag.")
    for part in re.split(r"[ -]", name):
        assert part not in out, out
    assert f"Hon träffar {title} [namn] på fredag." == out


# --- the scrubber's cases, one by one ------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Mötet 2026-03-03 kl. 10.00.", "Mötet mars 2026 kl. 10.00."),
        ("Mötet den 3 mars 2026.", "Mötet mars 2026."),
        ("Ses 3/3.", "Ses mars."),
        ("Ses 03-03-2026.", "Ses mars 2026."),
        ("Ses 3:e mars.", "Ses mars."),
        ("Tid 08.30-10.00 varje dag.", "Tid 08.30-10.00 varje dag."),
        ("Hon är född 17 april 1990. Bo själv.", "Hon är född [födelsetid]. Bo själv."),
        ("Per vecka två besök.", "Per vecka två besök."),
        ("Stöd från Försäkringskassan och BUP enligt LSS.", None),
        ("Beroendevården kom inte till SIP-mötet.", None),
        ("Han har Aspergers syndrom och ADHD.", None),
        ("Bor i Kiruna sedan i fjol.", "Bor i [ort] sedan i fjol."),
        ("Hon flyttade från Malmö kommun.", "Hon flyttade från en kommun."),
        ("Läs mer på https://exempel.se/sida?id=1 idag.", "Läs mer på [länk] idag."),
        ("Postadress Box 123, 456 78 Påhittby.", "Postadress [adress], [adress]."),
        ("Planen gäller 2026-2027.", None),
        ("Ersättning 150 000 kr per år.", None),
        ("Sedan 2026-03 bor hon själv.", "Sedan mars 2026 bor hon själv."),
        ("Ärende dnr 2026/001234.", "Ärende dnr [nummer]."),
        ("Läraren E. Qvarnhjelm ringde.", "Läraren [namn] ringde."),
        ("Hans mamma ringde. Per vecka två samtal.", None),
        ("SIGNE ringde till grannen Olle.", "[namn] ringde till grannen [namn]."),
    ],
)
def test_scrub_cases(typed: str, shown: str | None) -> None:
    assert _scrubbed(typed) == (typed if shown is None else shown)


@pytest.mark.parametrize(
    ("born", "band"),
    [
        (datetime.date(2023, 1, 1), "0–5 år"),
        (datetime.date(2016, 1, 1), "6–12 år"),
        (datetime.date(2010, 1, 1), "13–17 år"),
        (datetime.date(2007, 1, 1), "18–19 år"),
        (datetime.date(2000, 1, 1), "20–29 år"),
        (datetime.date(1980, 1, 2), "40–49 år"),
        (datetime.date(1930, 1, 1), "90 år eller äldre"),
    ],
)
def test_age_band(born: datetime.date, band: str) -> None:
    with translation.override("sv"):
        assert age_band(born, datetime.date(2026, 1, 1)) == band


def test_register_names_go_even_when_not_in_any_list() -> None:
    register = Register()
    register.add_own_name("Xyzzy Qwertsson")
    register.add_name("Plugh Asdfsdottir")
    out = _scrub_with(register, "xyzzy ringde. Plugh kom, och Asdfsdottir. Qwertssons mamma.")
    for word in ("xyzzy", "Plugh", "Asdfsdottir", "Qwertsson"):
        assert word.casefold() not in out.casefold(), out


def _scrub_with(register: Register, text: str) -> str:
    with translation.override("sv"):
        return scrub(text, register)


# --- bad input -----------------------------------------------------------------------------


@pytest.fixture
def nasty_plan_deid(db: None) -> Plan:
    """Markup, "&", a right-to-left override, emoji, 80-letter words and 200 interventions."""
    plan = PlanFactory.create(established=True)
    municipality = plan.initiating_unit.organisation
    Need.objects.create(plan=plan, kind=NeedKind.NEED, description=NASTY)
    goal = Goal.objects.create(plan=plan, shared_goal=NASTY, person_words=NASTY)
    Intervention.objects.bulk_create(
        Intervention(
            plan=plan,
            description=f"Insats {n} & {NASTY}",
            responsible_organisation=municipality,
            status=InterventionStatus.DECIDED,
            start_date=timezone.localdate(),
            goal=goal,
            order=n,
        )
        for n in range(1, 200)
    )
    plan.title = NASTY[:200]
    plan.time_plan = NASTY
    plan.save()
    _freeze(plan, 2)
    return plan


def _summaries(plan: Plan) -> tuple[DeidentifiedSummary, DeidentifiedSummary]:
    made_by = f"{SCRIPT} & \u202eMaja"
    return (
        deidentified_summary(plan=plan, kinds=ALL_INFORMATION_KINDS, made_by=made_by),
        deidentified_summary(plan=plan, kinds=ALL_INFORMATION_KINDS, made_by=made_by, as_html=True),
    )


def test_bad_input_does_not_break_the_summary(nasty_plan_deid: Plan) -> None:
    text, html = _summaries(nasty_plan_deid)
    assert "\u202e" not in text.text
    assert "\u202e" not in html.text
    assert text.text.count("Insats ") >= 199
    assert "😀🏠" in text.text
    assert LONG_LOWER in text.text  # a long word is kept whole, not cut
    assert "Mat & dryck" in text.text or "& dryck" in text.text
    assert text.text.startswith("Avidentifierad sammanfattning, gjord av")
    assert text.text.count("\n") < 400  # one line per item: nothing spread out


def test_no_markup_runs_in_the_html(nasty_plan_deid: Plan) -> None:
    _, html = _summaries(nasty_plan_deid)
    assert "<script" not in html.text.casefold()
    assert "&lt;script&gt;" in html.text
    assert "&amp; dryck" in html.text
    assert "<img" not in html.text
    # Only the page's own elements are markup.
    tags = set(re.findall(r"<(/?[a-zA-Z0-9!]+)", html.text))
    assert tags <= {"!DOCTYPE", "html", "/html", "head", "/head", "meta", "title", "/title"} | {
        "body",
        "/body",
        "p",
        "/p",
        "strong",
        "/strong",
        "h2",
        "/h2",
        "ul",
        "/ul",
        "li",
        "/li",
    }
