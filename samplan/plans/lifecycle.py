"""The SIP lifecycle in one table: each step, and the plan states in which it is allowed.

This is the one place that says when a plan may be established, revised, followed up or
closed. The services refuse a step through `require_step`; the plan page shows a step's
button, and the REST API lists a plan's `allowed_steps`, from `steps_available`, which adds
the policy's answer (`samplan.authz.policy.can` with the step's `Action`) to the table's.

A step may still be refused for a reason that is not the plan's state (no active consent,
missing items, a meeting already held): the services check those themselves.
"""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.plans.models import Plan, PlanState


class StepNotAllowed(ValidationError):
    """A lifecycle step that the plan's state does not allow. Nothing is changed."""


class Step(StrEnum):
    INITIATE = "initiate"
    RECORD_CONSENT = "record_consent"
    REVOKE_CONSENT = "revoke_consent"
    SCHEDULE_MEETING = "schedule_meeting"
    UPDATE_MEETING = "update_meeting"
    CANCEL_MEETING = "cancel_meeting"
    INVITE = "invite"
    ANSWER_INVITATION = "answer_invitation"
    HOLD_MEETING = "hold_meeting"
    EDIT_DRAFT = "edit_draft"
    ESTABLISH = "establish"
    REVISE = "revise"
    SCHEDULE_FOLLOW_UP = "schedule_follow_up"
    RECORD_FOLLOW_UP = "record_follow_up"
    REPORT_DEVIATION = "report_deviation"
    HANDLE_DEVIATION = "handle_deviation"
    CLOSE = "close"


S = PlanState
_ALL = frozenset(PlanState)
_OPEN = _ALL - {S.CLOSED}
# Meetings are called, changed and held while the plan is neither closed nor paused (a
# revoked consent pauses the plan and cancels its meetings not yet held).
_ACTIVE = _OPEN - {S.PAUSED}
# The working draft: before the plan is established, and while it is being revised.
_DRAFT = frozenset({S.INITIATED, S.CONSENTED, S.INVITED, S.MEETING_HELD, S.REVISING})

ALLOWED_STATES: dict[Step, frozenset[PlanState]] = {
    # Initiating makes a new plan: no existing plan's state allows it.
    Step.INITIATE: frozenset(),
    Step.RECORD_CONSENT: _OPEN,
    # A consent may be revoked whatever the plan's state: a closed plan stays closed.
    Step.REVOKE_CONSENT: _ALL,
    Step.SCHEDULE_MEETING: frozenset(
        {S.CONSENTED, S.INVITED, S.MEETING_HELD, S.ESTABLISHED, S.REVISING}
    ),
    Step.UPDATE_MEETING: _ACTIVE,
    Step.CANCEL_MEETING: _ACTIVE,
    Step.INVITE: _ACTIVE,
    Step.ANSWER_INVITATION: _OPEN,
    Step.HOLD_MEETING: _ACTIVE,
    Step.EDIT_DRAFT: _DRAFT,
    Step.ESTABLISH: frozenset({S.CONSENTED, S.INVITED, S.MEETING_HELD, S.REVISING}),
    Step.REVISE: frozenset({S.ESTABLISHED}),
    Step.SCHEDULE_FOLLOW_UP: _ACTIVE,
    Step.RECORD_FOLLOW_UP: _ACTIVE,
    Step.REPORT_DEVIATION: _OPEN,
    Step.HANDLE_DEVIATION: _OPEN,
    Step.CLOSE: _OPEN,
}

# Named states for reads (worklists, the plan page), not steps.
BEFORE_FIRST_MEETING = frozenset({S.INITIATED, S.CONSENTED, S.INVITED})  # the deadline runs
IN_FORCE = frozenset({S.ESTABLISHED, S.REVISING})  # a version applies and is followed up
# The live plan is what its newest version froze (no revision under way): the person's
# approval of that version stands for the live plan too (FHIR's approvedForPatient).
SETTLED = frozenset({S.ESTABLISHED, S.PAUSED, S.CLOSED})

# What the policy is asked for each step. The object is the plan, except for the steps in
# OBJECT_STEPS: those are asked about one invitation, deviation or intervention.
STEP_ACTION: dict[Step, Action] = {
    Step.INITIATE: Action.PLAN_INITIATE,
    Step.RECORD_CONSENT: Action.CONSENT_RECORD,
    Step.REVOKE_CONSENT: Action.CONSENT_RECORD,
    Step.SCHEDULE_MEETING: Action.PLAN_EDIT,
    Step.UPDATE_MEETING: Action.PLAN_EDIT,
    Step.CANCEL_MEETING: Action.PLAN_EDIT,
    Step.INVITE: Action.PLAN_EDIT,
    Step.ANSWER_INVITATION: Action.INVITATION_ANSWER,
    Step.HOLD_MEETING: Action.PLAN_EDIT,
    Step.EDIT_DRAFT: Action.PLAN_EDIT,
    Step.ESTABLISH: Action.PLAN_EDIT,
    Step.REVISE: Action.PLAN_EDIT,
    Step.SCHEDULE_FOLLOW_UP: Action.PLAN_EDIT,
    Step.RECORD_FOLLOW_UP: Action.FOLLOW_UP_RECORD,
    Step.REPORT_DEVIATION: Action.DEVIATION_REPORT,
    Step.HANDLE_DEVIATION: Action.DEVIATION_HANDLE,
    Step.CLOSE: Action.PLAN_EDIT,
}
OBJECT_STEPS = frozenset({Step.INITIATE, Step.ANSWER_INVITATION, Step.HANDLE_DEVIATION})

