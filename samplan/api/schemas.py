"""Request and response bodies. Request bodies forbid unknown fields, bound every string and
number to what the database can hold, and refuse control characters, so that bad input is a
400 with a field name and never reaches the database as a 500."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field

from samplan.consent.models import ConsentDecision, ConsentMethod, InformationKind
from samplan.directory.models import (
    CommunicationNeed,
    IdentifierKind,
    LookupReason,
    OrganisationKind,
    UnitKind,
)
from samplan.plans.lifecycle import Step
from samplan.plans.models import (
    Attainment,
    ClosureReason,
    DeviationKind,
    DeviationStatus,
    InitiatedBy,
    InitiativeReason,
    InterventionStatus,
    InvitationAnswer,
    MeetingMode,
    NeedGroup,
    NeedKind,
    PlanState,
    PlanType,
)

# SQLite and PostgreSQL both store ids as signed 64-bit integers.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

_LINE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_TEXT_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _line(value: str) -> str:
    if _LINE_FORBIDDEN.search(value):
        raise ValueError("control characters are not allowed")
    return value


def _text(value: str) -> str:
    if _TEXT_FORBIDDEN.search(value):
        raise ValueError("control characters are not allowed")
    return value


# One line of text, bounded to the column it goes into: no control characters.
Line10 = Annotated[str, Field(max_length=10), AfterValidator(_line)]
Line12 = Annotated[str, Field(max_length=12), AfterValidator(_line)]
Line40 = Annotated[str, Field(max_length=40), AfterValidator(_line)]
Line100 = Annotated[str, Field(max_length=100), AfterValidator(_line)]
Line200 = Annotated[str, Field(max_length=200), AfterValidator(_line)]
Line254 = Annotated[str, Field(max_length=254), AfterValidator(_line)]
Line300 = Annotated[str, Field(max_length=300), AfterValidator(_line)]
# Free text: line breaks and tabs allowed, other control characters not.
Text = Annotated[str, Field(max_length=10_000), AfterValidator(_text)]


# The calendar a plan lives in: anything outside is a typing error, not a date to store.
_FIRST_YEAR, _LAST_YEAR = 1900, 2200


def _date_in_range(value: date) -> date:
    if not _FIRST_YEAR <= value.year <= _LAST_YEAR:
        raise ValueError(f"the year must be between {_FIRST_YEAR} and {_LAST_YEAR}")
    return value


def _datetime_in_range(value: datetime) -> datetime:
    _date_in_range(value.date())
    return timezone.localtime(value)


Date = Annotated[date, AfterValidator(_date_in_range)]
DateTime = Annotated[AwareDatetime, AfterValidator(_datetime_in_range)]


class In(Schema):
    """A request body: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


# Errors -------------------------------------------------------------------------------------


class MissingOut(Schema):
    key: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = Field(default_factory=dict)
    missing: list[MissingOut] | None = None


# Registry -----------------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    organisation_id: int
    name: str
    kind: UnitKind
    hsa_id: str
    email: str
    phone: str
    address: str
    is_active: bool


class OrganisationOut(Schema):
    id: int
    name: str
    kind: OrganisationKind
    org_number: str
    hsa_id: str
    email: str
    phone: str
    is_active: bool


class OrganisationDetailOut(OrganisationOut):
    units: list[UnitOut]


class PersonSearchIn(In):
    query: Line100


class PersonLookupIn(In):
    """The complete identity number, or (for a person with a reserve number) name and birth
    date; and why."""

    reason: LookupReason
    identifier: Line40 = ""
    given_name: Line100 = ""
    family_name: Line100 = ""
    birth_date: Date | None = None


class PersonBriefOut(Schema):
    """What a look-up opens: enough to start a plan or answer an invitation."""

    id: int
    given_name: str
    family_name: str
    birth_year: int | None
    protected_identity: bool


class PersonLookupOut(Schema):
    found: bool
    person: PersonBriefOut | None


class PersonSummaryOut(Schema):
    id: int
    identifier_kind: IdentifierKind
    identifier: str
    birth_date: date | None
    given_name: str
    family_name: str
    protected_identity: bool


class PersonOut(PersonSummaryOut):
    """Contact details are null when the person has a protected identity."""

    address: str | None
    postal_code: str | None
    city: str | None
    phone: str | None
    email: str | None
    preferred_language: str
    communication_need: CommunicationNeed


class PersonCreateIn(In):
    identifier: Line40
    identifier_kind: IdentifierKind = IdentifierKind.PERSONNUMMER
    given_name: Line100
    family_name: Line100
    protected_identity: bool = False
    address: Line200 = ""
    postal_code: Line10 = ""
    city: Line100 = ""
    phone: Line40 = ""
    email: Line254 = ""
    preferred_language: Line10 = "sv"
    communication_need: CommunicationNeed = CommunicationNeed.NONE


