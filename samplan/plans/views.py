"""Plan pages. Views parse the request and call selectors and services; no rules here.

Every page reaches its plan through `selectors.plan_get`, which narrows by the policy and
audits the read: a missing plan and someone else's plan are the same 404. A step that the
plan's state does not allow (`StepNotAllowed`) comes back to the plan page as a message and
changes nothing; a field the service refuses is shown next to the field, with status 400.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from samplan.authz import policy as authz
from samplan.authz.actor import Actor, request_actor
from samplan.authz.policy import Action
from samplan.directory import selectors as directory
from samplan.plans import completeness, lifecycle, selectors, services
from samplan.plans import forms as plan_forms
from samplan.plans.lifecycle import Step
from samplan.plans.models import (
    Deviation,
    DeviationStatus,
    FollowUp,
    Goal,
    InitiativeReason,
    Intervention,
    InterventionStatus,
    Invitation,
    InvitationAnswer,
    Meeting,
    Need,
    NeedGroup,
    NeedKind,
    Plan,
    PlanState,
    PlanType,
)
from samplan.web.forms import apply_errors

_HELD_EARLIEST = timedelta(hours=1)

EVENT_LABELS = {
    "initiated": gettext_lazy("Initiativ till SIP"),
    "consent_given": gettext_lazy("Samtycke registrerat"),
    "consent_refused": gettext_lazy("Personen samtycker inte"),
    "consent_revoked": gettext_lazy("Samtycket återkallat"),
    "paused": gettext_lazy("Planen vilande"),
    "meeting_scheduled": gettext_lazy("Kallelse till möte"),
    "meeting_changed": gettext_lazy("Mötet ändrat"),
    "meeting_cancelled": gettext_lazy("Mötet inställt"),
    "meeting_held": gettext_lazy("Mötet hållet"),
    "invitation_added": gettext_lazy("Ny inbjuden till möte"),
    "invitation_answered": gettext_lazy("Kallelse besvarad"),
    "invitation_reminded": gettext_lazy("Påminnelse om kallelse"),
    "draft_changed": gettext_lazy("Planens utkast ändrat"),
    "established": gettext_lazy("Planen upprättad"),
    "revision_started": gettext_lazy("Revidering påbörjad"),
    "followed_up": gettext_lazy("Uppföljning registrerad"),
    "deviation_reported": gettext_lazy("Avvikelse rapporterad"),
    "deviation_status": gettext_lazy("Avvikelsens status ändrad"),
    "closed": gettext_lazy("Planen avslutad"),
}
ITEM_LABELS = {
    "need": gettext_lazy("behov"),
    "goal": gettext_lazy("mål"),
    "intervention": gettext_lazy("insats"),
    "follow_up": gettext_lazy("uppföljning"),
}

# htmx: which parts of the plan page a content form refreshes besides itself.
_NEEDS_OOB = "#messages:innerHTML,#needs-list,#completeness,#history"
_GOALS_OOB = "#messages:innerHTML,#goals-list,#interventions-list,#completeness,#history"
_INTERVENTIONS_OOB = "#messages:innerHTML,#interventions-list,#completeness,#history"


_actor = request_actor


def _st(form: Any) -> int:
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
    return actor, selectors.plan_get(actor=actor, pk=pk, purpose=purpose)


def _shown_again(request: HttpRequest, plan: Plan) -> None:
    """A POST that ends in showing the plan's page (bad input, missing items) reads the plan."""
    if request.method == "POST":
        selectors.plan_read_audit(actor=_actor(request), plan=plan)


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
    form: Any,
    *,
    title: str,
    call: Callable[[], object],
    done: str,
    anchor: str = "",
    submit: str = "",
    context: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
    template: str = "plans/form.html",
) -> HttpResponse:
    """GET shows the form; POST calls the service and goes back to the plan page."""
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
            return redirect(_url(plan, anchor))
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


# Worklist -----------------------------------------------------------------------------------


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    worklist = selectors.worklist_read(actor=actor)  # audited: one event per person named
    return render(
        request,
        "plans/worklist.html",
        {
            "invitations": worklist.invitations,
            "coordinated": worklist.coordinated,
            "follow_ups": worklist.follow_ups,
            "deadlines": worklist.deadlines,
            "drafts": worklist.drafts,
            "can_initiate": authz.can(actor, Action.PLAN_INITIATE),
        },
    )


# Initiative ---------------------------------------------------------------------------------


@login_required
def plan_initiate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    authz.require(actor, Action.PLAN_INITIATE)
    person = directory.person_get_for_initiative(actor=actor, pk=pk)
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


# The plan page ------------------------------------------------------------------------------


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    return render(request, "plans/plan_detail.html", _plan_context(request, actor, plan))


