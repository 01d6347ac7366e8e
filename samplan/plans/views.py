"""Plan pages. Views parse the request and call selectors and services; no rules here."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from samplan.authz.actor import Actor
from samplan.plans import selectors


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    plan = selectors.plan_get(actor=actor, pk=pk)
    return render(request, "plans/plan_detail.html", {"plan": plan,
                                                      **selectors.plan_page_data(plan=plan)})


def invitation_answer_external(request: HttpRequest, token: str) -> HttpResponse:
    raise NotImplementedError
