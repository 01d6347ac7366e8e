"""What a document of a plan shows, read once into plain dataclasses.

The inputs are already authorised: the plan, and the kinds of information the reader may see
of it (`authz.information_kinds_for`). Needs, goals, time plan, evaluation and follow-ups are
the plan's shared content (kind "plan"); each intervention is shown when its kind is among
`kinds`, or when it is the reader's own organisation's (as `authz.intervention_shown`).
Nothing here checks access or writes audit rows.

An established plan is shown as its latest version (frozen; a revision in progress does not
change the document); a plan not yet established is shown from its draft, marked as a draft.
Free text is kept as typed, except invisible direction and control characters, which could
reorder or hide what is shown."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from samplan.authz import policy as authz
from samplan.consent.models import InformationKind
from samplan.plans.legal_basis import legal_basis_line
from samplan.plans.models import Intervention as InterventionRow
from samplan.plans.models import (
    InterventionStatus,
    Meeting,
    MeetingMode,
    NeedKind,
    Plan,
    PlanState,
    PlanType,
)

# Bidi embeddings/overrides/isolates and marks, zero-width characters, other C0/C1 controls.
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
    "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def clean(text: Any) -> str:
    """Free text as shown in a document: invisible control characters removed, ends trimmed."""
    return _INVISIBLE.sub("", str(text or "")).strip()


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class NeedItem:
    kind: str  # NeedKind value
    kind_label: str
    description: str
    icf_code: str


@dataclass(frozen=True)
class GoalItem:
    person_words: str
    shared_goal: str
    target_date: date | None


@dataclass(frozen=True)
class InterventionItem:
    description: str
    organisation: str
    unit: str
    staff: str
    status_label: str
    start_date: date | None
    end_date: date | None
    by_others: bool  # taken by others than the municipality and the region


@dataclass(frozen=True)
class FollowUpItem:
    due_date: date | None
    what: str


@dataclass(frozen=True)
class Coordinator:
    name: str
    unit: str
    phone: str
    email: str


@dataclass(frozen=True)
class MeetingItem:
    starts_at: datetime
    ends_at: datetime
    digital: bool
    mode_label: str
    location: str
    video_url: str
    agenda: str
    invitees: tuple[str, ...]


@dataclass(frozen=True)
class DocumentContent:
    plan_id: int
    plan_type: str
    plan_type_label: str
    title: str
    person_name: str
    person_identifier: str
    state_label: str
    draft: bool  # not established: shown from the draft
    version_number: int | None
    established_at: datetime | None
    lead_organisation: str
    coordinator: Coordinator
    participants: tuple[str, ...]
    existing_plan_reference: str
    time_plan: str
    evaluation_plan: str
    needs: tuple[NeedItem, ...]
    goals: tuple[GoalItem, ...]
    interventions: tuple[InterventionItem, ...]
    follow_ups: tuple[FollowUpItem, ...]
    next_meeting: MeetingItem | None
    plan_content_shown: bool  # the shared content (needs, goals, ...) is among the kinds
    narrowed: bool  # the consent leaves something out for this reader
    # The provisions the plan rests on, in force on the day it was established (a draft: today)
    legal_basis: str = ""

    @property
    def next_follow_up(self) -> FollowUpItem | None:
        dated = [f for f in self.follow_ups if f.due_date is not None]
        return min(dated, key=lambda f: f.due_date or date.max) if dated else None


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return clean(value)


def _source(plan: Plan) -> tuple[dict[str, Any], int | None, datetime | None]:
    version = plan.versions.order_by("-number").first()
    if version is not None and isinstance(version.content, dict):
        return version.content, version.number, version.established_at
    from samplan.plans.services import plan_snapshot

    return plan_snapshot(plan), None, None


def _interventions_shown(
    plan: Plan, items: list[dict[str, Any]], kinds: frozenset[str], own_organisation_id: int | None
) -> list[dict[str, Any]]:
    if kinds == authz.ALL_INFORMATION_KINDS:
        return items
    rows = {
        row.pk: row
        for row in InterventionRow.objects.filter(
            plan=plan, pk__in=[i.get("id") for i in items]
        ).select_related("responsible_organisation", "responsible_unit")
    }
    own_name = None
    if own_organisation_id is not None:
        own_name = next(
            (
                r.responsible_organisation.name
                for r in rows.values()
                if r.responsible_organisation_id == own_organisation_id
            ),
            None,
        )
    shown = []
    for item in items:
        row = rows.get(item["id"]) if isinstance(item.get("id"), int) else None
        if row is not None:
            if row.responsible_organisation_id == own_organisation_id or (
                authz.intervention_kind(row) in kinds
            ):
                shown.append(item)
        elif own_name is not None and item.get("organisation") == own_name:
            # No longer in the draft: shown only to its own organisation, by name as frozen.
            shown.append(item)
    return shown


def _next_meeting(plan: Plan) -> MeetingItem | None:
    meeting = (
        plan.meetings.filter(
            cancelled_at__isnull=True, held_at__isnull=True, starts_at__gte=timezone.now()
        )
        .order_by("starts_at")
        .first()
    )
    return meeting_item(meeting) if meeting is not None else None


def meeting_item(meeting: Meeting) -> MeetingItem:
    invitations = meeting.invitations.select_related("unit__organisation")
    return MeetingItem(
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        digital=meeting.mode == MeetingMode.DIGITAL,
        mode_label=_label(MeetingMode, meeting.mode),
        location=clean(meeting.location),
        video_url=meeting.safe_video_url,
        agenda=clean(meeting.agenda),
        invitees=tuple(clean(i.invitee_name) for i in invitations),
    )


def document_content(
    *, plan: Plan, kinds: frozenset[str], own_organisation_id: int | None = None
) -> DocumentContent:
    """The plan as a document shows it to a reader who may see `kinds` of it (and, with
    `own_organisation_id`, that organisation's own interventions whatever the kinds)."""
    data, version_number, established_at = _source(plan)
    shared = InformationKind.PLAN in kinds

    def items(key: str) -> list[dict[str, Any]]:
        return [i for i in data.get(key) or [] if isinstance(i, dict)] if shared else []

    coordinator = data.get("coordinator") or {}
    interventions = _interventions_shown(
        plan,
        [i for i in data.get("interventions") or [] if isinstance(i, dict)],
        kinds,
        own_organisation_id,
    )
    person = plan.person
    return DocumentContent(
        plan_id=plan.pk,
        plan_type=str(data.get("plan_type") or plan.plan_type),
        plan_type_label=_label(PlanType, data.get("plan_type") or plan.plan_type),
        title=clean(data.get("title")),
        person_name=clean(person.full_name),
        person_identifier=clean(person.formatted_identifier),
        state_label=_label(PlanState, plan.state),
        draft=version_number is None,
        version_number=version_number,
        established_at=established_at,
        lead_organisation=clean(data.get("lead_organisation")),
        coordinator=Coordinator(
            name=clean(coordinator.get("name")),
            unit=clean(coordinator.get("unit")),
            phone=clean(coordinator.get("phone")),
            email=clean(coordinator.get("email")),
        ),
        participants=tuple(clean(p) for p in data.get("participants") or []),
        existing_plan_reference=clean(data.get("existing_plan_reference")),
        time_plan=clean(data.get("time_plan")) if shared else "",
        evaluation_plan=clean(data.get("evaluation_plan")) if shared else "",
        needs=tuple(
            NeedItem(
                kind=str(n.get("kind", "")),
                kind_label=_label(NeedKind, n.get("kind")),
                description=clean(n.get("description")),
                icf_code=clean(n.get("icf_code")),
            )
            for n in items("needs")
        ),
        goals=tuple(
            GoalItem(
                person_words=clean(g.get("person_words")),
                shared_goal=clean(g.get("shared_goal")),
                target_date=_date(g.get("target_date")),
            )
            for g in items("goals")
        ),
        interventions=tuple(
            InterventionItem(
                description=clean(i.get("description")),
                organisation=clean(i.get("organisation")),
                unit=clean(i.get("unit")),
                staff=clean(i.get("staff")),
                status_label=_label(InterventionStatus, i.get("status")),
                start_date=_date(i.get("start_date")),
                end_date=_date(i.get("end_date")),
                by_others=bool(i.get("by_others")),
            )
            for i in interventions
        ),
        follow_ups=tuple(
            FollowUpItem(due_date=_date(f.get("due_date")), what=clean(f.get("what")))
            for f in items("follow_ups")
        ),
        next_meeting=_next_meeting(plan),
        plan_content_shown=shared,
        narrowed=not set(InformationKind.values) <= set(kinds),
        legal_basis=legal_basis_line(
            str(data.get("plan_type") or plan.plan_type),
            timezone.localdate(established_at) if established_at else timezone.localdate(),
        ),
    )
