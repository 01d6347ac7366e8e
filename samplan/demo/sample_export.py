"""A sample export from an imagined older SIP tool, in the import format (docs/import.md), with
refusals planted on known lines: `samplan import_plans --make-sample N FILE` writes one, and
the tests import it and compare the report with what was planted.

The persons are fictitious; their numbers are valid in form and chosen not to be in the
registry, except on the lines that mean to name a person already there.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.db.models import Exists, OuterRef

from samplan.demo.world import FAMILY, GIVEN, person_number
from samplan.directory.models import Person, Unit
from samplan.plans.imports import write_table
from samplan.plans.imports.columns import COLUMNS
from samplan.plans.models import OPEN_STATES, Plan, PlanType

# One line in PLANT_EVERY is made to be refused, cycling through these (code, how).
PLANT_EVERY = 10
PLANTS = [
    "personnummer",  # a wrong check digit
    "unknown_unit",  # an intervention by a unit Samplan does not know
    "duplicate_in_file",  # the person and plan type of an earlier open plan in the file
    "missing_value",  # no plan type
    "duplicate_in_samplan",  # a person who has an open SIP in Samplan
    "bad_date",  # a date that does not exist
    "closure_reason",  # closed, without a reason
    "rejected",  # a title too long: refused by the service after goals and interventions
    "future_date",  # an initiative in the future
    "unknown_state",  # a state word the import does not know
]
OPEN_WORDS = ["Initierad", "Samtycke lämnat", "Kallad", "Upprättad", "Reviderad", "Vilande"]
CLOSURE_WORDS = ["Målen uppnådda", "Flyttat", "Avböjer", "goals_reached"]
GOALS = [
    "Bo kvar i egen lägenhet",
    "Ha en meningsfull sysselsättning",
    "Minska alkoholkonsumtionen",
    "Få en fungerande skolgång",
    "Känna trygghet i vardagen",
    "Ha regelbunden kontakt med vården",
]
INTERVENTIONS = [
    "Boendestöd två gånger i veckan",
    "Samtalsbehandling varannan vecka",
    "Läkemedelsgenomgång",
    "Daglig verksamhet",
    "Hemtjänst morgon och kväll",
    "Uppföljning på vårdcentralen",
]


class SampleError(Exception):
    """The database offers too little to write a sample from."""


@dataclass
class SampleExport:
    """What the sample holds: its lines, the refusals planted by line, and what the import
    of the rest should make."""

    path: Path
    plans: int
    planted: dict[int, str] = field(default_factory=dict)
    closed: int = 0
    existing_persons: int = 0
    rejected_identifiers: list[str] = field(default_factory=list)

    @property
    def expected_imported(self) -> int:
        return self.plans - len(self.planted)


class _Sample:
    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self.taken = set(Person.objects.values_list("identifier", flat=True))
        units = list(Unit.objects.filter(is_active=True).select_related("organisation"))
        names = [u.name.casefold() for u in units]
        # A unit is named by HSA-id where it has one, else by its name if that is unique.
        self.units = [
            u.hsa_id or u.name for u in units if u.hsa_id or names.count(u.name.casefold()) == 1
        ]
        if len(self.units) < 2:
            raise SampleError(
                "Registret har för få enheter för ett exempel: kör samplan demo först. / "
                "The registry has too few units for a sample: run samplan demo first."
            )
        open_sip = Plan.objects.filter(
            person=OuterRef("pk"), plan_type=PlanType.SIP, state__in=OPEN_STATES
        )
        any_sip = Plan.objects.filter(person=OuterRef("pk"), plan_type=PlanType.SIP)
        self.with_open_sip = list(
            Person.objects.filter(Exists(open_sip))
            .order_by("pk")
            .values_list("identifier", "given_name", "family_name")
        )
        self.without_sip = list(
            Person.objects.filter(~Exists(any_sip), identifier_kind="personnummer")
            .order_by("pk")
            .values_list("identifier", "given_name", "family_name")[:20]
        )
        self.open_lines: list[dict[str, str]] = []

    def new_identifier(self) -> str:
        while True:
            born = date(1940, 1, 1) + timedelta(days=self.rng.randrange(365 * 70))
            number = person_number(born, self.rng.randrange(100, 1000))
            if number not in self.taken:
                self.taken.add(number)
                return number

    def day(self) -> date:
        return self.today - timedelta(days=self.rng.randrange(30, 3650))

    def line(self, n: int) -> dict[str, str]:
        rng = self.rng
        initiated = self.day()
        row = dict.fromkeys(COLUMNS, "")
        row.update(
            plan_id=f"GS-{n:06d}",
            personnummer=self.new_identifier(),
            fornamn=rng.choice(GIVEN),
            efternamn=rng.choice(FAMILY),
            plantyp="SIP",
            status=rng.choice(OPEN_WORDS),
            initierad=initiated.isoformat(),
            rubrik=f"Plan {n}" if rng.random() < 0.3 else "",
            deltagare="|".join(rng.sample(self.units, 2)),
            mal="|".join(rng.sample(GOALS, 1 + (rng.random() < 0.3))),
            insatser="|".join(
                f"{rng.choice(self.units)};{rng.choice(['planerad', 'beslutad'])};{text}"
                for text in rng.sample(INTERVENTIONS, 1 + (rng.random() < 0.3))
            ),
        )
        kind = rng.random()
        if kind < 0.1:
            row.update(plantyp="IP", lss_beslut=(initiated - timedelta(days=20)).isoformat())
        elif kind < 0.15:
            row.update(plantyp="HP", befintlig_plan="Habiliteringsplan 2019")
        if rng.random() < 0.2:
            row.update(
                status="Avslutad",
                avslutad=min(self.today, initiated + timedelta(days=400)).isoformat(),
                avslutsorsak=rng.choice(CLOSURE_WORDS),
            )
        elif row["status"] == "Upprättad":
            row["upprattad"] = min(self.today, initiated + timedelta(days=30)).isoformat()
        return row

    def reopen(self, row: dict[str, str]) -> None:
        """An open plan: a duplicate is one only of an open plan."""
        if row["status"] == "Avslutad":
            row.update(status=OPEN_WORDS[0], avslutad="", avslutsorsak="")

    def plant(self, row: dict[str, str], code: str, export: SampleExport) -> bool:
        """Make the line be refused for `code`. False if the world offers no way to."""
        match code:
            case "personnummer":
                number = row["personnummer"]
                row["personnummer"] = number[:-1] + str((int(number[-1]) + 1) % 10)
            case "unknown_unit":
                row["insatser"] = f"SE9999999999-OKAND;beslutad;{INTERVENTIONS[0]}"
            case "duplicate_in_file":
                if not self.open_lines:
                    return False
                earlier = self.open_lines[-1]
                row.update(
                    {k: earlier[k] for k in ("personnummer", "fornamn", "efternamn", "plantyp")},
                    lss_beslut=earlier["lss_beslut"],
                    befintlig_plan=earlier["befintlig_plan"],
                )
                self.reopen(row)
            case "missing_value":
                row["plantyp"] = ""
            case "duplicate_in_samplan":
                if not self.with_open_sip:
                    return False
                number, given, family = self.with_open_sip.pop(0)
                row.update(personnummer=number, fornamn=given, efternamn=family, plantyp="SIP")
                row.update(lss_beslut="", befintlig_plan="")
                self.reopen(row)
            case "bad_date":
                row["initierad"] = f"{self.today.year - 3}-02-30"
            case "closure_reason":
                row.update(status="Avslutad", avslutsorsak="")
            case "rejected":
                row["rubrik"] = "Planen " * 40  # 280 characters: more than the title holds
                export.rejected_identifiers.append(row["personnummer"])
            case "future_date":
                row["initierad"] = (self.today + timedelta(days=10)).isoformat()
            case "unknown_state":
                row["status"] = "Arkiverad i väntan på gallring"
        return True


def write_sample_export(
    path: Path, *, plans: int = 500, seed: int = 14, today: date | None = None
) -> SampleExport:
    """Write `plans` lines to `path` (.csv or .xlsx) and return what was planted. Reads the
    registry and the plans in the database, to name known units and plant duplicates."""
    from django.utils import timezone

    sample = _Sample(random.Random(seed), today or timezone.localdate())
    export = SampleExport(path=path, plans=plans)
    rows = []
    for n in range(plans):
        line = n + 2  # the header is line 1
        row = sample.line(n)
        if n % PLANT_EVERY == PLANT_EVERY - 3:
            code = PLANTS[(n // PLANT_EVERY) % len(PLANTS)]
            if sample.plant(row, code, export):
                export.planted[line] = code
        elif sample.without_sip and n % 25 == 1:
            number, given, family = sample.without_sip.pop(0)
            row.update(personnummer=number, fornamn=given, efternamn=family, plantyp="SIP")
            row.update(lss_beslut="", befintlig_plan="")
            export.existing_persons += 1
        if line not in export.planted:
            if row["status"] == "Avslutad":
                export.closed += 1
            else:
                sample.open_lines.append(row)
        rows.append([row[c] for c in COLUMNS])
    write_table(path, COLUMNS, rows)
    return export