def _plan_context(request: HttpRequest, actor: Actor, plan: Plan) -> dict[str, Any]:
    data = selectors.plan_page_data(plan=plan)
    today = timezone.localdate()
    now = timezone.now()
    # Which step buttons the page shows: the lifecycle table and the policy, asked once.
    available = set(lifecycle.steps_available(actor=actor, plan=plan))
    consent = data["consent"]
    versions = list(data["versions"])
    draft = Step.EDIT_DRAFT in available

    meetings = []
    for meeting in data["meetings"]:
        is_open = meeting.cancelled_at is None and meeting.held_at is None
        changeable = is_open and Step.UPDATE_MEETING in available
        answerable = is_open and lifecycle.step_allowed(plan, Step.ANSWER_INVITATION)
        meetings.append(
            {
                "meeting": meeting,
                "open": is_open,
                "can_change": changeable,
                "can_record_held": is_open
                and Step.HOLD_MEETING in available
                and now >= meeting.starts_at - _HELD_EARLIEST,
                "invitations": [
                    (inv, answerable and authz.can(actor, Action.INVITATION_ANSWER, inv))
                    for inv in meeting.invitations.all()
                ],
            }
        )

    # The policy's answer for an intervention depends on its organisation, not on the row:
    # ask once per organisation so that the page's cost does not grow with the plan.
    intervention_edit: dict[int, bool] = {}
    interventions = []
    for iv in data["interventions"]:
        key = iv.responsible_organisation_id
        if key not in intervention_edit:
            intervention_edit[key] = lifecycle.step_allowed(plan, Step.EDIT_DRAFT) and (
                draft or authz.can(actor, Action.INTERVENTION_EDIT, iv)
            )
        interventions.append((iv, intervention_edit[key]))

    deviation_handle: dict[int, bool] = {}
    deviations = []
    for deviation in data["deviations"]:
        key = deviation.addressed_to_id
        if key not in deviation_handle:
            deviation_handle[key] = lifecycle.step_permitted(
                actor=actor, plan=plan, step=Step.HANDLE_DEVIATION, obj=deviation
            )
        deviations.append(
            (deviation, deviation_handle[key] and deviation.status != DeviationStatus.HANDLED)
        )

    follow_ups = [
        {
            "follow_up": fu,
            "overdue": fu.done_at is None and fu.due_date < today,
            "can_record": Step.RECORD_FOLLOW_UP in available
            and bool(versions)
            and fu.done_at is None,
        }
        for fu in data["follow_ups"]
    ]
    events = [
        {
            "event": event,
            "label": EVENT_LABELS.get(event.kind, event.kind),
            "item": ITEM_LABELS.get(str(event.detail.get("item", "")), ""),
        }
        for event in data["events"]
    ]
    # Besides the state, two steps need an active consent.
    if consent is None:
        available -= {Step.REVOKE_CONSENT, Step.SCHEDULE_MEETING}
    steps = {str(step): True for step in available}
    return {
        "plan": plan,
        "person": plan.person,
        "show_contact": authz.can(actor, Action.PERSON_VIEW_CONTACT, plan.person),
        "deadline_passed": plan.state in lifecycle.BEFORE_FIRST_MEETING
        and plan.meeting_deadline < today,
        "reasons": [InitiativeReason(r).label for r in plan.reasons if r in InitiativeReason],
        "need_groups": [NeedGroup(g).label for g in plan.need_groups if g in NeedGroup],
        "consent": consent,
        "consents": data["consents"],
        "participants": data["participants"],
        "meetings": meetings,
        "needs": data["needs"],
        "goals": data["goals"],
        "interventions": interventions,
        "missing": data["missing"],
        "versions": versions,
        "follow_ups": follow_ups,
        "deviations": deviations,
        "events": events,
        "steps": steps,
        "need_form": plan_forms.NeedForm() if draft else None,
        "goal_form": plan_forms.GoalForm() if draft else None,
        "intervention_form": plan_forms.InterventionForm(plan=plan) if draft else None,
        "needs_oob": _NEEDS_OOB,
        "goals_oob": _GOALS_OOB,
        "interventions_oob": _INTERVENTIONS_OOB,
    }


# Consent ------------------------------------------------------------------------------------


@login_required
def consent_record(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.CONSENT_RECORD, plan)
    form = plan_forms.ConsentForm(_data(request), person=plan.person)

    def call() -> object:
        d = form.cleaned_data
        return services.consent_record(
            actor=actor,
            plan=plan,
            decision=d["decision"],
            method=d["method"],
            organisations=d["organisations"],
            information_kinds=d["information_kinds"],
            given_at=d["given_at"],
            representative=d["representative"],
            note=d["note"],
        )

    return _form_page(
        request,
        plan,
        form,
        title=_("Registrera samtycke"),
        call=call,
        done=_("Personens beslut om samtycke är registrerat."),
        anchor="consent",
        submit=_("Registrera"),
    )