# Plans: reading -----------------------------------------------------------------------------


class PersonRefOut(Schema):
    id: int
    given_name: str
    family_name: str


class StaffRefOut(Schema):
    id: int
    name: str


class PlanSummaryOut(Schema):
    id: int
    state: PlanState
    plan_type: PlanType
    title: str
    person: PersonRefOut
    initiated_on: date
    meeting_deadline: date
    initiating_unit_id: int
    lead_organisation_id: int | None
    coordinator_id: int | None
    revision: int
    updated_at: datetime


class PlanPageOut(Schema):
    items: list[PlanSummaryOut]
    next: str | None = Field(description="The cursor of the next page; null on the last page.")


class ConsentOut(Schema):
    id: int
    decision: ConsentDecision
    method: ConsentMethod
    organisations: list[int]
    information_kinds: list[str]
    given_at: datetime
    given_by_representative_id: int | None
    note: str
    recorded_at: datetime
    revoked_at: datetime | None
    superseded_at: datetime | None


class ParticipantOut(Schema):
    unit_id: int
    unit_name: str
    organisation_id: int
    organisation_name: str
    joined_at: datetime


class InvitationOut(Schema):
    id: int
    meeting_id: int
    unit_id: int | None
    external_name: str
    external_organisation: str
    answer: InvitationAnswer
    decline_reason: str
    represented_by: str
    answered_at: datetime | None
    attended: bool | None


class MeetingOut(Schema):
    id: int
    plan_id: int
    starts_at: datetime
    ends_at: datetime
    mode: MeetingMode
    location: str
    video_url: str
    agenda: str
    sequence: int
    held_at: datetime | None
    minutes: str
    cancelled_at: datetime | None
    invitations: list[InvitationOut]


class NeedOut(Schema):
    id: int
    kind: NeedKind
    description: str
    icf_code: str


class GoalOut(Schema):
    id: int
    shared_goal: str
    person_words: str
    target_date: date | None


class InterventionOut(Schema):
    id: int
    description: str
    responsible_organisation_id: int
    responsible_unit_id: int | None
    responsible_staff_id: int | None
    status: InterventionStatus
    start_date: date | None
    end_date: date | None
    goal_id: int | None


class GoalResultOut(Schema):
    goal_id: int | None
    goal_text: str
    attainment: Attainment


class FollowUpOut(Schema):
    id: int
    due_date: date
    what: str
    result: str
    attainment: str
    done_at: datetime | None
    version_number: int | None
    goal_results: list[GoalResultOut]


class DeviationOut(Schema):
    id: int
    kind: DeviationKind
    description: str
    addressed_to_id: int
    status: DeviationStatus
    reported_unit_id: int
    reported_at: datetime
    resolution: str
    handled_at: datetime | None


class VersionRefOut(Schema):
    number: int
    established_at: datetime
    established_by: StaffRefOut


class VersionOut(VersionRefOut):
    content: dict[str, Any]


class ChangeOut(Schema):
    section: str
    kind: str = Field(description="added, removed or changed")
    before: Any
    after: Any


class DiffOut(Schema):
    older: int
    newer: int
    changes: list[ChangeOut]


class PlanOut(PlanSummaryOut):
    """The plan with its working draft and everything around it."""

    allowed_steps: list[Step] = Field(
        description="The lifecycle steps on this plan that its state allows and the caller "
        "may take now (samplan/plans/lifecycle.py). A step may still be refused for another "
        "reason, such as a missing consent or missing items."
    )
    initiated_by: InitiatedBy
    reasons: list[str]
    need_groups: list[str]
    initiative_note: str
    coordinator: StaffRefOut | None
    coordinator_unit_id: int | None
    coordinator_phone: str
    coordinator_email: str
    time_plan: str
    evaluation_plan: str
    existing_plan_reference: str
    lss_decision_date: date | None
    closure_reason: str
    closure_note: str
    closed_at: datetime | None
    consent: ConsentOut | None
    consents: list[ConsentOut]
    participants: list[ParticipantOut]
    needs: list[NeedOut]
    goals: list[GoalOut]
    interventions: list[InterventionOut]
    meetings: list[MeetingOut]
    follow_ups: list[FollowUpOut]
    deviations: list[DeviationOut]
    versions: list[VersionRefOut]
    missing: list[MissingOut]


# Plans: writing -----------------------------------------------------------------------------


class PlanInitiateIn(In):
    person: Id
    reasons: list[InitiativeReason] = Field(max_length=20)
    need_groups: list[NeedGroup] = Field(default_factory=list, max_length=10)
    initiated_by: InitiatedBy = InitiatedBy.STAFF
    on_behalf_of: Id | None = None
    initiated_on: Date | None = None
    note: Text = ""
    plan_type: PlanType = PlanType.SIP
    lss_decision_date: Date | None = None
    existing_plan_reference: Line200 = ""


