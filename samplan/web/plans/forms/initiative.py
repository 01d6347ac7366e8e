"""Forms for starting a plan and for the person's consent."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samplan.consent.models import ConsentDecision, ConsentMethod, InformationKind
from samplan.directory.models import Organisation, Person, Representative
from samplan.plans.models import InitiatedBy, InitiativeReason, NeedGroup, PlanType
from samplan.web.plans.forms._common import date_input, datetime_input, set_queryset, text_area


class PlanInitiateForm(forms.Form):
    reasons = forms.MultipleChoiceField(
        label=_("Skäl till initiativet"),
        choices=InitiativeReason.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    need_groups = forms.MultipleChoiceField(
        label=_("Målgrupp där behov av SIP ska förmodas"),
        choices=NeedGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Frivilligt."),
    )
    initiated_by = forms.ChoiceField(
        label=_("Vem tog initiativet?"),
        choices=InitiatedBy.choices,
        initial=InitiatedBy.STAFF,
        widget=forms.RadioSelect,
    )
    on_behalf_of = forms.ModelChoiceField(
        label=_("Närstående eller företrädare"),
        queryset=Representative.objects.none(),
        required=False,
        empty_label="–",
        help_text=_("När en närstående eller företrädare tog initiativet."),
    )
    initiated_on = forms.DateField(label=_("Initiativdatum"), required=False, widget=date_input())
    note = forms.CharField(
        label=_("Beskrivning av behovet av samordning"), required=False, widget=text_area(4)
    )
    plan_type = forms.ChoiceField(
        label=_("Typ av plan"), choices=PlanType.choices, initial=PlanType.SIP
    )
    lss_decision_date = forms.DateField(
        label=_("Datum för LSS-beslut"),
        required=False,
        widget=date_input(),
        help_text=_("För individuell plan enligt LSS."),
    )
    existing_plan_reference = forms.CharField(
        label=_("Befintlig plan som kompletteras"),
        max_length=200,
        required=False,
        help_text=_("För habiliterings- eller rehabiliteringsplan som kompletteras med SIP."),
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "on_behalf_of", person.representatives.all())
        self.fields["initiated_on"].initial = timezone.localdate()


class ConsentForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Personens beslut"),
        choices=ConsentDecision.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    method = forms.ChoiceField(
        label=_("Hur lämnades beslutet?"),
        choices=ConsentMethod.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisationer som samtycket gäller"),
        queryset=Organisation.objects.filter(is_active=True).order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    information_kinds = forms.MultipleChoiceField(
        label=_("Uppgifter som samtycket gäller"),
        choices=InformationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    given_at = forms.DateTimeField(
        label=_("När lämnades beslutet?"),
        required=False,
        widget=datetime_input(),
        help_text=_("Lämna tomt för just nu."),
    )
    representative = forms.ModelChoiceField(
        label=_("Lämnat av"),
        queryset=Representative.objects.none(),
        required=False,
        empty_label=_("Personen själv"),
        help_text=_("Vårdnadshavare eller förvaltare som har rätt att företräda personen."),
    )
    note = forms.CharField(label=_("Kommentar"), required=False, widget=text_area())

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "representative", person.representatives.filter(may_act_for_person=True))
