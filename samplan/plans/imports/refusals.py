"""Why a line of an import file is refused: one code per reason, with its words in Swedish
and English. The report carries the code, the line, the column and these words, never a
value from the file (a cell may hold a personnummer or a name)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# code: (Swedish, English). `{column}` is the column's name in the file's header.
REASONS: dict[str, tuple[str, str]] = {
    "missing_value": (
        "Värde saknas i kolumnen {column}.",
        "The column {column} has no value.",
    ),
    "personnummer": (
        "Personnumret i kolumnen {column} är ogiltigt: {what_sv}.",
        "The personal identity number in column {column} is not valid: {what_en}.",
    ),
    "bad_date": (
        "Datumet i kolumnen {column} går inte att läsa: skriv ÅÅÅÅ-MM-DD.",
        "The date in column {column} cannot be read: write YYYY-MM-DD.",
    ),
    "future_date": (
        "Datumet i kolumnen {column} ligger i framtiden.",
        "The date in column {column} is in the future.",
    ),
    "unknown_plan_type": (
        "Okänd plantyp i kolumnen {column}.",
        "Unknown plan type in column {column}.",
    ),
    "unknown_state": (
        "Okänd status i kolumnen {column}.",
        "Unknown state in column {column}.",
    ),
    "unknown_reason": (
        "Okänt skäl i kolumnen {column}.",
        "Unknown reason in column {column}.",
    ),
    "closure_reason": (
        "Planen är avslutad men skälet i kolumnen {column} saknas eller är okänt.",
        "The plan is closed but the reason in column {column} is missing or unknown.",
    ),
    "unknown_unit": (
        "Okänd eller inaktiv enhet i kolumnen {column}.",
        "Unknown or inactive unit in column {column}.",
    ),
    "ambiguous_unit": (
        "Enhetens namn i kolumnen {column} passar flera enheter: ange HSA-id.",
        "The unit's name in column {column} matches several units: give the HSA-id.",
    ),
    "bad_item": (
        "En post i kolumnen {column} har fel form (se docs/import.md).",
        "An item in column {column} has the wrong form (see docs/import.md).",
    ),
    "unknown_intervention_status": (
        "Okänd status för en insats i kolumnen {column}: planerad eller beslutad.",
        "Unknown intervention status in column {column}: planned or decided.",
    ),
    "duplicate_in_file": (
        "Personen har redan en öppen plan av samma typ tidigare i filen.",
        "The person already has an open plan of the same type earlier in the file.",
    ),
    "duplicate_in_samplan": (
        (
            "Personen har redan en öppen plan av samma typ i Samplan, eller planen är redan "
            "importerad."
        ),
        (
            "The person already has an open plan of the same type in Samplan, or the plan was "
            "imported before."
        ),
    ),
    "rejected": (
        "Samplan godtog inte planen (fält: {fields}): {message_sv}",
        "Samplan did not accept the plan (fields: {fields}): {message_en}",
    ),
    "constraint": (
        "Databasen godtog inte planen: en regel i databasen bröts. Försök igen.",
        "The database did not accept the plan: a database constraint was broken. Try again.",
    ),
    "not_allowed": (
        "Du får inte starta planen genom den valda enheten.",
        "You may not start the plan through the chosen unit.",
    ),
}

# What is wrong with a personnummer, by the code samplan.directory.identity gives. Its own
# messages are not used: one names the date of birth, which is part of the number.
PERSON_NUMBER_PROBLEMS: dict[str, tuple[str, str]] = {
    "format": ("fel form", "wrong form"),
    "date": ("datumet finns inte", "the date does not exist"),
    "century": ("orimligt födelseår", "implausible year of birth"),
    "check_digit": ("kontrollsiffran stämmer inte", "wrong check digit"),
}


@dataclass(frozen=True)
class Refusal:
    """One refused line: where, which column (if one), why."""

    line: int
    code: str
    column: str = ""
    params: tuple[tuple[str, str], ...] = ()

    def words(self) -> tuple[str, str]:
        sv, en = REASONS[self.code]
        values: dict[str, Any] = {"column": self.column, **dict(self.params)}
        return sv.format(**values), en.format(**values)

    def as_dict(self) -> dict[str, Any]:
        sv, en = self.words()
        return {
            "line": self.line,
            "code": self.code,
            "column": self.column,
            "reason_sv": sv,
            "reason_en": en,
        }


class LineRefused(Exception):
    """Raised while reading or loading a line; the line is refused, the rest go on."""

    def __init__(self, code: str, column: str = "", **params: str) -> None:
        super().__init__(code)
        self.code = code
        self.column = column
        self.params = tuple(sorted(params.items()))

    def at(self, line: int) -> Refusal:
        return Refusal(line=line, code=self.code, column=self.column, params=self.params)
