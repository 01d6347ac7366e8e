"""Deviations: reported and handled."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from samplan.authz import policy as authz
from samplan.authz.policy import Action
from samplan.plans import services
from samplan.plans.models import (
    Deviation,
)
from samplan.web.plans import forms as plan_forms
from samplan.web.plans._flow import (
    _data,
    _form_page,
    _plan,
)


@login_required
def deviation_report(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.DEVIATION_REPORT, plan)
    form = plan_forms.DeviationForm(_data(request), plan=plan)
    return _form_page(
        request,
        plan,
        form,
        title=_("Rapportera avvikelse"),
        call=lambda: services.deviation_report(
            actor=actor,
            plan=plan,
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
            addressed_to=form.cleaned_data["addressed_to"],
        ),
        done=_("Avvikelsen är rapporterad."),
        anchor="deviations",
        submit=_("Rapportera"),
    )


@login_required
def deviation_status(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    deviation: Deviation | None = plan.deviations.filter(pk=item_pk).first()
    if deviation is None:
        raise Http404
    deviation.plan = plan
    authz.require(actor, Action.DEVIATION_HANDLE, deviation)
    form = plan_forms.DeviationStatusForm(
        _data(request), initial={"status": deviation.status, "resolution": deviation.resolution}
    )
    return _form_page(
        request,
        plan,
        form,
        title=_("Hantera avvikelse"),
        call=lambda: services.deviation_set_status(
            actor=actor,
            deviation=deviation,
            status=form.cleaned_data["status"],
            resolution=form.cleaned_data["resolution"],
        ),
        done=_("Avvikelsens status är ändrad."),
        anchor="deviations",
        context={"deviation": deviation},
    )
