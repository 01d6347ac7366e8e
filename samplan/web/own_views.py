"""The person's own pages: his or her plans in plain words, and for a representative what the
person allows."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from samplan.authz import access
from samplan.authz.actor import Actor, request_actor
from samplan.directory.models import Representative
from samplan.plans.models import Plan
from samplan.web.documents import document_links

_actor = request_actor


@login_required
def my_plans(request: HttpRequest) -> HttpResponse:
    accessed = access.access_own_plans(actor=_actor(request))  # audited: one event per plan
    return render(request, "web/my_plans.html", {"plans": [a.plan for a in accessed]})


def _representation(actor: Actor, plan: Plan) -> Representative | None:
    if actor.user is None or plan.person.user_id == actor.user.pk:
        return None
    return Representative.objects.filter(person=plan.person, user=actor.user).first()


@login_required
def my_plan(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    plan = access.access_own_plan(actor=actor, plan_id=pk).plan  # audited, or the audited 404
    rep = _representation(actor, plan)
    version = plan.versions.order_by("-number").first()
    show_meetings = rep is None or rep.may_see_meetings
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
            "documents": document_links(
                access.own_document_options(plan=plan), url_name="my_plan_document", pk=plan.pk
            ),
        },
    )
