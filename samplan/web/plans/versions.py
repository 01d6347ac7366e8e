"""Establishing, revising and closing the plan, and its frozen versions and their
differences (shown through `presenters`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samplan.audit.actions import AuditAction
from samplan.authz import access
from samplan.authz import policy as authz
from samplan.authz.policy import Action
from samplan.plans import completeness, selectors, services
from samplan.plans.models import (
    EstablishedParticipation,
    PlanState,
)
from samplan.web.plans import forms as plan_forms
from samplan.web.plans import presenters
from samplan.web.plans._flow import (
    _already_sent,
    _data,
    _form_page,
    _mark_sent,
    _plan,
    _refuse,
    _sent_before,
    _shown_again,
)


@login_required
def plan_establish(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.PLAN_EDIT, plan)
    refused = False
    if request.method == "POST" and _already_sent(request):
        return _sent_before(request, plan)
    participation = request.POST.get("participation", "") if request.method == "POST" else ""
    participation_error = ""
    if request.method == "POST":
        try:
            version = services.plan_establish(actor=actor, plan=plan, participation=participation)
        except services.PlanIncomplete as exc:
            missing = exc.missing
            refused = True
        except ValidationError as exc:
            if not (hasattr(exc, "error_dict") and "participation" in exc.error_dict):
                return _refuse(request, plan, exc)
            # Bad input next to its field; nothing was established.
            participation_error = " ".join(exc.message_dict["participation"])
            access.audit_invalid(
                actor=actor, action=AuditAction.PLAN_ESTABLISH, fields=["participation"], obj=plan
            )
            missing = []
        else:
            _mark_sent(request)
            messages.success(
                request, _("Planen är upprättad som version %(n)s.") % {"n": version.number}
            )
            return redirect(plan)
    else:
        missing = completeness.plan_missing_items(plan=plan)
    _shown_again(request, plan)
    return render(
        request,
        "plans/establish.html",
        {
            "plan": plan,
            "missing": missing,
            "refused": refused,
            "action": request.path,
            # Reached again (the back button): say so rather than offer the step once more.
            "already": plan.state == PlanState.ESTABLISHED,
            "participation_choices": EstablishedParticipation.choices,
            "participation": participation,
            "participation_error": participation_error,
        },
        status=400 if refused or participation_error else 200,
    )


@login_required
def plan_revise(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.PLAN_EDIT, plan)
    form = plan_forms.NoteForm(_data(request), label=gettext_lazy("Varför revideras planen?"))
    return _form_page(
        request,
        plan,
        form,
        title=_("Påbörja revidering"),
        call=lambda: services.plan_revise(actor=actor, plan=plan, reason=form.cleaned_data["note"]),
        done=_("Revideringen är påbörjad. Ändra utkastet och upprätta en ny version."),
        submit=_("Påbörja revidering"),
        context={
            "intro": _(
                "Den upprättade versionen ändras inte. Utkastet blir en ny version "
                "när den upprättas."
            )
        },
    )


@login_required
def plan_close(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.PLAN_EDIT, plan)
    form = plan_forms.PlanCloseForm(_data(request))
    return _form_page(
        request,
        plan,
        form,
        title=_("Avsluta planen"),
        call=lambda: services.plan_close(
            actor=actor,
            plan=plan,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        ),
        done=_("Planen är avslutad."),
        submit=_("Avsluta planen"),
        context={"intro": _("Möten som inte har hållits ställs in och de inbjudna får besked.")},
    )


@login_required
def plan_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    actor, plan = _plan(request, pk, purpose="version")
    version = selectors.version_get(plan=plan, number=number)
    if version is None:
        raise Http404
    content = selectors.version_content(actor=actor, plan=plan, content=version.content)
    return render(
        request,
        "plans/version.html",
        {
            "plan": plan,
            "version": version,
            "sections": presenters.version_sections(content),
            "previous": number - 1 if number > 1 else None,
        },
    )


@login_required
def plan_version_diff(request: HttpRequest, pk: int, a: int, b: int) -> HttpResponse:
    actor, plan = _plan(request, pk, purpose="version")
    older = selectors.version_get(plan=plan, number=min(a, b))
    newer = selectors.version_get(plan=plan, number=max(a, b))
    if older is None or newer is None:
        raise Http404
    kinds = authz.information_kinds_for(actor, plan)
    changes = presenters.diff_sections(
        selectors.version_diff(
            selectors.version_content(actor=actor, plan=plan, content=older.content, kinds=kinds),
            selectors.version_content(actor=actor, plan=plan, content=newer.content, kinds=kinds),
        )
    )
    return render(
        request,
        "plans/version_diff.html",
        {"plan": plan, "older": older, "newer": newer, "changes": changes},
    )
