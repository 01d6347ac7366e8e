"""Names the audit log shares between its writers and its readers."""

GENESIS = "0" * 64  # the hash before the first audit event

# Every action that shows a person's data to staff, from every interface, audited with
# `person` set and outcome ok. The log review's flags "outside the user's plans" and "many
# persons in a day" look at these (and only at reads through a unit). A new read that is not
# listed here is not flagged: add it here when you name it.
READ_ACTIONS: tuple[str, ...] = (
    # One person or one plan: web pages and the REST API
    "person.read",
    "person.read_brief",
    "plan.read",
    "plan.version",
    "plan.version_diff",
    # Lists that name persons
    "person.search",
    "home.read",
    "worklist.read",
    "plan.list",
    "inbox.read",
    # FHIR
    "patient.fhir_read",
    "patient.fhir_search",
    "careplan.fhir_read",
    "careplan.fhir_search",
    "plan.fhir_everything",
    "careteam.fhir_read",
    "careteam.fhir_search",
    "goal.fhir_read",
    "goal.fhir_search",
    "consent.fhir_read",
    "consent.fhir_search",
    "appointment.fhir_read",
    "appointment.fhir_search",
)
# Not listed above, on purpose:
# - "person.lookup": the look-up of a person without a relation has its own flag, raised when
#   no plan or invitation followed it (samplan.audit.selectors.LOOKUP_ACTION);
# - the plan look-ups ahead of a write through the API ("plan.edit", "plan.consent",
#   "plan.establish", ...): the write that follows is audited under its own action;
# - the person's own pages ("plan.read_own", "plan.read_own_list"): the person or a
#   representative, never through a unit;
# - the log review's own reads ("audit.review.read", "audit.review.person_search",
#   "audit.extract"): a reviewer reads outside every plan by role; they are audited per
#   person and appear in the person's log extract, but flagging them would only be noise.
