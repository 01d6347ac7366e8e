"""Forms for log review and the log extract. They parse input; selectors and services decide."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from samplan.audit.selectors import ReviewFilters
from samplan.core.validators import MAX_ID, date_in_range
from samplan.directory.models import Organisation, Unit

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def period_field(label: Any, *, required: bool = True) -> forms.DateField:
    """A day of a period: years 1900-2200 (day arithmetic at year 1 or 9999 would overflow)."""
    return forms.DateField(
        label=label, required=required, widget=DATE_WIDGET, validators=[date_in_range]
    )


def _check_period(form: forms.Form, start_name: str, end_name: str) -> None:
    start: date | None = form.cleaned_data.get(start_name)
    end: date | None = form.cleaned_data.get(end_name)
    if start and end and end < start:
        form.add_error(end_name, _("Slutdatumet kan inte ligga före startdatumet."))


class ReviewFilterForm(forms.Form):
    """The GET filters of the review page. A person is chosen by id, never by identity number,
    so that no personnummer ends up in a URL, a browser history or a proxy log."""

    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Alla mina organisationer"),
    )
    unit = forms.ModelChoiceField(
        label=_("Enhet"), queryset=Unit.objects.none(), required=False, empty_label=_("Alla")
    )
    username = forms.CharField(label=_("Användarnamn"), max_length=150, required=False)
    period_from = period_field(_("Från och med"), required=False)
    period_to = period_field(_("Till och med"), required=False)
    only_flagged = forms.BooleanField(label=_("Bara markerade händelser"), required=False)
    person = forms.IntegerField(
        label=_("Person"), required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )

    def __init__(
        self,
        *args: Any,
        organisations: Sequence[Organisation],
        units: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            pk__in=[o.pk for o in organisations]
        )
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        if len(organisations) < 2:
            del self.fields["organisation"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_period(self, "period_from", "period_to")
        return data

    def filters(self) -> ReviewFilters:
        if not self.is_valid():
            return ReviewFilters()
        data = self.cleaned_data
        organisation = data.get("organisation")
        unit = data.get("unit")
        return ReviewFilters(
            organisation_id=organisation.pk if organisation else None,
            person_id=data.get("person"),
            username=data.get("username", "").strip(),
            unit_id=unit.pk if unit else None,
            period_from=data.get("period_from"),
            period_to=data.get("period_to"),
            only_flagged=bool(data.get("only_flagged")),
        )


class PersonLookupForm(forms.Form):
    """Sent by POST: the query may be a personnummer."""

    q = forms.CharField(
        label=_("Sök person"),
        max_length=100,
        help_text=_("Personnummer, samordningsnummer, reservnummer eller namn."),
    )


class ReviewRecordForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    period_from = period_field(_("Granskad period från och med"))
    period_to = period_field(_("Granskad period till och med"))
    conclusion = forms.CharField(
        label=_("Slutsats"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Vad granskningen kom fram till, t.ex. att åtkomsten var befogad eller vad som "
            "ska utredas vidare."
        ),
    )

    def __init__(self, *args: Any, organisations: Sequence[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        field.queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            pk__in=[o.pk for o in organisations]
        )
        if len(organisations) == 1:
            field.initial = organisations[0].pk

    def clean_conclusion(self) -> str:
        text: str = self.cleaned_data["conclusion"].strip()
        if not text:
            raise forms.ValidationError(_("Skriv vad granskningen kom fram till."))
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_period(self, "period_from", "period_to")
        return data


class ExtractPeriodForm(forms.Form):
    period_from = period_field(_("Från och med"), required=False)
    period_to = period_field(_("Till och med"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_period(self, "period_from", "period_to")
        return data
