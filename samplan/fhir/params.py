"""FHIR search parameters: parsed and bounded before any query (ids, cursors, dates with
their comparison prefixes), so that bad input is a 400 at the parameter that caused it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone

from samplan.core.validators import FIRST_YEAR, LAST_YEAR, MAX_ID
from samplan.fhir.errors import FhirError, bad_parameter
from samplan.fhir.vocabulary import INERA_CAREPLAN_TYPE_SYSTEM, PLAN_TYPE_CODES
from samplan.plans.models import PLAN_TYPE_SYSTEM

DEFAULT_COUNT = 20
MAX_COUNT = 100
COMMON_PARAMS = {"_count", "_cursor", "_sort", "_format"}
JSON_FORMATS = {"json", "application/json", "application/fhir+json"}
SUPPORTED_SORT = {"_id"}
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
SUPPORTED_PREFIXES = {"eq", "gt", "lt", "ge", "le"}


# Parameters -----------------------------------------------------------------------------------


@dataclass
class Params:
    values: dict[str, list[str]]
    count: int = DEFAULT_COUNT
    cursor: str | None = None

    def one(self, name: str) -> str | None:
        found = self.values.get(name)
        if not found:
            return None
        if len(found) > 1:
            raise bad_parameter(name, "may be given only once")
        return found[0]

    def many(self, name: str) -> list[str]:
        return self.values.get(name, [])


def parse_params(query: QueryDict, allowed: Iterable[str]) -> Params:
    allowed_set = set(allowed)
    values: dict[str, list[str]] = {}
    for name, items in query.lists():
        if name not in allowed_set and name not in COMMON_PARAMS:
            raise bad_parameter(name, "unsupported search parameter")
        if any(v == "" for v in items):
            raise bad_parameter(name, "empty value")
        values[name] = items
    params = Params(values=values)
    raw_count = params.one("_count")
    if raw_count is not None:
        if (
            not (raw_count.isascii() and raw_count.isdigit())
            or not 1 <= int(raw_count) <= MAX_COUNT
        ):
            raise bad_parameter("_count", f"must be a whole number from 1 to {MAX_COUNT}")
        params.count = int(raw_count)
    sort = params.one("_sort")
    if sort is not None and sort not in SUPPORTED_SORT:
        raise bad_parameter("_sort", "only _sort=_id is supported")
    fmt = params.one("_format")
    if fmt is not None and fmt not in JSON_FORMATS:
        raise FhirError(
            406, "_format: only JSON is supported", code="not-supported", expression=["_format"]
        )
    params.cursor = params.one("_cursor")
    return params


def row_id(value: str) -> int | None:
    """A row id written in ASCII digits, within the 64 bits the database stores; else None.
    (A larger number is no id of ours, and PostgreSQL refuses it with an error.)"""
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if number <= MAX_ID else None


def int_cursor(params: Params) -> int | None:
    if params.cursor is None:
        return None
    cursor = row_id(params.cursor)
    if cursor is None:
        raise bad_parameter("_cursor", "not a cursor from this server")
    return cursor


def int_ids(params: Params, name: str = "_id") -> list[int] | None:
    raw = params.many(name)
    if not raw:
        return None
    ids: list[int] = []
    for value in raw:
        for part in value.split(","):
            if part.isascii() and part.isdigit():
                number = row_id(part)
                if number is None:
                    raise bad_parameter(name, "id out of range")
                ids.append(number)
            elif not re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", part, flags=re.ASCII):
                raise bad_parameter(name, "not a valid id")
            # else: a well-formed id this server never issues matches nothing.
    return ids


def patient_id(params: Params) -> int | None:
    raw = params.one("patient")
    if raw is None:
        return None
    match = re.fullmatch(r"(?:Patient/)?(\d{1,18})", raw, flags=re.ASCII)
    if not match:
        raise bad_parameter("patient", "expected Patient/{id} or {id}")
    return int(match.group(1))


def category_plan_types(raw: str) -> list[str]:
    """The plan types a CarePlan `category` token names: a bare code (Samplan's plan types),
    or system|code in Samplan's plan-type system or Inera's TypeOfCarePlanCS (SIP, HP, RP;
    Inera has no code for an LSS individual plan). An unknown code, or a code in any other
    system, names none: the search finds nothing, as for any code that no plan carries."""
    system, _sep, code = raw.rpartition("|")
    if not system or system == PLAN_TYPE_SYSTEM:
        return [code]
    if system == INERA_CAREPLAN_TYPE_SYSTEM:
        return [str(plan_type) for plan_type, (c, _d) in PLAN_TYPE_CODES.items() if c == code]
    return []


@dataclass(frozen=True)
class Comparison:
    prefix: str
    start: datetime  # the value's precision as a half-open interval [start, end)
    end: datetime


_DATE_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", flags=re.ASCII)
_YEARS = f"the year must be between {FIRST_YEAR} and {LAST_YEAR}"


def parse_date_param(name: str, raw: str) -> Comparison:
    """A FHIR date or dateTime with an optional prefix, as the half-open range it covers.
    Years FIRST_YEAR to LAST_YEAR only: plans and their changes live there, and the range
    arithmetic at year 1 or 9999 would overflow."""
    prefix = "eq"
    if raw[:2] in PREFIXES:
        prefix, raw = raw[:2], raw[2:]
    if prefix not in SUPPORTED_PREFIXES:
        raise bad_parameter(name, f"prefix {prefix} is not supported")
    tz = timezone.get_current_timezone()
    match = _DATE_RE.fullmatch(raw)
    try:
        if match:
            year, month, dd = match.groups()
            if not FIRST_YEAR <= int(year) <= LAST_YEAR:
                raise bad_parameter(name, _YEARS)
            first = date(int(year), int(month or 1), int(dd or 1))
            if dd:
                last = first + timedelta(days=1)
            elif month:
                last = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
            else:
                last = first.replace(year=first.year + 1)
            return Comparison(
                prefix,
                datetime.combine(first, time(), tzinfo=tz),
                datetime.combine(last, time(), tzinfo=tz),
            )
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise bad_parameter(name, "not a FHIR date or dateTime") from None
    if moment.tzinfo is None:
        raise bad_parameter(name, "a dateTime needs a time zone")
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise bad_parameter(name, _YEARS)
    return Comparison(prefix, moment, moment + timedelta(microseconds=1))


def instant_filter(field_name: str, comparison: Comparison) -> Q:
    """A point in time (e.g. meta.lastUpdated) against a search value of some precision."""
    lookups = {
        "eq": Q(**{f"{field_name}__gte": comparison.start, f"{field_name}__lt": comparison.end}),
        "ge": Q(**{f"{field_name}__gte": comparison.start}),
        "gt": Q(**{f"{field_name}__gte": comparison.end}),
        "le": Q(**{f"{field_name}__lt": comparison.end}),
        "lt": Q(**{f"{field_name}__lt": comparison.start}),
    }
    return lookups[comparison.prefix]


def period_filter(comparison: Comparison) -> Q:
    """CarePlan.period: from the initiative date to the closing time (open while not closed).
    A period matches `ge` when it reaches the value, `le` when it starts by it, `eq` when it
    overlaps the value's whole range (FHIR's rules for periods, simplified to overlap)."""
    start_day = timezone.localdate(comparison.start)
    end_day = timezone.localdate(comparison.end)  # exclusive
    still_open = Q(closed_at__isnull=True)
    match comparison.prefix:
        case "ge":
            return still_open | Q(closed_at__gte=comparison.start)
        case "gt":
            return still_open | Q(closed_at__gte=comparison.end)
        case "le":
            return Q(initiated_on__lt=end_day)
        case "lt":
            return Q(initiated_on__lt=start_day)
    return Q(initiated_on__lt=end_day) & (still_open | Q(closed_at__gte=comparison.start))
