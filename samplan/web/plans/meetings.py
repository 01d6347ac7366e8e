"""Meetings, invitations and answers (also from external invitees through their link)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from samplan.authz import access
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent.coverage import active_consent
from samplan.core.forms import apply_errors
from samplan.directory.models import Organisation
from samplan.plans import lifecycle, selectors, services
from samplan.plans.lifecycle import Step
from samplan.plans.models import (
    Invitation,
    InvitationAnswer,
    Meeting,
    Plan,
)
from samplan.web.plans import forms as plan_forms
from samplan.web.plans._flow import (
    _actor,
    _data,
    _form_page,
    _plan,
    _st,
    _url,
)


def _meeting(plan: Plan, pk: int) -> Meeting:
    meeting = plan.meetings.filter(pk=pk).first()
    if meeting is None:
        raise Http404
    meeting.plan = plan
    return meeting


def _covered_organisations(plan: Plan) -> QuerySet[Organisation] | list[Organisation]:
    consent = active_consent(plan)
    return consent.organisations.all() if consent else []


@login_required
def meeting_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.PLAN_EDIT, plan)
    form = plan_forms.MeetingScheduleForm(_data(request), covered=_covered_organisations(plan))

    def call() -> object:
        d = form.cleaned_data
        return services.meeting_schedule(
            actor=actor,
            plan=plan,
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            mode=d["mode"],
            location=d["location"],
            video_url=d["video_url"],
            agenda=d["agenda"],
            units=d["units"],
            externals=form.externals(),
        )

    return _form_page(
        request,
        plan,
        form,
        title=_("Kalla till SIP-möte"),
        call=call,
        done=_("Kallelsen är skickad."),
        anchor="meetings",
        submit=_("Skicka kallelse"),
        context={"intro": _("Tider anges i svensk tid.")},
    )


@login_required
def meeting_edit(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.PLAN_EDIT, plan)
    meeting = _meeting(plan, meeting_pk)
    form = plan_forms.MeetingForm(_data(request), meeting=meeting)

    def call() -> object:
        d = form.cleaned_data
        return services.meeting_update(
            actor=actor,
            meeting=meeting,
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            mode=d["mode"],
            location=d["location"],
            video_url=d["video_url"],
            agenda=d["agenda"],
        )

    return _form_page(
        request,
        plan,
        form,
        title=_("Ändra mötet"),
        call=call,
        done=_("Mötet är ändrat. De inbjudna får en uppdaterad kallelse."),
        anchor="meetings",
        context={"intro": _("Tider anges i svensk tid.")},
    )


@login_required
def meeting_cancel(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.PLAN_EDIT, plan)
    meeting = _meeting(plan, meeting_pk)
    form = plan_forms.NoteForm(_data(request), label=gettext_lazy("Skäl"))
    return _form_page(
        request,
        plan,
        form,
        title=_("Ställ in mötet"),
        call=lambda: services.meeting_cancel(
            actor=actor, meeting=meeting, reason=form.cleaned_data["note"]
        ),
        done=_("Mötet är inställt. De inbjudna får besked."),
        anchor="meetings",
        submit=_("Ställ in mötet"),
        context={"meeting": meeting},
    )


@login_required
def meeting_held(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.PLAN_EDIT, plan)
    meeting = _meeting(plan, meeting_pk)
    form = plan_forms.MeetingHeldForm(_data(request), meeting=meeting)
    return _form_page(
        request,
        plan,
        form,
        title=_("Registrera att mötet är hållet"),
        call=lambda: services.meeting_record_held(
            actor=actor,
            meeting=meeting,
            attended=form.cleaned_data["attended"],
            minutes=form.cleaned_data["minutes"],
            held_at=form.cleaned_data["held_at"],
        ),
        done=_("Mötet är registrerat som hållet."),
        anchor="meetings",
        context={"meeting": meeting},
    )


@login_required
def invitation_add(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.PLAN_EDIT, plan)
    meeting = _meeting(plan, meeting_pk)
    form = plan_forms.InvitationAddForm(_data(request), covered=_covered_organisations(plan))

    def call() -> object:
        externals = form.externals()
        return services.invitation_add(
            actor=actor,
            meeting=meeting,
            unit=form.cleaned_data["unit"],
            external=None if form.cleaned_data["unit"] or not externals else externals[0],
        )

    return _form_page(
        request,
        plan,
        form,
        title=_("Bjud in fler till mötet"),
        call=call,
        done=_("Kallelsen är skickad."),
        anchor="meetings",
        submit=_("Skicka kallelse"),
        context={"meeting": meeting, "intro": _("Välj en enhet eller ange en extern deltagare.")},
        names={"units": "unit", "externals": "ext1_email"},
    )


def _invitation_for(actor: Actor, pk: int) -> Invitation:
    return access.access_invitation_for_answer(actor=actor, invitation_id=pk)


@login_required
def invitation_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff of an invited unit answer. The plan itself opens to them once they take part."""
    actor = _actor(request)
    invitation = _invitation_for(actor, pk)
    meeting = invitation.meeting
    plan = meeting.plan
    form = plan_forms.InvitationAnswerForm(
        _data(request),
        initial={
            "answer": invitation.answer if invitation.answer != InvitationAnswer.PENDING else "",
            "decline_reason": invitation.decline_reason,
            "represented_by": invitation.represented_by,
        },
    )
    refused = ""
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.invitation_answer(
                actor=actor,
                invitation=invitation,
                answer=d["answer"],
                reason=d["decline_reason"],
                represented_by=d["represented_by"],
            )
        except services.StepNotAllowed as exc:
            refused = " ".join(exc.messages)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Svaret är registrerat."))
            if authz.can(actor, Action.PLAN_VIEW, plan):
                return redirect(_url(plan, "meetings"))
            return redirect("worklist")
    return render(
        request,
        "plans/invitation_answer.html",
        {
            "invitation": invitation,
            "meeting": meeting,
            "form": form,
            "refused": refused,
            "plan_visible": authz.can(actor, Action.PLAN_VIEW, plan),
            "action": request.path,
        },
        status=400 if refused else _st(form),
    )


@never_cache
def invitation_answer_external(request: HttpRequest, token: str) -> HttpResponse:
    """An invitee without an account answers through the link in the mail. The page shows
    when and where, never who the meeting is about."""
    invitation = selectors.invitation_by_token(token=token)
    if invitation is None:
        raise Http404
    form = plan_forms.InvitationAnswerForm(_data(request))
    refused = ""
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.invitation_answer_by_token(
                token=token,
                answer=d["answer"],
                reason=d["decline_reason"],
                represented_by=d["represented_by"],
            )
        except services.StepNotAllowed as exc:
            refused = " ".join(exc.messages)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Tack! Ditt svar är registrerat."))
            return redirect("invitation_answer_external", token=token)
    meeting = invitation.meeting
    return render(
        request,
        "plans/invitation_external.html",
        {
            "invitation": invitation,
            "meeting": meeting,
            "form": form,
            "refused": refused,
            "is_open": meeting.cancelled_at is None
            and meeting.held_at is None
            and lifecycle.step_allowed(meeting.plan, Step.ANSWER_INVITATION),
            "action": request.path,
        },
        status=400 if refused else _st(form),
    )
