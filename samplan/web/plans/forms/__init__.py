"""Forms for the plan pages, one module per stage. They parse input; the services decide and
write. Callers use this package as one namespace: `from samplan.web.plans import forms as
plan_forms`, then `plan_forms.ConsentForm(...)`.

Fields that a service checks (a reason, a decision, an answer) are optional here, so that the
service's own message, which says what to do, appears next to the field."""

from samplan.web.plans.forms._common import (
    InvitationMultipleChoice,
    ItemForm,
    NoteForm,
    RevisionForm,
    UnitChoice,
    UnitMultipleChoice,
    UserChoice,
    date_input,
    datetime_input,
    participating_units,
    set_queryset,
    text_area,
    units_of,
)
from samplan.web.plans.forms.draft import GoalForm, InterventionForm, NeedForm, PlanDetailsForm
from samplan.web.plans.forms.follow_ups import (
    DeviationForm,
    DeviationStatusForm,
    FollowUpRecordForm,
    FollowUpScheduleForm,
    PlanCloseForm,
)
from samplan.web.plans.forms.initiative import ConsentForm, PlanInitiateForm
from samplan.web.plans.forms.meetings import (
    MAX_EXTERNALS,
    ExternalInviteesMixin,
    InvitationAddForm,
    InvitationAnswerForm,
    MeetingForm,
    MeetingHeldForm,
    MeetingScheduleForm,
)

__all__ = [
    "MAX_EXTERNALS",
    "ConsentForm",
    "DeviationForm",
    "DeviationStatusForm",
    "ExternalInviteesMixin",
    "FollowUpRecordForm",
    "FollowUpScheduleForm",
    "GoalForm",
    "InterventionForm",
    "InvitationAddForm",
    "InvitationAnswerForm",
    "InvitationMultipleChoice",
    "ItemForm",
    "MeetingForm",
    "MeetingHeldForm",
    "MeetingScheduleForm",
    "NeedForm",
    "NoteForm",
    "PlanCloseForm",
    "PlanDetailsForm",
    "PlanInitiateForm",
    "RevisionForm",
    "UnitChoice",
    "UnitMultipleChoice",
    "UserChoice",
    "date_input",
    "datetime_input",
    "participating_units",
    "set_queryset",
    "text_area",
    "units_of",
]
