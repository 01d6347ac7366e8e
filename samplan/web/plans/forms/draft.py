"""Forms for the working draft: the plan's details, needs, goals and interventions."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from samplan.accounts.models import User
from samplan.directory.models import PRINCIPAL_KINDS, Organisation, Unit
from samplan.plans.models import Goal, InterventionStatus, NeedKind, Plan, PlanType
from samplan.plans.services import InterventionFields, PlanDetails
from samplan.web.plans.forms._common import (
    RevisionForm,
    UnitChoice,
    UserChoice,
    date_input,
    participating_units,
    set_queryset,
    text_area,
)


class PlanDetailsForm(RevisionForm):
    id_prefix = "details"

    title = forms.CharField(label=_("Rubrik"), max_length=200, required=False)
    lead_organisation = forms.ModelChoiceField(
        label=_("Huvudansvarig huvudman"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="–",
    )
    coordinator = UserChoice(
        label=_("Samordnare"),
        queryset=User.objects.none(),
        required=False,
        empty_label="–",
        help_text=_("Personal i en deltagande enhet hos kommunen eller regionen."),
    )
    coordinator_unit = UnitChoice(
        label=_("Samordnarens enhet"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label="–",
        help_text=_("Lämna tomt så väljs samordnarens deltagande enhet."),
    )
    coordinator_phone = forms.CharField(
        label=_("Samordnarens telefon"), max_length=40, required=False
    )
    coordinator_email = forms.EmailField(label=_("Samordnarens e-post"), required=False)
    time_plan = forms.CharField(
        label=_("Tidsplan för samordningen"), required=False, widget=text_area(4)
    )
    evaluation_plan = forms.CharField(
        label=_("Vad som följs upp och utvärderas, och när"), required=False, widget=text_area(4)
    )
    existing_plan_reference = forms.CharField(
        label=_("Befintlig plan som kompletteras"), max_length=200, required=False
    )
    lss_decision_date = forms.DateField(
        label=_("Datum för LSS-beslut"), required=False, widget=date_input()
    )

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "revision": plan.revision,
                "title": plan.title,
                "lead_organisation": plan.lead_organisation_id,
                "coordinator": plan.coordinator_id,
                "coordinator_unit": plan.coordinator_unit_id,
                "coordinator_phone": plan.coordinator_phone,
                "coordinator_email": plan.coordinator_email,
                "time_plan": plan.time_plan,
                "evaluation_plan": plan.evaluation_plan,
                "existing_plan_reference": plan.existing_plan_reference,
                "lss_decision_date": plan.lss_decision_date,
            },
        )
        super().__init__(*args, **kwargs)
        units = participating_units(plan)
        set_queryset(
            self,
            "lead_organisation",
            Organisation.objects.filter(is_active=True, kind__in=PRINCIPAL_KINDS).order_by("name"),
        )
        set_queryset(
            self,
            "coordinator",
            User.objects.filter(
                is_active=True, memberships__is_active=True, memberships__unit__in=units
            )
            .distinct()
            .order_by("first_name", "last_name"),
        )
        set_queryset(self, "coordinator_unit", units)
        if plan.plan_type != PlanType.LSS_IP and not plan.lss_decision_date:
            del self.fields["lss_decision_date"]
        if plan.plan_type not in (PlanType.HABILITATION, PlanType.REHABILITATION) and not (
            plan.existing_plan_reference
        ):
            del self.fields["existing_plan_reference"]

    def service_fields(self) -> PlanDetails:
        # The form's fields are the service's (PlanDetails), and the revision.
        data = cast(PlanDetails, {k: v for k, v in self.cleaned_data.items() if k != "revision"})
        # Blank contact details for a coordinator: the service fills in the coordinator's own.
        if data.get("coordinator") is not None:
            if not data.get("coordinator_phone"):
                data.pop("coordinator_phone", None)
            if not data.get("coordinator_email"):
                data.pop("coordinator_email", None)
        return data


class NeedForm(RevisionForm):
    id_prefix = "need"

    kind = forms.ChoiceField(label=_("Typ"), choices=NeedKind.choices, initial=NeedKind.NEED)
    description = forms.CharField(label=_("Beskrivning"), widget=text_area())
    icf_code = forms.CharField(
        label=_("ICF-kod"),
        max_length=20,
        required=False,
        help_text=_("Frivilligt, t.ex. d450."),
    )


class GoalForm(RevisionForm):
    id_prefix = "goal"

    person_words = forms.CharField(
        label=_("Målet med personens egna ord"), required=False, widget=text_area(2)
    )
    shared_goal = forms.CharField(label=_("Gemensamt mål"), widget=text_area(2))
    target_date = forms.DateField(label=_("Ska vara nått"), required=False, widget=date_input())


class InterventionForm(RevisionForm):
    id_prefix = "intervention"

    description = forms.CharField(label=_("Insats"), required=False, widget=text_area(2))
    responsible_organisation = forms.ModelChoiceField(
        label=_("Ansvarig organisation"),
        queryset=Organisation.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label="–",
    )
    responsible_unit = UnitChoice(
        label=_("Ansvarig enhet"),
        queryset=Unit.objects.filter(is_active=True)
        .select_related("organisation")
        .order_by("organisation__name", "name"),
        required=False,
        empty_label="–",
    )
    responsible_staff = UserChoice(
        label=_("Ansvarig personal"), queryset=User.objects.none(), required=False, empty_label="–"
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=InterventionStatus.choices,
        initial=InterventionStatus.PLANNED,
        widget=forms.RadioSelect,
        required=False,
    )
    start_date = forms.DateField(label=_("Start"), required=False, widget=date_input())
    end_date = forms.DateField(label=_("Slut"), required=False, widget=date_input())
    goal = forms.ModelChoiceField(
        label=_("Mål som insatsen ska leda till"),
        queryset=Goal.objects.none(),
        required=False,
        empty_label="–",
    )

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "goal", plan.goals.all())
        set_queryset(
            self,
            "responsible_staff",
            User.objects.filter(
                is_active=True,
                memberships__is_active=True,
                memberships__unit__participations__plan=plan,
            )
            .distinct()
            .order_by("first_name", "last_name"),
        )

    def service_fields(self) -> InterventionFields:
        # The form's fields are the service's (InterventionFields), and the revision.
        return cast(
            InterventionFields, {k: v for k, v in self.cleaned_data.items() if k != "revision"}
        )
