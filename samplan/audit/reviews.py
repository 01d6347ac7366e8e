"""Recording a systematic log review: who reviewed which organisation's log, for which period,
what the flags showed, and what the review concluded."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from samplan.audit import selectors
from samplan.audit.actions import AuditAction
from samplan.audit.models import AuditReview
from samplan.audit.services import record
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.directory.models import Organisation


def audit_review_record(
    *,
    actor: Actor,
    organisation: Organisation,
    period_from: date,
    period_to: date,
    filters: dict[str, Any],
    conclusion: str,
) -> AuditReview:
    """Record a systematic log review of `organisation` for a period, with what was found."""
    # Checked before the transaction, so that the audit row of a refusal is not rolled back.
    authz.require(actor, authz.Action.AUDIT_REVIEW, organisation)
    assert actor.user is not None  # a reviewer is a signed-in user
    errors: dict[str, str] = {}
    if period_to < period_from:
        errors["period_to"] = _("Slutdatumet kan inte ligga före startdatumet.")
    conclusion = conclusion.strip()
    if not conclusion:
        errors["conclusion"] = _("Skriv vad granskningen kom fram till.")
    if errors:
        raise ValidationError(errors)
    scope = selectors.ReviewFilters(
        organisation_id=organisation.pk,
        person_id=filters.get("person"),
        username=str(filters.get("username") or ""),
        unit_id=filters.get("unit"),
        period_from=period_from,
        period_to=period_to,
    )
    flagged = selectors.flagged_count(actor=actor, filters=scope)
    with transaction.atomic():
        review = AuditReview.objects.create(
            reviewer=actor.user,
            organisation=organisation,
            period_from=period_from,
            period_to=period_to,
            filters=filters,
            conclusion=conclusion,
            flagged_count=flagged,
        )
        record(
            actor=actor,
            organisation=organisation,
            action=AuditAction.AUDIT_REVIEW_RECORD,
            obj=review,
            ground="log review",
            detail={
                "organisation": organisation.pk,
                "period": [period_from.isoformat(), period_to.isoformat()],
                "flagged": flagged,
            },
        )
    return review
