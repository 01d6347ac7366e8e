"""What the person's consent opens: the plan's active consent, and which organisations may
receive a plan's content.

Built on the one definition of an active consent (`Consent.objects.active()`), which the
policy's plan visibility uses too. Notices and mails ask here before they carry anything of
a plan (a deviation's text, a meeting's agenda, a link to the plan) to an organisation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from samplan.consent.models import Consent

if TYPE_CHECKING:
    from samplan.plans.models import Plan


def active_consent(plan: Plan) -> Consent | None:
    """The plan's active consent, with its organisations; None before consent, after a
    refusal and after a revocation."""
    return Consent.objects.active().filter(plan=plan).prefetch_related("organisations").first()


def covered_organisation_ids(plan: Plan) -> frozenset[int]:
    """The organisations the plan's active consent covers; empty before consent, after a
    refusal and after a revocation. One query."""
    ids = Consent.objects.active().filter(plan=plan).values_list("organisations", flat=True)
    return frozenset(i for i in ids if i is not None)


def consent_covers(plan: Plan, organisation_id: int) -> bool:
    return Consent.objects.active().filter(plan=plan, organisations=organisation_id).exists()


def may_receive_content(
    plan: Plan, *, unit_id: int, organisation_id: int, covered: frozenset[int]
) -> bool:
    """Whether staff of this unit may be sent the plan's content: the initiating unit always
    (before consent it is the only one), any other unit only while the active consent covers
    its organisation. `covered` is `covered_organisation_ids(plan)`, read once per message."""
    return unit_id == plan.initiating_unit_id or organisation_id in covered
