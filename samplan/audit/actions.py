"""Every action the audit log records, by name, and whether it is a read of personal data.

`AuditAction.X.is_read` marks the actions that show a person's data to staff, from every
interface, audited with `person` set and outcome ok. The log review's flags "outside the
user's plans" and "many persons in a day" look at these (and only at reads through a unit);
`samplan.audit.constants.READ_ACTIONS` is derived from them. A new action is added here, with
its phrase in the person's log extract (`samplan.audit.extract.ACTION_PHRASES`);
tests/audit/test_actions.py finds every action string the code writes and fails on one that
is missing.

The refusals that `samplan.authz.policy.require` audits use the policy's `Action` values as
their audit action; they are listed here too (section "Refusals"). The one open family is the
REST API's refused input, audited as "api.<METHOD> <route>" (samplan/api/errors.py).
"""

from __future__ import annotations

from enum import StrEnum

READ = True


class AuditAction(StrEnum):
    _value_: str
    is_read: bool

    def __new__(cls, value: str, is_read: bool = False) -> AuditAction:
        member = str.__new__(cls, value)
        member._value_ = value
        member.is_read = is_read
        return member

    # Reads of one person or one plan: web pages and the REST API ------------------------------
    PERSON_READ = "person.read", READ
    PERSON_READ_BRIEF = "person.read_brief", READ
    PLAN_READ = "plan.read", READ
    PLAN_VERSION = "plan.version", READ
    PLAN_VERSION_DIFF = "plan.version_diff", READ
    # A document of the plan (PDF, plain language, braille, audio), and the list of them
    PLAN_DOCUMENT = "plan.document", READ
    PLAN_DOCUMENTS = "plan.documents", READ
    PLAN_DOCUMENT_OWN = "plan.document_own"
    # Lists that name persons
    PERSON_SEARCH = "person.search", READ
    HOME_READ = "home.read", READ
    WORKLIST_READ = "worklist.read", READ
    PLAN_LIST = "plan.list", READ
    INBOX_READ = "inbox.read", READ
    # The list of plans "sent back and forth" on a manager's statistics page
    STATISTICS_BACK_AND_FORTH = "statistics.back_and_forth", READ
    # FHIR reads and searches
    PATIENT_FHIR_READ = "patient.fhir_read", READ
    PATIENT_FHIR_SEARCH = "patient.fhir_search", READ
    CAREPLAN_FHIR_READ = "careplan.fhir_read", READ
    CAREPLAN_FHIR_SEARCH = "careplan.fhir_search", READ
    PLAN_FHIR_EVERYTHING = "plan.fhir_everything", READ
    CARETEAM_FHIR_READ = "careteam.fhir_read", READ
    CARETEAM_FHIR_SEARCH = "careteam.fhir_search", READ
    CARETEAM_FHIR_EVERYTHING = "careteam.fhir_everything", READ
    GOAL_FHIR_READ = "goal.fhir_read", READ
    GOAL_FHIR_SEARCH = "goal.fhir_search", READ
    CONSENT_FHIR_READ = "consent.fhir_read", READ
    CONSENT_FHIR_SEARCH = "consent.fhir_search", READ
    APPOINTMENT_FHIR_READ = "appointment.fhir_read", READ
    APPOINTMENT_FHIR_SEARCH = "appointment.fhir_search", READ
    # An external invitee without an account opens an invitation through the signed link
    # (samplan/authz/access/links.py): no user, no unit; the meeting and, for an invitee from
    # an organisation in the plan, that organisation's interventions.
    INVITATION_LINK_OPEN = "invitation.link_open", READ

    # Reads that are not flagged, on purpose -------------------------------------------------
    # The look-up of a person without a relation has its own flag, raised when no plan or
    # invitation followed it (samplan.audit.selectors).
    PERSON_LOOKUP = "person.lookup"
    # The person's own pages: the person or a representative, never through a unit.
    PLAN_READ_OWN = "plan.read_own"
    PLAN_READ_OWN_LIST = "plan.read_own_list"
    MEETING_CALENDAR_OWN = "meeting.calendar_own"  # a meeting's .ics from the own view
    PERSON_READ_OWN = "person.read_own"  # a represented person named on the own pages
    # A record system's subscription was told that a plan changed (samplan/subscriptions):
    # the plan's id only, to a subscriber who sees the plan. Not flagged: a record system is
    # told of every plan its unit sees, so "many persons in a day" would only be noise.
    CAREPLAN_FHIR_NOTIFY = "careplan.fhir_notify"
    # The log review's own reads: a reviewer reads outside every plan by role; they are
    # audited per person and appear in the person's log extract, but flagging them would
    # only be noise.
    AUDIT_REVIEW_READ = "audit.review.read"
    AUDIT_REVIEW_PERSON_SEARCH = "audit.review.person_search"
    AUDIT_EXTRACT = "audit.extract"
    # The plan look-ups ahead of a write (plans.selectors.plan_get with a purpose, used by
    # the REST API): the write that follows is audited under its own action.
    PLAN_CONSENT = "plan.consent"
    PLAN_MEETING = "plan.meeting"
    PLAN_EDIT = "plan.edit"  # also the policy's Action.PLAN_EDIT
    PLAN_FOLLOW_UP = "plan.follow_up"
    PLAN_DEVIATION = "plan.deviation"

    # Writes: the registry ---------------------------------------------------------------------
    ORGANISATION_CREATE = "organisation.create"  # also Action.ORGANISATION_CREATE
    ORGANISATION_UPDATE = "organisation.update"
    UNIT_CREATE = "unit.create"
    UNIT_UPDATE = "unit.update"
    STAFF_CREATE = "staff.create"
    STAFF_ENABLE = "staff.enable"
    STAFF_DISABLE = "staff.disable"
    MEMBERSHIP_ADD = "membership.add"
    MEMBERSHIP_END = "membership.end"
    ORGANISATION_ROLE_GRANT = "organisation_role.grant"
    PERSON_CREATE = "person.create"  # also Action.PERSON_CREATE
    PERSON_UPDATE = "person.update"
    PERSON_PROTECTED_IDENTITY = "person.protected_identity"
    REPRESENTATIVE_ADD = "representative.add"
    REPRESENTATIVE_UPDATE = "representative.update"
    REPRESENTATIVE_REMOVE = "representative.remove"
    REPRESENTATIVE_END = "representative.end"
    ACTING_UNIT_SET = "acting_unit.set"

    # Writes: the plan ------------------------------------------------------------------------
    PLAN_INITIATE = "plan.initiate"  # also Action.PLAN_INITIATE
    PLAN_UPDATE = "plan.update"
    PLAN_ESTABLISH = "plan.establish"
    PLAN_REVISE = "plan.revise"
    PLAN_CLOSE = "plan.close"
    PLAN_FHIR_IMPORT = "plan.fhir_import"
    CONSENT_GIVEN = "consent.given"  # f"consent.{decision}"
    CONSENT_REFUSED = "consent.refused"
    CONSENT_REVOKE = "consent.revoke"
    MEETING_SCHEDULE = "meeting.schedule"
    MEETING_UPDATE = "meeting.update"
    MEETING_CANCEL = "meeting.cancel"
    MEETING_HELD = "meeting.held"
    INVITATION_ADD = "invitation.add"
    INVITATION_ANSWER = "invitation.answer"  # also Action.INVITATION_ANSWER
    INVITATION_ANSWER_EXTERNAL = "invitation.answer_external"
    INVITATION_LINK_REVOKE = "invitation.link_revoke"
    INVITATION_LINK_REISSUE = "invitation.link_reissue"
    # An external invitee's link refused (expired, revoked, replaced, altered, reused), with the
    # reason in the detail (samplan/plans/links.py, Refusal)
    INVITATION_LINK_REFUSED = "invitation.link_refused"
    NEED_ADD = "need.add"
    NEED_UPDATE = "need.update"
    NEED_REMOVE = "need.remove"
    GOAL_ADD = "goal.add"
    GOAL_UPDATE = "goal.update"
    GOAL_REMOVE = "goal.remove"
    INTERVENTION_ADD = "intervention.add"
    INTERVENTION_UPDATE = "intervention.update"
    INTERVENTION_REMOVE = "intervention.remove"
    FOLLOW_UP_SCHEDULE = "follow_up.schedule"
    FOLLOW_UP_RECORD = "follow_up.record"  # also Action.FOLLOW_UP_RECORD
    DEVIATION_REPORT = "deviation.report"  # also Action.DEVIATION_REPORT
    DEVIATION_STATUS = "deviation.status"
    PLAN_CHILD_VIEW = "plan.child_view"  # the coordinator opens or closes a child's own view
    # Responsibility disputes on a plan (samplan/agreements; also policy Actions)
    DISPUTE_RECORD = "dispute.record"
    DISPUTE_RESOLVE = "dispute.resolve"

    # Writes: agreements between principals, SIP leads and fixed SIP times (no personal data)
    AGREEMENT_CREATE = "agreement.create"
    AGREEMENT_UPDATE = "agreement.update"
    SIP_LEAD_ADD = "sip_lead.add"
    SIP_LEAD_REMOVE = "sip_lead.remove"
    SIP_TIME_ADD = "sip_time.add"
    SIP_TIME_END = "sip_time.end"

    # Writes: the person's own decisions (the own view; each also a policy Action) -----------
    CONSENT_DECIDE_OWN = "consent.decide_own"  # also Action.OWN_CONSENT_DECIDE
    CONSENT_REVOKE_OWN = "consent.revoke_own"
    REPRESENTATIVE_CHOOSE_OWN = (
        "representative.choose_own"  # also Action.OWN_REPRESENTATIVES_CHOOSE
    )
    PLAN_APPROVE_OWN = "plan.approve_own"  # also Action.OWN_VERSION_APPROVE
    PLAN_REQUEST_END_OWN = "plan.request_end_own"  # also Action.OWN_PLAN_END_REQUEST
    PLAN_REQUEST_OWN = "plan.request_own"  # also Action.OWN_SIP_REQUEST

    # Writes: FHIR Subscriptions (no personal data) --------------------------------------
    SUBSCRIPTION_CREATE = "subscription.create"  # also Action.SUBSCRIPTION_CREATE
    SUBSCRIPTION_DELETE = "subscription.delete"
    SUBSCRIPTION_MANAGE = "subscription.manage"  # refusal: Action.SUBSCRIPTION_MANAGE

    # Writes: the log review --------------------------------------------------------------
    AUDIT_REVIEW_RECORD = "audit.review.record"

    # Refusals: samplan.authz.policy.Action values not named above, and the FHIR reads of
    # resources that name no person ---------------------------------------------------------
    ORGANISATION_VIEW = "organisation.view"
    ORGANISATION_MANAGE = "organisation.manage"
    PERSON_VIEW = "person.view"
    PERSON_VIEW_BRIEF = "person.view_brief"
    PERSON_VIEW_CONTACT = "person.view_contact"
    PERSON_EDIT = "person.edit"
    PERSON_PROTECT = "person.protect"
    REPRESENTATIVE_MANAGE = "representative.manage"
    PLAN_VIEW = "plan.view"
    PLAN_VIEW_OWN = "plan.view_own"
    CONSENT_RECORD = "consent.record"
    INTERVENTION_EDIT = "intervention.edit"
    DEVIATION_HANDLE = "deviation.handle"
    AUDIT_REVIEW = "audit.review"
    AUDIT_EXTRACT_OWN = "audit.extract_own"
    AUDIT_EXTRACT_REVIEW = "audit.extract_review"
    STATISTICS_VIEW = "statistics.view"  # not a manager: the statistics refused
    AGREEMENT_VIEW = "agreement.view"
    AGREEMENT_EDIT = "agreement.edit"
    SIP_SETTINGS_MANAGE = "sip_settings.manage"
    ORGANIZATION_FHIR_READ = "organization.fhir_read"
    PRACTITIONERROLE_FHIR_READ = "practitionerrole.fhir_read"


def read_actions() -> tuple[AuditAction, ...]:
    return tuple(a for a in AuditAction if a.is_read)
