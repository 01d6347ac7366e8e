"""Names the audit log shares between its writers and its readers."""

from samplan.audit.actions import AuditAction, read_actions

GENESIS = "0" * 64  # the hash before the first audit event

# Every action that shows a person's data to staff, from every interface: the members of
# AuditAction marked as reads (samplan/audit/actions.py says which are left out, and why). The
# log review's flags "outside the user's plans" and "many persons in a day" look at these (and
# only at reads through a unit).
READ_ACTIONS: tuple[AuditAction, ...] = read_actions()