@login_required
def consent_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.CONSENT_RECORD, plan)
    form = plan_forms.NoteForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_revoke(actor=actor, plan=plan, note=form.cleaned_data["note"])
        except services.StepNotAllowed as exc:
            return _refuse(request, plan, exc, "consent")
        messages.success(request, _("Samtycket är återkallat. Planen är vilande."))
        # Revocation may close this very door: then the plan is no longer ours to show.
        if not authz.can(actor, Action.PLAN_VIEW, plan):
            return redirect("worklist")
        return redirect(_url(plan, "consent"))
    ctx = {
        "plan": plan,
        "form": form,
        "title": _("Återkalla samtycke"),
        "intro": _(
            "När samtycket återkallas blir planen vilande och de andra organisationerna "
            "förlorar genast åtkomsten till den."
        ),
        "back": _url(plan, "consent"),
        "submit": _("Återkalla samtycket"),
        "action": request.path,
    }
    _shown_again(request, plan)
    return render(request, "plans/form.html", ctx, status=_st(form))


# Meetings and invitations -------------------------------------------------------------------


def _meeting(plan: Plan, pk: int) -> Meeting:
    meeting = plan.meetings.filter(pk=pk).first()
    if meeting is None:
        raise Http404
    meeting.plan = plan
    return meeting


def _covered_organisations(plan: Plan) -> Any:
    consent = services.active_consent(plan)
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
    return selectors.invitation_get_for_answer(actor=actor, pk=pk)


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


# The draft ----------------------------------------------------------------------------------


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


# Follow-ups and deviations -------------------------------------------------------------------


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


@login_required
def deviation_report(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.DEVIATION_REPORT, plan)
    form = plan_forms.DeviationForm(_data(request), plan=plan)
    return _form_page(
        request,
        plan,
        form,
        title=_("Rapportera avvikelse"),
        call=lambda: services.deviation_report(
            actor=actor,
            plan=plan,
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
            addressed_to=form.cleaned_data["addressed_to"],
        ),
        done=_("Avvikelsen är rapporterad."),
        anchor="deviations",
        submit=_("Rapportera"),
    )


@login_required
def deviation_status(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    deviation: Deviation | None = plan.deviations.filter(pk=item_pk).first()
    if deviation is None:
        raise Http404
    deviation.plan = plan
    authz.require(actor, Action.DEVIATION_HANDLE, deviation)
    form = plan_forms.DeviationStatusForm(
        _data(request), initial={"status": deviation.status, "resolution": deviation.resolution}
    )
    return _form_page(
        request,
        plan,
        form,
        title=_("Hantera avvikelse"),
        call=lambda: services.deviation_set_status(
            actor=actor,
            deviation=deviation,
            status=form.cleaned_data["status"],
            resolution=form.cleaned_data["resolution"],
        ),
        done=_("Avvikelsens status är ändrad."),
        anchor="deviations",
        context={"deviation": deviation},
    )


# Establish, revise, close -------------------------------------------------------------------


@login_required
def plan_establish(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.PLAN_EDIT, plan)
    refused = False
    if request.method == "POST" and _already_sent(request):
        return _sent_before(request, plan)
    if request.method == "POST":
        try:
            version = services.plan_establish(actor=actor, plan=plan)
        except services.PlanIncomplete as exc:
            missing = exc.missing
            refused = True
        except ValidationError as exc:
            return _refuse(request, plan, exc)
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
        },
        status=400 if refused else 200,
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


# Versions -----------------------------------------------------------------------------------

SECTION_LABELS = {
    "plan_type": gettext_lazy("Typ av plan"),
    "title": gettext_lazy("Rubrik"),
    "lead_organisation": gettext_lazy("Huvudansvarig huvudman"),
    "coordinator": gettext_lazy("Samordnare"),
    "time_plan": gettext_lazy("Tidsplan"),
    "evaluation_plan": gettext_lazy("Vad som följs upp och utvärderas"),
    "existing_plan_reference": gettext_lazy("Befintlig plan som kompletteras"),
    "participants": gettext_lazy("Deltagande enheter"),
    "consent_organisations": gettext_lazy("Organisationer som samtycket gäller"),
    "needs": gettext_lazy("Behov, förutsättningar och intressen"),
    "goals": gettext_lazy("Mål"),
    "interventions": gettext_lazy("Insatser"),
    "follow_ups": gettext_lazy("Inplanerade uppföljningar"),
}
FIELD_LABELS = {
    "kind": gettext_lazy("Typ"),
    "description": gettext_lazy("Beskrivning"),
    "icf_code": gettext_lazy("ICF-kod"),
    "person_words": gettext_lazy("Med personens egna ord"),
    "shared_goal": gettext_lazy("Gemensamt mål"),
    "target_date": gettext_lazy("Ska vara nått"),
    "organisation": gettext_lazy("Ansvarig organisation"),
    "unit": gettext_lazy("Enhet"),
    "staff": gettext_lazy("Ansvarig personal"),
    "status": gettext_lazy("Status"),
    "start_date": gettext_lazy("Start"),
    "end_date": gettext_lazy("Slut"),
    "by_others": gettext_lazy("Åtgärd av annan än kommun och region"),
    "due_date": gettext_lazy("Datum"),
    "what": gettext_lazy("Vad"),
    "name": gettext_lazy("Namn"),
    "phone": gettext_lazy("Telefon"),
    "email": gettext_lazy("E-post"),
}
CHANGE_LABELS = {
    "added": gettext_lazy("Tillagt"),
    "removed": gettext_lazy("Borttaget"),
    "changed": gettext_lazy("Ändrat"),
}


