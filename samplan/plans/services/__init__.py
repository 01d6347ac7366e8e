"""The SIP lifecycle's writes, one module per stage. Every step is refused or allowed by the
lifecycle table (`samplan.plans.lifecycle`), checks the policy, writes its event and audit
row in the same transaction, and notifies after commit.

Callers use this package as one namespace: `from samplan.plans import services`, then
`services.plan_establish(...)`. The completeness check is a read: `samplan.plans.completeness`.
"""

from samplan.plans.lifecycle import StepNotAllowed
from samplan.plans.services._common import EditConflict
from samplan.plans.services.closure import plan_close
from samplan.plans.services.deviations import deviation_report, deviation_set_status
from samplan.plans.services.draft import (
    INTERVENTION_FIELDS,
    PLAN_DETAIL_FIELDS,
    InterventionFields,
    PlanDetails,
    goal_add,
    goal_remove,
    goal_update,
    intervention_add,
    intervention_remove,
    intervention_update,
    need_add,
    need_remove,
    need_update,
    plan_update_details,
)
from samplan.plans.services.follow_ups import follow_up_record, follow_up_schedule
from samplan.plans.services.initiative import plan_initiate
from samplan.plans.services.meetings import (
    MAX_REMINDERS,
    REMINDER_AFTER,
    ExternalInvitee,
    invitation_add,
    invitation_answer,
    invitation_answer_by_link,
    invitation_link_reissue,
    invitation_link_revoke,
    invitations_remind_due,
    meeting_cancel,
    meeting_record_held,
    meeting_schedule,
    meeting_update,
)
from samplan.plans.services.versions import (
    PlanIncomplete,
    plan_establish,
    plan_revise,
    plan_snapshot,
)

__all__ = [
    "INTERVENTION_FIELDS",
    "MAX_REMINDERS",
    "PLAN_DETAIL_FIELDS",
    "REMINDER_AFTER",
    "EditConflict",
    "ExternalInvitee",
    "InterventionFields",
    "PlanDetails",
    "PlanIncomplete",
    "StepNotAllowed",
    "deviation_report",
    "deviation_set_status",
    "follow_up_record",
    "follow_up_schedule",
    "goal_add",
    "goal_remove",
    "goal_update",
    "intervention_add",
    "intervention_remove",
    "intervention_update",
    "invitation_add",
    "invitation_answer",
    "invitation_answer_by_link",
    "invitation_link_reissue",
    "invitation_link_revoke",
    "invitations_remind_due",
    "meeting_cancel",
    "meeting_record_held",
    "meeting_schedule",
    "meeting_update",
    "need_add",
    "need_remove",
    "need_update",
    "plan_close",
    "plan_establish",
    "plan_initiate",
    "plan_revise",
    "plan_snapshot",
    "plan_update_details",
]