# Why a step is refused, said the way the user needs to hear it. A (step, state) pair has its
# own message where the state says something more useful than "not now".
_REFUSALS: dict[Step, Promise] = {
    Step.RECORD_CONSENT: gettext_lazy("Planen är avslutad. Samtycke kan inte registreras."),
    Step.SCHEDULE_MEETING: gettext_lazy(
        "Det går inte att kalla till möte i planens nuvarande läge."
    ),
    Step.UPDATE_MEETING: gettext_lazy(
        "Planen är avslutad eller vilande. Det går inte att kalla eller ändra möten."
    ),
    Step.CANCEL_MEETING: gettext_lazy(
        "Planen är avslutad eller vilande. Det går inte att kalla eller ändra möten."
    ),
    Step.INVITE: gettext_lazy(
        "Planen är avslutad eller vilande. Det går inte att kalla eller ändra möten."
    ),
    Step.ANSWER_INVITATION: gettext_lazy("Mötet är inställt eller planen avslutad."),
    Step.HOLD_MEETING: gettext_lazy(
        "Planen är avslutad eller vilande. Det går inte att kalla eller ändra möten."
    ),
    Step.EDIT_DRAFT: gettext_lazy("Planen kan inte ändras i sitt nuvarande läge."),
    Step.ESTABLISH: gettext_lazy("Planen kan inte upprättas i sitt nuvarande läge."),
    Step.REVISE: gettext_lazy("Bara en upprättad plan kan revideras."),
    Step.SCHEDULE_FOLLOW_UP: gettext_lazy("Planen är avslutad eller vilande."),
    Step.RECORD_FOLLOW_UP: gettext_lazy("Planen är avslutad eller vilande."),
    Step.REPORT_DEVIATION: gettext_lazy(
        "Planen är avslutad. Avvikelser kan inte rapporteras i den."
    ),
    Step.HANDLE_DEVIATION: gettext_lazy("Planen är avslutad. Avvikelsen kan inte hanteras."),
}
_REFUSAL_DEFAULT = gettext_lazy("Planen kan inte ändras i sitt nuvarande läge.")
_REFUSALS_IN_STATE: dict[tuple[Step, PlanState], Promise] = {
    (Step.EDIT_DRAFT, S.ESTABLISHED): gettext_lazy(
        "Planen är upprättad och kan inte ändras. Påbörja en revidering för att ändra."
    ),
    (Step.ESTABLISH, S.ESTABLISHED): gettext_lazy("Planen är redan upprättad."),
    (Step.CLOSE, S.CLOSED): gettext_lazy("Planen är redan avslutad."),
}


def states_where(step: Step) -> frozenset[PlanState]:
    """The plan states in which `step` is allowed (for querysets: `state__in=...`)."""
    return ALLOWED_STATES[step]


def step_allowed(plan: Plan, step: Step) -> bool:
    """Whether the plan's state allows the step (the table only; not the policy)."""
    return plan.state in ALLOWED_STATES[step]


def require_step(plan: Plan, step: Step) -> None:
    """Raise StepNotAllowed, with a message that says why, unless the plan's state allows
    the step. Call it after the plan's row lock, so that the state cannot change under it."""
    if step_allowed(plan, step):
        return
    message = _REFUSALS_IN_STATE.get(
        (step, PlanState(plan.state)), _REFUSALS.get(step, _REFUSAL_DEFAULT)
    )
    raise StepNotAllowed(str(message), code="state")


# Steps that, besides the plan's state, need an active consent (the services refuse them
# without one): there is nothing to revoke, and nobody to invite.
NEEDS_ACTIVE_CONSENT = frozenset({Step.REVOKE_CONSENT, Step.SCHEDULE_MEETING})


def steps_available(
    *, actor: Actor, plan: Plan, has_active_consent: bool | None = None
) -> list[Step]:
    """The steps on this plan that its state allows and the policy lets the actor take, in
    the table's order. The policy is asked once per action, and only for steps the state
    allows. Steps about one invitation or deviation (OBJECT_STEPS) are not listed here: ask
    `step_permitted` with the object."""
    plan_level = authz.plan_actions(actor, plan)  # one query for the plan-level actions
    answers: dict[Action, bool] = {a: a in plan_level for a in authz.PLAN_LEVEL_ACTIONS}
    available = []
    for step, states in ALLOWED_STATES.items():
        if step in OBJECT_STEPS or plan.state not in states:
            continue
        action = STEP_ACTION[step]
        if action not in answers:
            answers[action] = authz.can(actor, action, plan)
        if answers[action]:
            available.append(step)
    if any(step in NEEDS_ACTIVE_CONSENT for step in available):
        if has_active_consent is None:
            from samplan.consent.models import Consent

            has_active_consent = Consent.objects.active().filter(plan=plan).exists()
        if not has_active_consent:
            available = [s for s in available if s not in NEEDS_ACTIVE_CONSENT]
    return available


def step_permitted(*, actor: Actor, plan: Plan, step: Step, obj: object = None) -> bool:
    """The table and the policy for one step, asked about `obj` (an invitation, a
    deviation, an intervention) or the plan."""
    return step_allowed(plan, step) and authz.can(
        actor, STEP_ACTION[step], plan if obj is None else obj
    )
