"""The actor's worklist: the same five lists as the worklist page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from samplan.authz import access

from . import out
from .common import ERRORS, actor_of
from .schemas import WorklistOut

router = Router(tags=["worklist"])


@router.get("/worklist", response={200: WorklistOut, **ERRORS})
def worklist(request: HttpRequest) -> Any:
    """Invitations to answer, plans I coordinate, follow-ups due, initiatives past their
    meeting deadline, and drafts that still lack required items."""
    worklist = access.access_worklist(actor=actor_of(request))  # one audit event per person
    return {
        "invitations": [
            {
                "id": i.pk,
                "meeting_id": i.meeting_id,
                "unit_id": i.unit_id,
                "starts_at": i.meeting.starts_at,
                "ends_at": i.meeting.ends_at,
                "mode": i.meeting.mode,
            }
            for i in worklist.invitations
        ],
        "coordinated": [out.plan_summary(p) for p in worklist.coordinated],
        "follow_ups_due": [
            {
                "id": row.follow_up.pk,
                "plan_id": row.follow_up.plan_id,
                "person": {
                    "id": row.follow_up.plan.person.pk,
                    "given_name": row.follow_up.plan.person.given_name,
                    "family_name": row.follow_up.plan.person.family_name,
                },
                "due_date": row.follow_up.due_date,
                "what": row.follow_up.what,
                "overdue": row.overdue,
            }
            for row in worklist.follow_ups
        ],
        "deadlines_passed": [out.plan_summary(p) for p in worklist.deadlines],
        "drafts_with_missing_items": [
            {"plan": out.plan_summary(row.plan), "missing": out.missing(row.missing)}
            for row in worklist.drafts
        ],
    }
