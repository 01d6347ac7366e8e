"""Forms for a responsibility dispute on a plan: record it, resolve it. The service checks
what the units and the text must be, so that its message stands next to the field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from samplan.directory.models import Unit
from samplan.plans.models import Plan
from samplan.web.plans.forms._common import (
    UnitMultipleChoice,
    participating_units,
    set_queryset,
    text_area,
)


class DisputeForm(forms.Form):
    units = UnitMultipleChoice(
        label=_("Vilka enheter är oense?"),
        queryset=Unit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Minst två av enheterna som deltar i planen."),
    )
    subject = forms.CharField(
        label=_("Vad gäller oenigheten?"),
        required=False,
        max_length=2000,
        widget=text_area(4),
        help_text=_("Till exempel vem som ska ansvara för en insats."),
    )

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "units", participating_units(plan))


class DisputeResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("Hur löstes oenigheten?"), required=False, max_length=2000, widget=text_area(4)
    )
