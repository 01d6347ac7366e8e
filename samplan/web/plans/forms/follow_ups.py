"""Forms for a plan in force: follow-ups, deviations and closure."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from samplan.directory.models import Organisation
from samplan.plans.models import (
    Attainment,
    ClosureReason,
    DeviationKind,
    DeviationStatus,
    Goal,
    Plan,
)
from samplan.web.plans.forms._common import date_input, set_queryset, text_area


class FollowUpScheduleForm(forms.Form):
    due_date = forms.DateField(label=_("Datum"), widget=date_input())
    what = forms.CharField(label=_("Vad som följs upp"), max_length=300, required=False)


class FollowUpRecordForm(forms.Form):
    result = forms.CharField(label=_("Resultat"), required=False, widget=text_area(4))
    attainment = forms.ChoiceField(
        label=_("Måluppfyllelse, sammantaget"),
        choices=Attainment.choices,
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args: Any, goals: list[Goal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.goal_fields: list[tuple[str, Goal]] = []
        for goal in goals:
            name = f"goal_{goal.pk}"
            self.fields[name] = forms.ChoiceField(
                label=_("Mål: %(goal)s") % {"goal": goal.shared_goal},
                choices=[("", "–"), *Attainment.choices],
                required=False,
            )
            self.goal_fields.append((name, goal))

    def goal_attainments(self) -> dict[int, str]:
        return {
            goal.pk: self.cleaned_data[name]
            for name, goal in self.goal_fields
            if self.cleaned_data.get(name)
        }


class DeviationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Typ av avvikelse"), choices=DeviationKind.choices)
    description = forms.CharField(label=_("Beskrivning"), widget=text_area(4))
    addressed_to = forms.ModelChoiceField(
        label=_("Till organisation"), queryset=Organisation.objects.none(), empty_label="–"
    )

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(
            self,
            "addressed_to",
            Organisation.objects.filter(units__participations__plan=plan)
            .distinct()
            .order_by("name"),
        )


class DeviationStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=DeviationStatus.choices, widget=forms.RadioSelect
    )
    resolution = forms.CharField(
        label=_("Åtgärd"),
        required=False,
        widget=text_area(3),
        help_text=_("Hur avvikelsen har hanterats."),
    )


class PlanCloseForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Skäl för avslut"),
        choices=[c for c in ClosureReason.choices if c[0] != ClosureReason.CONSENT_REFUSED],
        widget=forms.RadioSelect,
        required=False,
    )
    note = forms.CharField(label=_("Kommentar"), required=False, widget=text_area())
