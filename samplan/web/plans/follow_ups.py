"""Follow-ups: scheduled and recorded."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from samplan.authz import policy as authz
from samplan.authz.policy import Action
from samplan.plans import services
from samplan.plans.models import (
    FollowUp,
)
from samplan.web.plans import forms as plan_forms
from samplan.web.plans._flow import (
    _data,
    _form_page,
    _plan,
)


@login_required
def follow_up_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.PLAN_EDIT, plan)
    form = plan_forms.FollowUpScheduleForm(_data(request))
    return _form_page(
        request,
        plan,
        form,
        title=_("Planera uppföljning"),
        call=lambda: services.follow_up_schedule(
            actor=actor,
            plan=plan,
            due_date=form.cleaned_data["due_date"],
            what=form.cleaned_data["what"],
        ),
        done=_("Uppföljningen är inplanerad."),
        anchor="follow-ups",
    )


@login_required
def follow_up_record(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.FOLLOW_UP_RECORD, plan)
    follow_up: FollowUp | None = plan.follow_ups.filter(pk=item_pk).first()
    if follow_up is None:
        raise Http404
    follow_up.plan = plan
    form = plan_forms.FollowUpRecordForm(_data(request), goals=list(plan.goals.all()))
    return _form_page(
        request,
        plan,
        form,
        title=_("Registrera uppföljning: %(what)s") % {"what": follow_up.what},
        call=lambda: services.follow_up_record(
            actor=actor,
            follow_up=follow_up,
            result=form.cleaned_data["result"],
            attainment=form.cleaned_data["attainment"],
            goal_attainments=form.goal_attainments(),
        ),
        done=_("Uppföljningen är registrerad."),
        anchor="follow-ups",
    )
