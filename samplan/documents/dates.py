"""Dates and times as Swedish documents write them (Europe/Stockholm)."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import formats, timezone


def long_date(value: date | datetime | None) -> str:
    """ "3 mars 2026" (in Swedish when the Swedish translation is active)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return formats.date_format(value, "j F Y")


def weekday_date(value: datetime) -> str:
    """ "tisdag 3 mars 2026"."""
    return formats.date_format(timezone.localtime(value), "l j F Y")


def clock(value: datetime) -> str:
    """ "10.00"."""
    return timezone.localtime(value).strftime("%H.%M")


def iso(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).date().isoformat()
    return value.isoformat()