class ConsentIn(In):
    decision: ConsentDecision
    method: ConsentMethod
    organisations: list[Id] = Field(default_factory=list, max_length=50)
    information_kinds: list[InformationKind] = Field(default_factory=list, max_length=10)
    given_at: DateTime | None = None
    representative: Id | None = None
    note: Text = ""


class NoteIn(In):
    note: Text = ""


class ExternalIn(In):
    name: Line200
    email: Line254
    organisation: Line200 = ""


class MeetingUpdateIn(In):
    starts_at: DateTime
    ends_at: DateTime
    mode: MeetingMode
    location: Line200 = ""
    video_url: Line200 = ""
    agenda: Text = ""


class MeetingScheduleIn(MeetingUpdateIn):
    units: list[Id] = Field(default_factory=list, max_length=50)
    externals: list[ExternalIn] = Field(default_factory=list, max_length=50)


class MeetingCancelIn(In):
    reason: Text = ""


class MeetingHeldIn(In):
    attended: list[Id] = Field(default_factory=list, max_length=100)
    minutes: Text = ""
    held_at: DateTime | None = None


class InvitationAnswerIn(In):
    answer: InvitationAnswer
    decline_reason: Text = ""
    represented_by: Line200 = ""


class PlanDetailsIn(In):
    """Only the fields sent are changed. `revision` is the plan's revision the client read:
    a later change by someone else answers 409 and nothing is overwritten."""

    revision: int | None = Field(default=None, ge=1, le=2**31 - 1)
    title: Line200 = None  # type: ignore[assignment]
    lead_organisation: Id | None = None
    coordinator: Id | None = None
    coordinator_unit: Id | None = None
    coordinator_phone: Line40 = None  # type: ignore[assignment]
    coordinator_email: Line254 = None  # type: ignore[assignment]
    time_plan: Text = None  # type: ignore[assignment]
    evaluation_plan: Text = None  # type: ignore[assignment]
    existing_plan_reference: Line200 = None  # type: ignore[assignment]
    lss_decision_date: Date | None = None


class RevisionIn(In):
    revision: int | None = Field(default=None, ge=1, le=2**31 - 1)


class NeedIn(RevisionIn):
    kind: NeedKind
    description: Text
    icf_code: Line12 = ""


class GoalIn(RevisionIn):
    shared_goal: Text
    person_words: Text = ""
    target_date: Date | None = None


class InterventionIn(RevisionIn):
    description: Text
    responsible_organisation: Id
    responsible_unit: Id | None = None
    responsible_staff: Id | None = None
    status: InterventionStatus = InterventionStatus.PLANNED
    start_date: Date | None = None
    end_date: Date | None = None
    goal: Id | None = None


class InterventionUpdateIn(RevisionIn):
    """Only the fields sent are changed."""

    description: Text = None  # type: ignore[assignment]
    responsible_organisation: Id = None  # type: ignore[assignment]
    responsible_unit: Id | None = None
    responsible_staff: Id | None = None
    status: InterventionStatus = None  # type: ignore[assignment]
    start_date: Date | None = None
    end_date: Date | None = None
    goal: Id | None = None


class FollowUpIn(RevisionIn):
    due_date: Date
    what: Line300


class GoalAttainmentIn(In):
    goal: Id
    attainment: Attainment


class FollowUpResultIn(In):
    result: Text
    attainment: Attainment
    goal_attainments: list[GoalAttainmentIn] = Field(default_factory=list, max_length=50)


class DeviationIn(In):
    kind: DeviationKind
    description: Text
    addressed_to: Id


class DeviationStatusIn(In):
    status: DeviationStatus
    resolution: Text = ""


class ReviseIn(In):
    reason: Text = ""


class CloseIn(In):
    reason: ClosureReason
    note: Text = ""


# Worklist -----------------------------------------------------------------------------------


class WorklistInvitationOut(Schema):
    id: int
    meeting_id: int
    unit_id: int | None
    starts_at: datetime
    ends_at: datetime
    mode: MeetingMode


class WorklistFollowUpOut(Schema):
    id: int
    plan_id: int
    person: PersonRefOut
    due_date: date
    what: str
    overdue: bool


class WorklistDraftOut(Schema):
    plan: PlanSummaryOut
    missing: list[MissingOut]


class WorklistOut(Schema):
    invitations: list[WorklistInvitationOut]
    coordinated: list[PlanSummaryOut]
    follow_ups_due: list[WorklistFollowUpOut]
    deadlines_passed: list[PlanSummaryOut]
    drafts_with_missing_items: list[WorklistDraftOut]
