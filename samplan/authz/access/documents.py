"""Reaching a plan's documents (the plan as PDF, the record copy, the invitation letter, and
the formats the person can take in): the list of what the reader may have, and one document.

Who may have what:
- staff who may see the plan: every format, the invitation letters, and the record copy of
  the organisation they act for (the copy each organisation files in its own records); the
  content narrowed to what the consent opens to them (`policy.information_kinds_for`);
- the person, and a representative the person allows: the plan, its formats and the letters
  for the person's own meetings, in full (it is his or her plan); never a record copy, and
  no de-identified summary (it is for staff who consult on the case without consent: seed
  001; its first line names who made it, and it is audited as a read of the plan).
Every document given out is a read of the plan's person, audited with its kind."""

from __future__ import annotations

from dataclasses import dataclass

from samplan.audit import services as audit_log
from samplan.audit.actions import AuditAction
from samplan.authz import policy
from samplan.authz.access.plans import PlanAccess, access_own_plan, access_plan
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.directory.models import Organisation
from samplan.documents.render import (
    Document,
    DocumentKind,
    DocumentOption,
    DocumentUnavailable,
    document_kinds_for,
    render_document,
)
from samplan.plans.models import Meeting, Plan

# What the person (or a representative) may have of his or her own plan.
OWN_KINDS = frozenset(
    {
        DocumentKind.PLAN,
        DocumentKind.INVITATION_LETTER,
        DocumentKind.PLAIN_LANGUAGE,
        DocumentKind.LARGE_PRINT,
        DocumentKind.BRAILLE,
        DocumentKind.AUDIO,
    }
)


@dataclass(frozen=True)
class DocumentRequest:
    """Which document is asked for: a kind, and for a record copy or a letter which one."""

    kind: str
    organisation_id: int | None = None
    meeting_id: int | None = None


def _acting_organisation(actor: Actor) -> Organisation | None:
    return actor.unit.organisation if actor.unit is not None else None


def _maker(actor: Actor) -> str:
    """Who made a document, for the de-identified summary's first line."""
    name = actor.user.display_name if actor.user is not None else ""
    return ", ".join(p for p in (name, str(actor.unit) if actor.unit else "") if p)


def staff_document_options(*, actor: Actor, plan: Plan) -> list[DocumentOption]:
    """The documents a staff member who reached `plan` (through `access_plan`) may have:
    no further audit (the plan's read recorded it)."""
    kinds = policy.information_kinds_for(actor, plan)
    organisation = _acting_organisation(actor)
    options = document_kinds_for(plan=plan, kinds=kinds, organisation=organisation)
    if organisation is None:  # no acting unit: no organisation's copy to file
        options = [o for o in options if o.kind != DocumentKind.RECORD_COPY]
    return options


def own_document_options(*, plan: Plan) -> list[DocumentOption]:
    """The documents the person may have of his or her own plan."""
    options = document_kinds_for(plan=plan, kinds=policy.ALL_INFORMATION_KINDS)
    return [o for o in options if o.kind in OWN_KINDS]


def access_plan_documents(*, actor: Actor, plan_id: int) -> tuple[PlanAccess, list[DocumentOption]]:
    """The list of a plan's documents for staff (REST): the plan reached and audited as a
    read of the list."""
    reached = access_plan(actor=actor, plan_id=plan_id, purpose="documents")
    return reached, staff_document_options(actor=actor, plan=reached.plan)


def _meeting(plan: Plan, meeting_id: int | None) -> Meeting | None:
    if meeting_id is None:
        return None
    return plan.meetings.filter(pk=meeting_id).first()


def _render(
    *,
    actor: Actor,
    reached: PlanAccess,
    request: DocumentRequest,
    allowed: list[DocumentOption],
    action: AuditAction,
) -> Document:
    """The document if `allowed` lists it (the same 404 as a missing plan otherwise), its
    read audited with the kind and which copy or letter."""
    plan = reached.plan
    match = [
        o
        for o in allowed
        if o.kind == request.kind
        and (
            request.kind != DocumentKind.RECORD_COPY or o.organisation_id == request.organisation_id
        )
        and (request.kind != DocumentKind.INVITATION_LETTER or o.meeting_id == request.meeting_id)
    ]
    if not match:
        raise policy.refuse(actor, Action.PLAN_VIEW)
    organisation = (
        Organisation.objects.filter(pk=request.organisation_id).first()
        if request.organisation_id is not None
        else None
    )
    kinds = (
        policy.ALL_INFORMATION_KINDS
        if action == AuditAction.PLAN_DOCUMENT_OWN
        else policy.information_kinds_for(actor, plan)
    )
    own = _acting_organisation(actor) if action == AuditAction.PLAN_DOCUMENT else None
    try:
        document = render_document(
            plan=plan,
            kind=request.kind,
            kinds=kinds,
            organisation=organisation,
            meeting=_meeting(plan, request.meeting_id),
            # Staff see their own organisation's interventions whatever the consent covers.
            own_organisation_id=own.pk if own is not None else None,
            made_by=_maker(actor),
        )
    except DocumentUnavailable:
        raise policy.refuse(actor, Action.PLAN_VIEW) from None
    audit_log.record(
        actor=actor,
        action=action,
        obj=plan,
        person=plan.person,
        ground=reached.ground,
        detail={
            "kind": request.kind,
            **({"organisation": request.organisation_id} if organisation else {}),
            **({"meeting": request.meeting_id} if request.meeting_id else {}),
        },
    )
    return document


def access_plan_document(*, actor: Actor, plan_id: int, request: DocumentRequest) -> Document:
    """One document of a plan for staff who may see the plan."""
    reached = access_plan(actor=actor, plan_id=plan_id, record_read=False)
    allowed = staff_document_options(actor=actor, plan=reached.plan)
    return _render(
        actor=actor,
        reached=reached,
        request=request,
        allowed=allowed,
        action=AuditAction.PLAN_DOCUMENT,
    )


def access_own_plan_document(*, actor: Actor, plan_id: int, request: DocumentRequest) -> Document:
    """One document of the person's own plan, for the person or a representative the person
    allows."""
    reached = access_own_plan(actor=actor, plan_id=plan_id, record_read=False)
    return _render(
        actor=actor,
        reached=reached,
        request=request,
        allowed=own_document_options(plan=reached.plan),
        action=AuditAction.PLAN_DOCUMENT_OWN,
    )
