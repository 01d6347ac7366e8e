"""The worklist and the plan page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy

from samplan.authz import access
from samplan.authz import policy as authz
from samplan.authz.access.plans import PlanPageLists, access_plan_page
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.plans import lifecycle, selectors
from samplan.plans.lifecycle import Step
from samplan.plans.models import (
    DeviationStatus,
    InitiativeReason,
    NeedGroup,
    Plan,
)
from samplan.web.documents import document_links
from samplan.web.plans import forms as plan_forms
from samplan.web.plans._flow import (
    _GOALS_OOB,
    _INTERVENTIONS_OOB,
    _NEEDS_OOB,
    _actor,
    _plan,
)
from samplan.web.plans.disputes import dispute_context

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
    "invitation_link_revoked": gettext_lazy("Länken i en kallelse spärrad"),
    "invitation_link_reissued": gettext_lazy("Ny länk skickad till extern deltagare"),
    "draft_changed": gettext_lazy("Planens utkast ändrat"),
    "established": gettext_lazy("Planen upprättad"),
    "revision_started": gettext_lazy("Revidering påbörjad"),
    "followed_up": gettext_lazy("Uppföljning registrerad"),
    "deviation_reported": gettext_lazy("Avvikelse rapporterad"),
    "deviation_status": gettext_lazy("Avvikelsens status ändrad"),
    "dispute_recorded": gettext_lazy("Oenighet om ansvar registrerad"),
    "dispute_resolved": gettext_lazy("Oenighet om ansvar löst"),
    "closed": gettext_lazy("Planen avslutad"),
    # The person's own view (samplan/web/own_views.py)
    "version_approved": gettext_lazy("Personen godkände versionen"),
    "end_requested": gettext_lazy("Personen bad om att planen avslutas"),
    "representatives_chosen": gettext_lazy("Personen valde vilka närstående som får se planen"),
    "calendar_fetched": gettext_lazy("Personen hämtade ett möte till sin kalender"),
    "child_own_view": gettext_lazy("Barnets egen vy ändrad"),
}


ITEM_LABELS = {
    "need": gettext_lazy("behov"),
    "goal": gettext_lazy("mål"),
    "intervention": gettext_lazy("insats"),
    "follow_up": gettext_lazy("uppföljning"),
}


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    worklist = access.access_worklist(actor=actor)  # audited: one event per person named
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


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lists = None
    if request.method == "POST":
        actor, plan = _plan(request, pk)  # as every step's page: the write records the access
    else:
        # The plan, its visibility and active consent, and the page's lists in one query, the
        # read audited.
        actor = _actor(request)
        reached, lists = access_plan_page(actor=actor, plan_id=pk)
        plan = reached.plan
    return render(request, "plans/plan_detail.html", _plan_context(request, actor, plan, lists))


def _plan_context(
    request: HttpRequest, actor: Actor, plan: Plan, lists: PlanPageLists | None = None
) -> dict[str, Any]:
    data = selectors.plan_page_data(actor=actor, plan=plan)
    if lists is not None:
        # The lists the plan's read brought (`access_plan_page`), in place of the selector's
        # (the same rows; the follow-ups only where the plan's content is shown).
        data["participants"] = lists.participants
        data["meetings"] = lists.meetings
        data["deviations"] = lists.deviations
        data["versions"] = lists.versions
        data["events"] = lists.events
        data["follow_ups"] = lists.follow_ups if data["plan_content"] else []
    today = timezone.localdate()
    now = timezone.now()
    # Which step buttons the page shows: the lifecycle table and the policy, asked once.
    available = set(
        lifecycle.steps_available(
            actor=actor, plan=plan, has_active_consent=data["consent"] is not None
        )
    )
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
    steps = {str(step): True for step in available}
    return {
        "plan": plan,
        # A child's own view of the plan: the coordinator (and the lead) turn it on or off.
        "child_view_editable": authz.is_child(plan.person)
        and authz.can(actor, Action.PLAN_EDIT, plan),
        # The plan's state lets its content be edited (whoever may do it).
        "draft_state": lifecycle.step_allowed(plan, Step.EDIT_DRAFT),
        "documents": document_links(
            access.staff_document_options(actor=actor, plan=plan),
            url_name="plan_document",
            pk=plan.pk,
        ),
        "person": plan.person,
        "show_contact": access.plan_contact_shown(actor=actor, plan=plan, kinds=data["kinds"]),
        "deadline_passed": plan.state in lifecycle.BEFORE_FIRST_MEETING
        and plan.meeting_deadline < today,
        "reasons": [InitiativeReason(r).label for r in plan.reasons if r in InitiativeReason],
        "need_groups": [NeedGroup(g).label for g in plan.need_groups if g in NeedGroup],
        "consent": consent,
        "consents": data["consents"],
        "participants": data["participants"],
        "meetings": meetings,
        "plan_content": data["plan_content"],
        "consent_partial": data["consent_partial"],
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
        # Responsibility disputes and the legal basis (issue 13): three queries.
        **dispute_context(actor, plan, versions),
    }
