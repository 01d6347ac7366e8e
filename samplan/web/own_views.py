"""The person's own pages: his or her plans in plain words, and for a representative what the
person allows."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from samplan.audit import services as audit
from samplan.audit.actions import AuditAction
from samplan.authz import policy as authz
from samplan.authz.actor import Actor, request_actor
from samplan.authz.policy import Action
from samplan.directory.models import Representative
from samplan.plans.models import Plan, PlanState

_actor = request_actor


@login_required
def my_plans(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    plans = list(
        authz.own_plans(actor)
        .exclude(state=PlanState.CLOSED, versions__isnull=True)
        .select_related("person", "lead_organisation", "coordinator")
        .distinct()
        .order_by("-created_at")
    )
    for plan in plans:
        audit.record(
            actor=actor,
            action=AuditAction.PLAN_READ_OWN_LIST,
            obj=plan,
            person=plan.person,
            ground=_ground(actor, plan),
        )
    return render(request, "web/my_plans.html", {"plans": plans})


def _ground(actor: Actor, plan: Plan) -> str:
    if actor.user is not None and plan.person.user_id == actor.user.pk:
        return "the person"
    return "representative"


def _representation(actor: Actor, plan: Plan) -> Representative | None:
    if actor.user is None or plan.person.user_id == actor.user.pk:
        return None
    return Representative.objects.filter(person=plan.person, user=actor.user).first()


@login_required
def my_plan(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    plan = authz.own_plans(actor).select_related("person").filter(pk=pk).first()
    if plan is None:
        authz.require(actor, Action.OWN_PLAN_VIEW, None)  # audited refusal, a 404
        raise AssertionError  # pragma: no cover - require() raised
    rep = _representation(actor, plan)
    version = plan.versions.order_by("-number").first()
    show_meetings = rep is None or rep.may_see_meetings
    audit.record(
        actor=actor,
        action=AuditAction.PLAN_READ_OWN,
        obj=plan,
        person=plan.person,
        ground=_ground(actor, plan),
    )
    meetings = (
        plan.meetings.filter(cancelled_at__isnull=True).order_by("starts_at")
        if show_meetings
        else []
    )
    return render(
        request,
        "web/my_plan.html",
        {
            "plan": plan,
            "version": version,
            "content": version.content if version else None,
            "meetings": meetings,
            "representative": rep,
        },
    )
