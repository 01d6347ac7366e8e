"""Meetings, invitations and answers (also from external invitees through their link)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_stubs_ext import StrOrPromise

from samplan.agreements import selectors as agreement_selectors
from samplan.authz import access
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent.coverage import active_consent
from samplan.core.forms import apply_errors
from samplan.directory.models import Organisation, Unit
from samplan.plans import lifecycle, services
from samplan.plans.lifecycle import Step
from samplan.plans.links import LinkRefused, Refusal
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
    _refuse,
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


def _chosen_units(request: HttpRequest, plan: Plan, covered: Any) -> list[Unit]:
    """The units the form names; on the first GET, the units taking part in the plan."""
    choosable = plan_forms.units_of(covered)
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("units") if v.isascii() and v.isdigit()]
        return list(choosable.filter(pk__in=ids))
    return list(choosable.filter(pk__in=plan_forms.participating_units(plan).values("pk")))


# "Show the fixed SIP times for the chosen units": the form comes back with what was typed,
# nothing is sent and no error is shown yet.
SHOW_SIP_TIMES = "show_sip_times"
_NOT_KEPT = {"csrfmiddlewaretoken", "once", SHOW_SIP_TIMES, "units", "sip_slot"}


@login_required
def meeting_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.PLAN_EDIT, plan)
    covered = _covered_organisations(plan)
    units = _chosen_units(request, plan, covered)
    # The fixed SIP times that suit every chosen unit: their next dates (one query).
    slots = agreement_selectors.sip_slots_for_units(units=units)
    initial: dict[str, Any] = {"units": [u.pk for u in units]}
    showing = request.method == "POST" and SHOW_SIP_TIMES in request.POST
    if showing:
        initial.update({k: v for k, v in request.POST.items() if k not in _NOT_KEPT})
    form = plan_forms.MeetingScheduleForm(
        None if showing else _data(request), covered=covered, slots=slots, initial=initial
    )

    def call() -> object:
        d = form.cleaned_data
        slot = form.chosen_slot()
        return services.meeting_schedule(
            actor=actor,
            plan=plan,
            starts_at=slot.starts_at if slot else d["starts_at"],
            ends_at=slot.ends_at if slot else d["ends_at"],
            mode=d["mode"],
            location=d["location"],
            video_url=d["video_url"],
            agenda=d["agenda"],
            units=d["units"],
            externals=form.externals(),
            sip_time=slot.sip_time if slot else None,
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
        context={"intro": _("Tider anges i svensk tid."), "sip_slots": slots},
        template="plans/meeting_schedule.html",
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


# What a refused link says, in Swedish (through gettext) and in English for an invitee who
# reads no Swedish; the status: 404 where the link says nothing, 410 for a link that was
# good, 409 for a second answer.
_REFUSALS: dict[Refusal, tuple[StrOrPromise, str, int]] = {
    Refusal.INVALID: (
        gettext_lazy(
            "Länken fungerar inte. Kontrollera att hela länken från e-postmeddelandet kom med. "
            "Fungerar den ändå inte, kontakta den som kallade dig."
        ),
        (
            "The link does not work. Check that the whole link from the e-mail was copied. If it "
            "still does not work, contact the person who invited you."
        ),
        404,
    ),
    Refusal.OTHER_INVITATION: (
        gettext_lazy("Länken hör till en annan kallelse. Använd länken i ditt e-postmeddelande."),
        "The link belongs to another invitation. Use the link in your e-mail.",
        404,
    ),
    Refusal.OLD: (
        gettext_lazy(
            "Länken kommer från en äldre sorts kallelse och fungerar inte längre. Be den som "
            "kallade dig att skicka en ny länk."
        ),
        (
            "The link is from an older kind of invitation and no longer works. Ask the person "
            "who invited you to send a new link."
        ),
        404,
    ),
    Refusal.REPLACED: (
        gettext_lazy(
            "Det finns en nyare länk till den här kallelsen. Använd länken i det senaste "
            "e-postmeddelandet."
        ),
        "There is a newer link to this invitation. Use the link in the latest e-mail.",
        410,
    ),
    Refusal.REVOKED: (
        gettext_lazy(
            "Länken är spärrad av den som kallade dig. Kontakta den som kallade dig om du "
            "behöver en ny länk."
        ),
        (
            "The link has been revoked by the person who invited you. Contact them if you need a "
            "new link."
        ),
        410,
    ),
    Refusal.EXPIRED: (
        gettext_lazy(
            "Länken har gått ut. Be den som kallade dig om en ny länk, eller använd länken i "
            "ett senare e-postmeddelande om kallelsen."
        ),
        (
            "The link has expired. Ask the person who invited you for a new link, or use the link "
            "in a later e-mail about the invitation."
        ),
        410,
    ),
    Refusal.REUSED: (
        gettext_lazy(
            "Du har redan svarat med den här länken, och en länk kan bara användas till att "
            "svara en gång. Vill du ändra ditt svar, kontakta den som kallade dig."
        ),
        (
            "You have already answered with this link, and a link can be used to answer only "
            "once. To change your answer, contact the person who invited you."
        ),
        409,
    ),
}


def _link_refused(request: HttpRequest, exc: LinkRefused) -> HttpResponse:
    swedish, english, status = _REFUSALS[exc.reason]
    return render(
        request,
        "plans/invitation_link_refused.html",
        {"message": swedish, "english": english},
        status=status,
    )


@never_cache
def invitation_answer_external(
    request: HttpRequest, invitation_id: int, token: str
) -> HttpResponse:
    """An invitee without an account opens the invitation through the signed link in the
    mail, and answers it (once per link). The page shows the meeting and, for an invitee
    from an organisation in the plan, that organisation's interventions; never who the
    meeting is about (samplan/authz/policy.py, "External invitees")."""
    form = plan_forms.InvitationAnswerForm(_data(request))
    refused = ""
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.invitation_answer_by_link(
                invitation_id=invitation_id,
                token=token,
                answer=d["answer"],
                reason=d["decline_reason"],
                represented_by=d["represented_by"],
            )
        except LinkRefused as exc:
            return _link_refused(request, exc)
        except services.StepNotAllowed as exc:
            refused = " ".join(exc.messages)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Tack! Ditt svar är registrerat."))
            return redirect("invitation_answer_external", invitation_id=invitation_id, token=token)
    try:
        link = access.access_invitation_by_link(invitation_id=invitation_id, token=token)
    except LinkRefused as exc:
        return _link_refused(request, exc)
    meeting = link.meeting
    return render(
        request,
        "plans/invitation_external.html",
        {
            "link": link,
            "invitation": link.invitation,
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


@never_cache
def invitation_link_old(request: HttpRequest, token: str) -> HttpResponse:
    """A link from the mails sent before signed links: refused with the plain message."""
    return _link_refused(request, access.refuse_old_invitation_link())


def _external_invitation(plan: Plan, meeting_pk: int, invitation_pk: int) -> Invitation:
    invitation = _meeting(plan, meeting_pk).invitations.filter(pk=invitation_pk).first()
    if invitation is None:
        raise Http404
    invitation.meeting.plan = plan
    return invitation


def _link_step(
    request: HttpRequest,
    pk: int,
    meeting_pk: int,
    invitation_pk: int,
    step: Callable[..., object],
    done: str,
) -> HttpResponse:
    """One of the coordinator's buttons on an external invitee's link."""
    actor, plan = _plan(request, pk, purpose="edit")
    invitation = _external_invitation(plan, meeting_pk, invitation_pk)
    try:
        step(actor=actor, invitation=invitation)
    except ValidationError as exc:
        return _refuse(request, plan, exc, "meetings")
    messages.success(request, done)
    return redirect(_url(plan, "meetings"))


@login_required
@require_POST
def invitation_link_revoke(
    request: HttpRequest, pk: int, meeting_pk: int, invitation_pk: int
) -> HttpResponse:
    """The coordinator revokes an external invitee's link (a button on the plan page)."""
    done = _("Länken är spärrad. Den fungerar inte längre.")
    step = services.invitation_link_revoke
    return _link_step(request, pk, meeting_pk, invitation_pk, step, done)


@login_required
@require_POST
def invitation_link_reissue(
    request: HttpRequest, pk: int, meeting_pk: int, invitation_pk: int
) -> HttpResponse:
    """The coordinator sends an external invitee a new link; earlier links stop working."""
    done = _("En ny länk är skickad. Tidigare länkar fungerar inte längre.")
    step = services.invitation_link_reissue
    return _link_step(request, pk, meeting_pk, invitation_pk, step, done)
