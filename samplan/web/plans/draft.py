"""The working draft: details, needs, goals, interventions."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from samplan.authz import policy as authz
from samplan.authz.policy import Action
from samplan.plans import services
from samplan.plans.models import (
    Goal,
    Intervention,
    Need,
    Plan,
)
from samplan.web.plans import forms as plan_forms
from samplan.web.plans._flow import (
    _GOALS_OOB,
    _INTERVENTIONS_OOB,
    _NEEDS_OOB,
    _data,
    _form_page,
    _inline,
    _plan,
    _remove,
)


@login_required
def plan_details_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.PLAN_EDIT, plan)
    form = plan_forms.PlanDetailsForm(_data(request), plan=plan)
    return _form_page(
        request,
        plan,
        form,
        title=_("Ansvar, samordnare och tidsplan"),
        call=lambda: services.plan_update_details(
            actor=actor,
            plan=plan,
            expected_revision=form.cleaned_data["revision"],
            **form.service_fields(),
        ),
        done=_("Ändringarna är sparade."),
        anchor="details",
    )


def _need(plan: Plan, pk: int) -> Need:
    need = plan.needs.filter(pk=pk).first()
    if need is None:
        raise Http404
    need.plan = plan
    return need


def _goal(plan: Plan, pk: int) -> Goal:
    goal = plan.goals.filter(pk=pk).first()
    if goal is None:
        raise Http404
    goal.plan = plan
    return goal


def _intervention(plan: Plan, pk: int) -> Intervention:
    intervention = plan.interventions.filter(pk=pk).first()
    if intervention is None:
        raise Http404
    intervention.plan = plan
    return intervention


@login_required
def need_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.PLAN_EDIT, plan)
    form = plan_forms.NeedForm(_data(request))
    return _form_page(
        request,
        plan,
        form,
        title=_("Lägg till behov, förutsättning eller intresse"),
        call=lambda: services.need_add(
            actor=actor,
            plan=plan,
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
            icf_code=form.cleaned_data["icf_code"],
            expected_revision=form.cleaned_data["revision"],
        ),
        done=_("Behovet är tillagt."),
        anchor="needs",
        submit=_("Lägg till"),
        context=_inline(request, "need-add-form", _NEEDS_OOB),
    )


@login_required
def need_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.PLAN_EDIT, plan)
    need = _need(plan, item_pk)
    form = plan_forms.NeedForm(
        _data(request),
        initial={
            "revision": plan.revision,
            "kind": need.kind,
            "description": need.description,
            "icf_code": need.icf_code,
        },
    )
    return _form_page(
        request,
        plan,
        form,
        title=_("Ändra behov"),
        call=lambda: services.need_update(
            actor=actor,
            need=need,
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
            icf_code=form.cleaned_data["icf_code"],
            expected_revision=form.cleaned_data["revision"],
        ),
        done=_("Ändringarna är sparade."),
        anchor="needs",
    )


@login_required
@require_POST
def need_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    need = _need(plan, item_pk)
    return _remove(
        request,
        plan,
        lambda: services.need_remove(actor=actor, need=need),
        _("Behovet är borttaget."),
        "needs",
    )


@login_required
def goal_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.PLAN_EDIT, plan)
    form = plan_forms.GoalForm(_data(request))
    return _form_page(
        request,
        plan,
        form,
        title=_("Lägg till mål"),
        call=lambda: services.goal_add(
            actor=actor,
            plan=plan,
            shared_goal=form.cleaned_data["shared_goal"],
            person_words=form.cleaned_data["person_words"],
            target_date=form.cleaned_data["target_date"],
            expected_revision=form.cleaned_data["revision"],
        ),
        done=_("Målet är tillagt."),
        anchor="goals",
        submit=_("Lägg till"),
        context=_inline(request, "goal-add-form", _GOALS_OOB),
    )


@login_required
def goal_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.PLAN_EDIT, plan)
    goal = _goal(plan, item_pk)
    form = plan_forms.GoalForm(
        _data(request),
        initial={
            "revision": plan.revision,
            "shared_goal": goal.shared_goal,
            "person_words": goal.person_words,
            "target_date": goal.target_date,
        },
    )
    return _form_page(
        request,
        plan,
        form,
        title=_("Ändra mål"),
        call=lambda: services.goal_update(
            actor=actor,
            goal=goal,
            shared_goal=form.cleaned_data["shared_goal"],
            person_words=form.cleaned_data["person_words"],
            target_date=form.cleaned_data["target_date"],
            expected_revision=form.cleaned_data["revision"],
        ),
        done=_("Ändringarna är sparade."),
        anchor="goals",
    )


@login_required
@require_POST
def goal_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    goal = _goal(plan, item_pk)
    return _remove(
        request,
        plan,
        lambda: services.goal_remove(actor=actor, goal=goal),
        _("Målet är borttaget."),
        "goals",
    )


@login_required
def intervention_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.PLAN_EDIT, plan)
    form = plan_forms.InterventionForm(_data(request), plan=plan)
    return _form_page(
        request,
        plan,
        form,
        title=_("Lägg till insats"),
        call=lambda: services.intervention_add(
            actor=actor,
            plan=plan,
            expected_revision=form.cleaned_data["revision"],
            **form.service_fields(),
        ),
        done=_("Insatsen är tillagd."),
        anchor="interventions",
        submit=_("Lägg till"),
        context=_inline(request, "intervention-add-form", _INTERVENTIONS_OOB),
    )


@login_required
def intervention_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    intervention = _intervention(plan, item_pk)
    authz.require(actor, Action.INTERVENTION_EDIT, intervention)
    initial = {name: getattr(intervention, name) for name in services.INTERVENTION_FIELDS}
    form = plan_forms.InterventionForm(
        _data(request), plan=plan, initial={"revision": plan.revision, **initial}
    )
    return _form_page(
        request,
        plan,
        form,
        title=_("Ändra insats"),
        call=lambda: services.intervention_update(
            actor=actor,
            intervention=intervention,
            expected_revision=form.cleaned_data["revision"],
            **form.service_fields(),
        ),
        done=_("Ändringarna är sparade."),
        anchor="interventions",
    )


@login_required
@require_POST
def intervention_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    intervention = _intervention(plan, item_pk)
    return _remove(
        request,
        plan,
        lambda: services.intervention_remove(actor=actor, intervention=intervention),
        _("Insatsen är borttagen."),
        "interventions",
    )
