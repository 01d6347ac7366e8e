"""The one way the interfaces reach personal data: `access_*` helpers in the style of zulip's
`access_stream_by_id`.

Each helper narrows through the policy (samplan/authz/policy.py), writes the audit event of
the read or of the refusal, and returns the object with the ground on which it was reached.
Web views, REST endpoints, FHIR handlers, commands and exports call these, or a service for a
write; they never call the audit writer or build a policy query of their own. A refusal is the
same 404 as a missing object, so ids cannot be probed.

- `plans.py`: a plan and what hangs from it (meetings, needs, invitations to answer), the
  lists that name persons (worklist, start page, a person's own plans, the inbox).
- `persons.py`: the person registry (a person's page, a name search, a plan's start).
- `reads.py`: the audit of a read that returns many rows (one event per person shown), used
  by the helpers here and by FHIR's searches.
- `refusals.py`: audited refusals and bad input, and the safety net that writes a refusal
  again when a rolled-back transaction took its audit row with it.
- `documents.py`: a plan's documents and formats, for staff and for the person.
- `log.py`: the log review's pages, which show persons too.
- `own.py`: the person's own view (a plan with the person's decisions, a meeting's calendar
  file, the persons one may ask a SIP for).
- `links.py`: an invitation reached through an external invitee's signed link.
"""

from samplan.authz.access.documents import (
    DocumentRequest,
    access_own_plan_document,
    access_plan_document,
    access_plan_documents,
    own_document_options,
    staff_document_options,
)
from samplan.authz.access.links import (
    InvitationLinkAccess,
    access_invitation_by_link,
    audit_link_refused,
    refuse_old_invitation_link,
)
from samplan.authz.access.log import (
    access_audit_extract,
    access_review_page,
    access_review_person_lookup,
)
from samplan.authz.access.own import (
    OwnPlanPage,
    access_own_decision,
    access_own_meeting_calendar,
    access_own_plan_page,
    access_own_request_persons,
)
from samplan.authz.access.persons import (
    PersonAccess,
    access_person,
    access_person_for_initiative,
    access_person_page,
    access_person_search,
)
from samplan.authz.access.plans import (
    PlanAccess,
    access_careplan_read,
    access_inbox_message,
    access_invitation_for_answer,
    access_own_plan,
    access_own_plans,
    access_plan,
    access_plan_child,
    access_plan_read,
    access_today,
    access_worklist,
    audit_plan_read,
    plan_contact_shown,
    plan_read_queryset,
)
from samplan.authz.access.reads import audit_empty_search, audit_persons_shown, audit_rows_read
from samplan.authz.access.refusals import audit_invalid, ensure_refusal_audited, refuse

__all__ = [
    "DocumentRequest",
    "InvitationLinkAccess",
    "OwnPlanPage",
    "PersonAccess",
    "PlanAccess",
    "access_audit_extract",
    "access_careplan_read",
    "access_inbox_message",
    "access_invitation_by_link",
    "access_invitation_for_answer",
    "access_own_decision",
    "access_own_meeting_calendar",
    "access_own_plan",
    "access_own_plan_document",
    "access_own_plan_page",
    "access_own_plans",
    "access_own_request_persons",
    "access_person",
    "access_person_for_initiative",
    "access_person_page",
    "access_person_search",
    "access_plan",
    "access_plan_child",
    "access_plan_document",
    "access_plan_documents",
    "access_plan_read",
    "access_review_page",
    "access_review_person_lookup",
    "access_today",
    "access_worklist",
    "audit_empty_search",
    "audit_invalid",
    "audit_link_refused",
    "audit_persons_shown",
    "audit_plan_read",
    "audit_rows_read",
    "ensure_refusal_audited",
    "own_document_options",
    "plan_contact_shown",
    "plan_read_queryset",
    "refuse",
    "refuse_old_invitation_link",
    "staff_document_options",
]
