"""Plan pages, one module per stage of the lifecycle. Views parse the request and call
selectors and services; no rules here (the lifecycle table is samplan/plans/lifecycle.py,
the policy samplan/authz/policy.py).

Every page reaches its plan through `access.access_plan` (samplan/authz/access/), which
narrows by the policy and audits the read: a missing plan and someone else's plan are the
same 404. A step that the plan's state does not allow (`StepNotAllowed`) comes back to the
plan page as a message and changes nothing; a field the service refuses is shown next to
the field, with status 400. The shared form flow is `_flow.py`; how a version and a
difference read is `presenters.py`.
"""

from samplan.web.plans.consent import consent_record, consent_revoke
from samplan.web.plans.deviations import deviation_report, deviation_status
from samplan.web.plans.draft import (
    goal_add,
    goal_edit,
    goal_remove,
    intervention_add,
    intervention_edit,
    intervention_remove,
    need_add,
    need_edit,
    need_remove,
    plan_details_edit,
)
from samplan.web.plans.follow_ups import follow_up_record, follow_up_schedule
from samplan.web.plans.initiative import plan_initiate
from samplan.web.plans.meetings import (
    invitation_add,
    invitation_answer,
    invitation_answer_external,
    invitation_link_old,
    invitation_link_reissue,
    invitation_link_revoke,
    meeting_cancel,
    meeting_edit,
    meeting_held,
    meeting_schedule,
)
from samplan.web.plans.page import plan_detail, worklist
from samplan.web.plans.versions import (
    plan_close,
    plan_establish,
    plan_revise,
    plan_version,
    plan_version_diff,
)

__all__ = [
    "consent_record",
    "consent_revoke",
    "deviation_report",
    "deviation_status",
    "follow_up_record",
    "follow_up_schedule",
    "goal_add",
    "goal_edit",
    "goal_remove",
    "intervention_add",
    "intervention_edit",
    "intervention_remove",
    "invitation_add",
    "invitation_answer",
    "invitation_answer_external",
    "invitation_link_old",
    "invitation_link_reissue",
    "invitation_link_revoke",
    "meeting_cancel",
    "meeting_edit",
    "meeting_held",
    "meeting_schedule",
    "need_add",
    "need_edit",
    "need_remove",
    "plan_close",
    "plan_detail",
    "plan_details_edit",
    "plan_establish",
    "plan_initiate",
    "plan_revise",
    "plan_version",
    "plan_version_diff",
    "worklist",
]
