"""Starting a SIP for a person."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from samplan.authz import access
from samplan.authz import policy as authz
from samplan.authz.policy import Action
from samplan.core.forms import apply_errors
from samplan.plans import services
from samplan.web.plans import forms as plan_forms
from samplan.web.plans._flow import (
    _actor,
    _already_sent,
    _data,
    _mark_sent,
    _st,
)


@login_required
def plan_initiate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    authz.require(actor, Action.PLAN_INITIATE)
    person = access.access_person_for_initiative(actor=actor, person_id=pk)
    form = plan_forms.PlanInitiateForm(_data(request), person=person)
    if request.method == "POST" and _already_sent(request):
        messages.info(
            request,
            _("Det här formuläret är redan skickat. Inget har sparats en gång till."),
        )
        return redirect(person)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.plan_initiate(
                actor=actor,
                person=person,
                reasons=data["reasons"],
                need_groups=data["need_groups"],
                initiated_by=data["initiated_by"],
                on_behalf_of=data["on_behalf_of"],
                initiated_on=data["initiated_on"],
                note=data["note"],
                plan_type=data["plan_type"],
                lss_decision_date=data["lss_decision_date"],
                existing_plan_reference=data["existing_plan_reference"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            _mark_sent(request)
            messages.success(
                request,
                _("Initiativet är registrerat. Mötet ska hållas senast %(date)s.")
                % {"date": plan.meeting_deadline.isoformat()},
            )
            return redirect(plan)
    ctx = {
        "form": form,
        "title": _("Starta SIP för %(name)s") % {"name": person.full_name},
        "back": person.get_absolute_url(),
        "submit": _("Registrera initiativet"),
        "action": request.path,
    }
    return render(request, "plans/form.html", ctx, status=_st(form))
