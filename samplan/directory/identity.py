"""Swedish identity numbers: personnummer, samordningsnummer and organisationsnummer.

Personnummer (SFS 1991:481 and Skatteverket SKV 704): date of birth YYMMDD, a three-digit
serial number and a check digit computed with the Luhn algorithm over the ten-digit form.
A samordningsnummer has the same form with 60 added to the day. The ten-digit form uses a
"+" separator from the year a person turns 100. We store the twelve-digit form YYYYMMDDNNNC.

Organisationsnummer (SKV 709): ten digits, the third at least 2 (so it cannot be mistaken for
a date of birth), Luhn check digit; a leading "16" century prefix is accepted and dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PERSONNUMMER = "personnummer"
SAMORDNINGSNUMMER = "samordningsnummer"

_PERSON_RE = re.compile(r"^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{3})(\d)$")
_ORG_RE = re.compile(r"^(16)?(\d{6})-?(\d{4})$")


def luhn_check_digit(digits: str) -> int:
    """The digit that makes `digits` + it pass the Luhn test."""
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return (10 - total % 10) % 10


@dataclass(frozen=True)
class PersonIdentity:
    kind: str  # PERSONNUMMER or SAMORDNINGSNUMMER
    number: str  # twelve digits, YYYYMMDDNNNC
    birth_date: date

    @property
    def formatted(self) -> str:
        return f"{self.number[:8]}-{self.number[8:]}"


def parse_person_number(raw: str, *, today: date | None = None) -> PersonIdentity:
    """Validate and normalise a personnummer or samordningsnummer.

    Raises ValidationError with a message that says what is wrong: the form, the date,
    the century or the check digit.
    """
    today = today or timezone.localdate()
    value = re.sub(r"\s", "", raw or "")
    match = _PERSON_RE.match(value)
    if not match:
        raise ValidationError(
            _("Skriv numret som ÅÅÅÅMMDD-NNNN (12 siffror) eller ÅÅMMDD-NNNN."),
            code="format",
        )
    century, yy, mm, dd, sep, serial, check = match.groups()
    day = int(dd)
    kind = PERSONNUMMER
    if day > 60:
        kind = SAMORDNINGSNUMMER
        day -= 60

    if century is not None:
        if sep == "+":
            raise ValidationError(
                _("Plustecken används bara i den tiosiffriga formen; skriv 12 siffror utan +."),
                code="format",
            )
        year = int(century + yy)
    else:
        year = _infer_year(int(yy), int(mm), day, centenarian=sep == "+", today=today)

    try:
        born = date(year, int(mm), day)
    except ValueError:
        raise ValidationError(
            _("Datumet %(date)s finns inte.") % {"date": f"{year:04d}-{mm}-{day:02d}"},
            code="date",
        ) from None
    if born > today:
        raise ValidationError(_("Födelsedatumet ligger i framtiden."), code="century")
    if year < today.year - 130:
        raise ValidationError(_("Födelseåret är orimligt tidigt."), code="century")

    ten = f"{yy}{mm}{dd}{serial}"
    if luhn_check_digit(ten) != int(check):
        raise ValidationError(
            _("Kontrollsiffran stämmer inte. Kontrollera numret."),
            code="check_digit",
        )
    return PersonIdentity(kind=kind, number=f"{year:04d}{mm}{dd}{serial}{check}", birth_date=born)


def _infer_year(yy: int, mm: int, dd: int, *, centenarian: bool, today: date) -> int:
    """Century of a ten-digit number: the latest year not in the future ("+" means 100 older)."""
    year = today.year - (today.year - yy) % 100
    try:
        if date(year, mm, dd) > today:
            year -= 100
    except ValueError:
        pass  # an impossible date is reported by the caller
    if centenarian:
        year -= 100
    return year


def validate_person_number(value: str) -> None:
    parse_person_number(value)


def normalise_org_number(raw: str) -> str:
    """Validate an organisationsnummer and return it as NNNNNN-NNNN."""
    value = re.sub(r"\s", "", raw or "")
    match = _ORG_RE.match(value)
    if not match:
        raise ValidationError(
            _("Skriv organisationsnumret som NNNNNN-NNNN (10 siffror)."), code="format"
        )
    first, last = match.group(2), match.group(3)
    if int(first[2]) < 2:
        raise ValidationError(
            _("Tredje siffran i ett organisationsnummer är alltid 2 eller högre."),
            code="format",
        )
    digits = first + last
    if luhn_check_digit(digits[:9]) != int(digits[9]):
        raise ValidationError(
            _("Kontrollsiffran i organisationsnumret stämmer inte."), code="check_digit"
        )
    return f"{first}-{last}"


def validate_org_number(value: str) -> None:
    normalise_org_number(value)


_HSA_RE = re.compile(r"^SE\d{10}-[A-Za-z0-9]{1,20}$")


def validate_hsa_id(value: str) -> None:
    """HSA-id: SE, the organisation number of the issuer, a dash and a local part."""
    if value and not _HSA_RE.match(value):
        raise ValidationError(
            _(
                "Ett HSA-id skrivs SE, tio siffror, bindestreck och en lokal del, t.ex. "
                "SE2321000016-1234."
            ),
            code="format",
        )
