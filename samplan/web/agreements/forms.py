"""Forms of the agreements pages. Fields a service checks (the order of dates, the parties, an
overlap) are checked there, so that its message stands next to the field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from samplan.accounts.models import User
from samplan.agreements.models import Agreement, Weekday
from samplan.agreements.services import AgreementFields
from samplan.directory.models import Organisation, Unit
from samplan.plans.models import NeedGroup


def _date() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class UnitChoices(forms.ModelMultipleChoiceField[Unit]):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.name}, {obj.organisation.name}"


class StaffChoice(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return str(obj.display_name)


class AgreementForm(forms.Form):
    title = forms.CharField(label=_("Rubrik"), max_length=200, required=False)
    parties = forms.ModelMultipleChoiceField(
        label=_("Parter"),
        queryset=Organisation.objects.filter(is_active=True).order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Minst två, varav minst en organisation som du administrerar."),
    )
    scope = forms.CharField(
        label=_("Omfattning"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    target_groups = forms.MultipleChoiceField(
        label=_("Målgrupper"),
        choices=NeedGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Ingen vald: överenskommelsen gäller alla målgrupper."),
    )
    escalation = forms.CharField(
        label=_("Eskalering"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Vem som lyfter en oenighet om ansvar till vem."),
    )
    valid_from = forms.DateField(label=_("Gäller från"), widget=_date())
    valid_to = forms.DateField(
        label=_("Gäller till och med"),
        widget=_date(),
        required=False,
        help_text=_("Lämna tomt om den gäller tills vidare."),
    )
    document_url = forms.URLField(
        label=_("Länk till dokumentet"), required=False, assume_scheme="https"
    )

    @classmethod
    def initial_for(cls, agreement: Agreement) -> dict[str, Any]:
        return {
            "title": agreement.title,
            "parties": list(agreement.parties.all()),
            "scope": agreement.scope,
            "target_groups": agreement.target_groups,
            "escalation": agreement.escalation,
            "valid_from": agreement.valid_from,
            "valid_to": agreement.valid_to,
            "document_url": agreement.document_url,
        }

    def fields_value(self) -> AgreementFields:
        d = self.cleaned_data
        return AgreementFields(
            title=d["title"],
            parties=tuple(d["parties"]),
            valid_from=d["valid_from"],
            valid_to=d["valid_to"],
            scope=d["scope"],
            target_groups=tuple(d["target_groups"]),
            escalation=d["escalation"],
            document_url=d["document_url"],
        )


class ContactForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Part"), queryset=Organisation.objects.none())
    name = forms.CharField(label=_("Namn"), max_length=200)
    email = forms.EmailField(label=_("E-post"))

    def __init__(self, *args: Any, parties: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = parties


class SipLeadForm(forms.Form):
    user = StaffChoice(label=_("SIP-ansvarig"), queryset=User.objects.none())

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = staff


class SipTimeForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label=_("Veckodag"), choices=Weekday.choices, coerce=int, required=False
    )
    start = forms.TimeField(label=_("Börjar"), widget=_time())
    end = forms.TimeField(label=_("Slutar"), widget=_time())
    units = UnitChoices(
        label=_("Enheter som håller tiden fri"),
        queryset=Unit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "Egna enheter, och enheter hos organisationer som ni har en gällande "
            "överenskommelse med."
        ),
    )
    valid_from = forms.DateField(label=_("Gäller från"), widget=_date())
    valid_to = forms.DateField(label=_("Gäller till och med"), widget=_date(), required=False)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["units"]
        assert isinstance(field, forms.ModelChoiceField | forms.ModelMultipleChoiceField)
        field.queryset = units


class SipTimeEndForm(forms.Form):
    valid_to = forms.DateField(label=_("Sista dagen tiden gäller"), widget=_date())