def _value_text(field: str, value: Any) -> str:
    if value is True:
        return _("Ja")
    if value is False:
        return _("Nej")
    if value in (None, ""):
        return "–"
    if field == "kind" and value in NeedKind:
        return str(NeedKind(value).label)
    if field == "status" and value in InterventionStatus:
        return str(InterventionStatus(value).label)
    if field == "plan_type" and value in PlanType:
        return str(PlanType(value).label)
    return str(value)


def _fields(value: Any) -> list[tuple[str, str]]:
    """A frozen item as (label, text) pairs, in the order the version stores them."""
    if isinstance(value, dict):
        return [
            (str(FIELD_LABELS.get(k, k)), _value_text(k, v)) for k, v in value.items() if k != "id"
        ]
    if isinstance(value, list):
        return [("", ", ".join(str(v) for v in value) or "–")]
    return [("", _value_text("", value))]


def _section_text(section: str, value: Any) -> list[tuple[str, str]]:
    if section == "plan_type":
        return [("", _value_text("plan_type", value))]
    return _fields(value)


def _version_sections(content: dict[str, Any]) -> list[dict[str, Any]]:
    sections: list[dict[str, Any]] = []
    for key, label in SECTION_LABELS.items():
        if key not in content:
            continue
        value = content[key]
        if isinstance(value, list) and value and isinstance(value[0], dict):
            items = [_fields(item) for item in value]
            sections.append({"key": key, "label": label, "items": items, "text": None})
        else:
            sections.append(
                {"key": key, "label": label, "items": None, "text": _section_text(key, value)}
            )
    return sections


@login_required
def plan_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    _, plan = _plan(request, pk, purpose="version")
    version = selectors.version_get(plan=plan, number=number)
    if version is None:
        raise Http404
    return render(
        request,
        "plans/version.html",
        {
            "plan": plan,
            "version": version,
            "sections": _version_sections(version.content),
            "previous": number - 1 if number > 1 else None,
        },
    )


def _change_rows(section: str, kind: str, before: Any, after: Any) -> list[dict[str, str]]:
    if isinstance(before, dict) and isinstance(after, dict):
        return [
            {
                "field": str(FIELD_LABELS.get(k, k)),
                "before": _value_text(k, before.get(k)),
                "after": _value_text(k, after.get(k)),
            }
            for k in [*after, *(k for k in before if k not in after)]
            if k != "id" and before.get(k) != after.get(k)
        ]
    value = after if kind == "added" else before
    if isinstance(value, dict):
        return [
            {
                "field": label,
                "before": text if kind == "removed" else "",
                "after": text if kind == "added" else "",
            }
            for label, text in _fields(value)
        ]
    return [
        {
            "field": "",
            "before": _section_text(section, before)[0][1] if kind != "added" else "",
            "after": _section_text(section, after)[0][1] if kind != "removed" else "",
        }
    ]


@login_required
def plan_version_diff(request: HttpRequest, pk: int, a: int, b: int) -> HttpResponse:
    _, plan = _plan(request, pk, purpose="version")
    older = selectors.version_get(plan=plan, number=min(a, b))
    newer = selectors.version_get(plan=plan, number=max(a, b))
    if older is None or newer is None:
        raise Http404
    changes = [
        {
            "section": str(SECTION_LABELS.get(c.section, c.section)),
            "kind": c.kind,
            "kind_label": CHANGE_LABELS.get(c.kind, c.kind),
            "rows": _change_rows(c.section, c.kind, c.before, c.after),
        }
        for c in selectors.version_diff(older.content, newer.content)
    ]
    return render(
        request,
        "plans/version_diff.html",
        {"plan": plan, "older": older, "newer": newer, "changes": changes},
    )
