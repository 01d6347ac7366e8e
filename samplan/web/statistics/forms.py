"""The statistics page's choice of period and organisation (GET). The form parses; the access
helper decides what the manager may see and says so, field by field, when it may not."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from samplan.core.validators import MAX_ID, date_in_range
from samplan.directory.models import Organisation

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def last_full_quarter(today: date) -> tuple[date, date]:
    """The last quarter that has ended before today: 2 December gives 1 July to 30 September."""
    this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = this_quarter - timedelta(days=1)
    return date(end.year, end.month - 2, 1), end


class PeriodForm(forms.Form):
    period_from = forms.DateField(
        label=_("Från och med"),
        required=False,
        widget=DATE_WIDGET,
        validators=[date_in_range],
        error_messages={"invalid": _("Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-07-01.")},
    )
    period_to = forms.DateField(
        label=_("Till och med"),
        required=False,
        widget=DATE_WIDGET,
        validators=[date_in_range],
        error_messages={"invalid": _("Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-09-30.")},
    )
    # The choices are the organisations the access helper lets the manager filter on; an id
    # it does not allow comes back from it as an error next to this field.
    organisation = forms.IntegerField(
        label=_("Organisation"),
        required=False,
        min_value=1,
        max_value=MAX_ID,
        widget=forms.Select,
        error_messages={
            "invalid": _("Välj en organisation i listan."),
            "min_value": _("Välj en organisation i listan."),
            "max_value": _("Välj en organisation i listan."),
        },
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_period = last_full_quarter(today)
        start, end = self.default_period
        self.fields["period_from"].initial = start
        self.fields["period_to"].initial = end

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("period_from")
        end: date | None = data.get("period_to")
        if start and end and end < start:
            self.add_error("period_to", _("Slutdatumet kan inte ligga före startdatumet."))
        return data

    def period_errors(self) -> bool:
        return "period_from" in self.errors or "period_to" in self.errors

    def period(self) -> tuple[date, date]:
        """The period asked for, with the default quarter's day where one is left out; the
        default quarter when the period asked for cannot be taken."""
        if not self.is_bound or (not self.is_valid() and self.period_errors()):
            return self.default_period
        start, end = self.default_period
        data = self.cleaned_data
        return data.get("period_from") or start, data.get("period_to") or end

    def organisation_id(self) -> int | None:
        if not self.is_bound or not self.is_valid():
            return None
        value: int | None = self.cleaned_data.get("organisation")
        return value

    def offer(self, organisations: Sequence[Organisation]) -> None:
        """The organisations to choose from, as the access helper gave them."""
        widget: Any = self.fields["organisation"].widget
        widget.choices = [
            ("", _("Alla organisationer jag följer upp")),
            *((o.pk, o.name) for o in organisations),
        ]


def query(start: date, end: date, organisation_id: int | None) -> str:
    """The query string of the figures shown (for the export and report links)."""
    values = {"period_from": start.isoformat(), "period_to": end.isoformat()}
    if organisation_id:
        values["organisation"] = str(organisation_id)
    return urlencode(values)
