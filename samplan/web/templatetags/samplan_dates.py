"""Dates written as the `date` filter writes them with a fixed format, without its format
machinery (a localised format looked up, the format string parsed, per call): the worklists
write two or three dates per row. Each gives exactly what `|date:"<format>"` gives; like
`date`, a datetime arrives in the current time zone (`expects_localtime`) and None or ""
gives ""."""

from __future__ import annotations

from datetime import date, datetime

from django import template

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def ymd(value: date | datetime | str | None) -> str:
    """`|date:"Y-m-d"`."""
    if value is None or value == "" or not isinstance(value, date):
        return ""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


@register.filter(expects_localtime=True, is_safe=False)
def ymd_hm(value: datetime | str | None) -> str:
    """`|date:"Y-m-d H:i"`."""
    if value is None or value == "" or not isinstance(value, datetime):
        return ""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}"


@register.filter(expects_localtime=True, is_safe=False)
def hm(value: datetime | str | None) -> str:
    """`|date:"H:i"`."""
    if value is None or value == "" or not isinstance(value, datetime):
        return ""
    return f"{value.hour:02d}:{value.minute:02d}"


@register.filter(expects_localtime=True, is_safe=False)
def iso(value: date | datetime | str | None) -> str:
    """`|date:'c'`."""
    if value is None or value == "" or not isinstance(value, date):
        return ""
    return value.isoformat()
