"""The form flow every step page shares: the plan through the policy, GET shows the form,
POST calls the service and goes back to the plan page; a refused step comes back as a
message, a refused field next to the field with status 400; a form sent twice changes
nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from samplan.authz import access
from samplan.authz.actor import Actor, request_actor
from samplan.core.forms import apply_errors
from samplan.plans import services
from samplan.plans.models import (
    Plan,
)

_actor = request_actor


def _st(form: forms.BaseForm) -> int:
    """Forms with errors answer 400, so that clients and tests see the refusal."""
    return 400 if form.is_bound and form.errors else 200


def _data(request: HttpRequest) -> QueryDict | None:
    return request.POST if request.method == "POST" else None


def _plan(request: HttpRequest, pk: int, purpose: str = "read") -> tuple[Actor, Plan]:
    """The page's plan, through the policy. A POST to a step's page is a write: the service's
    audit event records the access, so no read event is written here; if the page is shown
    again after all, `_shown_again` records the read."""
    actor = _actor(request)
    if purpose == "read" and request.method == "POST":
        purpose = "edit"
    return actor, access.access_plan(actor=actor, plan_id=pk, purpose=purpose).plan


def _shown_again(request: HttpRequest, plan: Plan) -> None:
    """A POST that ends in showing the plan's page (bad input, missing items) reads the plan."""
    if request.method == "POST":
        access.audit_plan_read(actor=_actor(request), plan=plan)


def _url(plan: Plan, anchor: str = "") -> str:
    return plan.get_absolute_url() + (f"#{anchor}" if anchor else "")


def _refuse(
    request: HttpRequest, plan: Plan, exc: ValidationError, anchor: str = ""
) -> HttpResponse:
    """A step the plan's state does not allow: say so on the plan page."""
    for text in exc.messages:
        messages.error(request, text)
    return redirect(_url(plan, anchor))


def _renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    """A service's field name mapped onto this form's field name."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError(
        {names.get(field, field): errors for field, errors in exc.error_dict.items()}
    )


def _form_page(
    request: HttpRequest,
    plan: Plan,
    form: forms.BaseForm,
    *,
    title: str,
    call: Callable[[], object],
    done: str,
    anchor: str = "",
    submit: str = "",
    context: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
    template: str = "plans/form.html",
    then: Callable[[], str | None] | None = None,
) -> HttpResponse:
    """GET shows the form; POST calls the service and goes back to the plan page (or where
    `then` says, when it names a place: a step may close the plan to its own actor)."""
    if request.method == "POST" and _already_sent(request):
        return _sent_before(request, plan, anchor)
    if request.method == "POST" and form.is_valid():
        try:
            call()
        except services.StepNotAllowed as exc:
            return _refuse(request, plan, exc, anchor)
        except ValidationError as exc:
            apply_errors(form, _renamed(exc, names or {}))
        else:
            _mark_sent(request)
            messages.success(request, done)
            return redirect((then() if then else None) or _url(plan, anchor))
    ctx = {
        "plan": plan,
        "form": form,
        "title": title,
        "back": _url(plan, anchor),
        "submit": submit or _("Spara"),
        "action": request.path,
        **(context or {}),
    }
    _shown_again(request, plan)
    return render(request, template, ctx, status=_st(form))


# A form carries a one-time token ("once", made per page by samplan.web.context). A form sent
# again with a token that already went through (a second press, or the back button and
# "send" once more) changes nothing and says so, instead of adding the same item twice.
_ONCE_SESSION_KEY = "samplan_once"


_ONCE_KEEP = 50


def _once_key(request: HttpRequest) -> str:
    token = request.POST.get("once", "")
    return f"{request.path}|{token}" if token else ""


def _already_sent(request: HttpRequest) -> bool:
    key = _once_key(request)
    return bool(key) and key in request.session.get(_ONCE_SESSION_KEY, [])


def _mark_sent(request: HttpRequest) -> None:
    key = _once_key(request)
    if key:
        sent = list(request.session.get(_ONCE_SESSION_KEY, []))[-(_ONCE_KEEP - 1) :]
        request.session[_ONCE_SESSION_KEY] = [*sent, key]


def _sent_before(request: HttpRequest, plan: Plan, anchor: str = "") -> HttpResponse:
    messages.info(
        request,
        _("Det här formuläret är redan skickat. Inget har sparats en gång till."),
    )
    return redirect(_url(plan, anchor))


def _inline(request: HttpRequest, form_id: str, oob: str) -> dict[str, str]:
    """A content form that also sits on the plan page: same id, and htmx when asked by htmx."""
    return {"form_id": form_id, "hx": oob if getattr(request, "htmx", False) else ""}


def _remove(
    request: HttpRequest, plan: Plan, call: Callable[[], object], done: str, anchor: str
) -> HttpResponse:
    try:
        call()
    except services.StepNotAllowed as exc:
        return _refuse(request, plan, exc, anchor)
    except ValidationError as exc:
        return _refuse(request, plan, exc, anchor)
    messages.success(request, done)
    return redirect(_url(plan, anchor))


# htmx: which parts of the plan page a content form refreshes besides itself.
_NEEDS_OOB = "#messages:innerHTML,#needs-list,#completeness,#history"


_GOALS_OOB = "#messages:innerHTML,#goals-list,#interventions-list,#completeness,#history"


_INTERVENTIONS_OOB = "#messages:innerHTML,#interventions-list,#completeness,#history"
