"""Samplan's models as FHIR R4 resources: plain dicts, written as JSON with orjson (to_json).
Nothing here builds pydantic models at run time; the tests parse every emitted resource with
fhir.resources' R4B models and check CarePlan and Patient against Inera's profiles
(tests/fhir/conformance.py).

Ids
  Patient/{person.pk}, Goal/{goal.pk}, Consent/{consent.pk}, Appointment/{meeting.pk},
  PractitionerRole/{membership.pk}.
  Organization/org-{organisation.pk} for a principal or other organisation and
  Organization/unit-{unit.pk} for one of its units (partOf the organisation).
  CarePlan/{plan.pk} is the plan as it is now (the working draft and its state);
  CarePlan/{plan.pk}-v{n} is established version n, frozen. Each version `replaces` the one
  before it and the live plan replaces the newest version.
  CareTeam/{plan.pk}: the plan's participating units and its coordinator.

CarePlan
  Conforms to Inera's national care-plan profile (samplan/fhir/inera.py, docs/fhir.md): the
  profile and the producing system in meta, the plan's id as identifier, Inera's plan type as
  category, approvedForPatient, and the content as a text/html note.

Goal
  description is the shared goal; where the person has put the goal in his or her own words,
  Goal.expressedBy is the Patient and the words are a note authored by the Patient
  (Annotation.authorReference), so that one Samplan goal is one FHIR Goal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import orjson
from django.utils import timezone

from samplan.consent.models import Consent, ConsentDecision, ConsentMethod, InformationKind
from samplan.directory.models import (
    Membership,
    Organisation,
    Unit,
)
from samplan.fhir import inera
from samplan.fhir.vocabulary import (
    CARE_TEAM_ROLE_SYSTEM,
    CAREPLAN_DRAFT_STATES,
    EXT_ALLOWED_STEP,
    EXT_CONSENT_METHOD,
    EXT_EXISTING_PLAN,
    EXT_INITIATIVE_REASON,
    EXT_LSS_DECISION_DATE,
    EXT_NEED,
    EXT_PLAN_STATE,
    HSA_SYSTEM,
    ICF_SYSTEM,
    INFORMATION_KIND_SYSTEM,
    INTERVENTION_STATUS_SYSTEM,
    LOCAL,
    NEED_KIND_SYSTEM,
    careplan_status,
    coding,
    concept,
    day,
    instant,
    label,
    local_day,
    org_id,
    patient_ref,
    ref,
    unit_id,
    version_id,
)
from samplan.plans.models import (
    Goal,
    InitiativeReason,
    Intervention,
    InterventionStatus,
    Invitation,
    InvitationAnswer,
    Meeting,
    Need,
    Plan,
    PlanState,
    PlanType,
    PlanVersion,
)

Resource = dict[str, Any]
INITIATIVE_REASONS = frozenset(InitiativeReason.values)

# Plans ----------------------------------------------------------------------------------------


def _plan_extensions(plan: Plan, needs: Iterable[Need]) -> list[dict[str, Any]]:
    ext: list[dict[str, Any]] = [
        {"url": EXT_PLAN_STATE, "valueCode": plan.state},
    ]
    ext += [
        {
            "url": EXT_INITIATIVE_REASON,
            "valueCoding": coding(
                f"{LOCAL}:CodeSystem:initiative-reason",
                reason,
                label(InitiativeReason, reason),
            ),
        }
        for reason in plan.reasons
    ]
    if plan.lss_decision_date:
        ext.append({"url": EXT_LSS_DECISION_DATE, "valueDate": day(plan.lss_decision_date)})
    if plan.existing_plan_reference:
        ext.append({"url": EXT_EXISTING_PLAN, "valueString": plan.existing_plan_reference})
    ext += [need_extension(n.kind, n.description, n.icf_code) for n in needs]
    return ext


def need_extension(kind: str, description: str, icf_code: str) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [
        {"url": "kind", "valueCoding": coding(NEED_KIND_SYSTEM, kind)},
        {"url": "description", "valueString": description},
    ]
    if icf_code:
        parts.append({"url": "icf", "valueCoding": coding(ICF_SYSTEM, icf_code)})
    return {"url": EXT_NEED, "extension": parts}


def _activity_status(intervention: Intervention, today: date) -> str:
    if intervention.status == InterventionStatus.PLANNED:
        return "not-started"
    if intervention.end_date and intervention.end_date < today:
        return "completed"
    if intervention.start_date and intervention.start_date > today:
        return "scheduled"
    return "in-progress"


def _activity(intervention: Intervention, today: date) -> dict[str, Any]:
    performer = [
        ref(
            "Organization",
            org_id(intervention.responsible_organisation_id),
            intervention.responsible_organisation.name,
        )
    ]
    if intervention.responsible_unit_id and intervention.responsible_unit:
        performer.append(
            ref(
                "Organization",
                unit_id(intervention.responsible_unit_id),
                intervention.responsible_unit.name,
            )
        )
    detail: dict[str, Any] = {
        "code": concept(
            INTERVENTION_STATUS_SYSTEM,
            intervention.status,
            label(InterventionStatus, intervention.status) or intervention.status,
        ),
        "status": _activity_status(intervention, today),
        "description": intervention.description,
        "performer": performer,
    }
    if intervention.goal_id:
        detail["goal"] = [ref("Goal", intervention.goal_id)]
    if intervention.start_date or intervention.end_date:
        detail["scheduledPeriod"] = {
            k: v
            for k, v in (
                ("start", day(intervention.start_date)),
                ("end", day(intervention.end_date)),
            )
            if v
        }
    return {"detail": detail}


def _notes(plan_like: dict[str, str]) -> list[dict[str, str]]:
    labels = {"time_plan": "Tidsplan", "evaluation_plan": "Uppföljning och utvärdering"}
    return [
        {"text": f"{labels[key]}: {plan_like[key]}"}
        for key in labels
        if plan_like.get(key, "").strip()
    ]


def care_plan(
    plan: Plan,
    *,
    goals: Sequence[Goal],
    interventions: Sequence[Intervention],
    needs: Sequence[Need],
    version_numbers: Sequence[int],
    plan_content: bool = True,
    allowed_steps: Sequence[str] = (),
    newest_version_approved: bool | None = None,
) -> Resource:
    """The live plan. Its related rows are passed in so that a page of plans is built from a
    fixed number of queries, already narrowed to what the consent opens to the reader
    (`plan_content`: the time plan and evaluation too; search.shown_parts). `allowed_steps`: the
    steps the reader may take now, from the lifecycle table and the policy (a read by id).
    `newest_version_approved`: whether the person approved the newest version; when not given,
    read from the plan's prefetched versions if their approved_at was loaded (else False)."""
    today = timezone.localdate()
    if newest_version_approved is None:
        newest_version_approved = inera.newest_approved_from_prefetch(plan)
    approved = inera.live_plan_approved(plan.state, newest_version_approved)
    title = plan.title or label(PlanType, plan.plan_type) or plan.plan_type
    data: Resource = {
        "resourceType": "CarePlan",
        "id": str(plan.pk),
        "meta": inera.meta(instant(plan.updated_at), approved),
        "extension": [
            inera.approved_extension(approved),
            inera.plan_type_extension(plan.plan_type),
            *_plan_extensions(plan, needs),
            *({"url": EXT_ALLOWED_STEP, "valueCode": step} for step in allowed_steps),
        ],
        "identifier": inera.identifier(str(plan.pk)),
        "status": careplan_status(plan, bool(version_numbers)),
        "intent": "plan",
        "category": inera.category(plan.plan_type),
        "title": title,
        "subject": inera.subject(plan),
        "period": {
            k: v
            for k, v in (("start", day(plan.initiated_on)), ("end", local_day(plan.closed_at)))
            if v
        },
        "created": instant(plan.created_at),
        "careTeam": [ref("CareTeam", plan.pk)],
    }
    if plan.initiative_note:
        data["description"] = plan.initiative_note
    if plan.lead_organisation_id and plan.lead_organisation:
        data["author"] = ref(
            "Organization", org_id(plan.lead_organisation_id), plan.lead_organisation.name
        )
    else:
        # Before a lead organisation is named, the initiating unit answers for the plan.
        data["author"] = ref("Organization", unit_id(plan.initiating_unit_id))
    if version_numbers:
        data["replaces"] = [ref("CarePlan", version_id(plan.pk, max(version_numbers)))]
    if goals:
        data["goal"] = [ref("Goal", g.pk) for g in goals]
    if interventions:
        data["activity"] = [_activity(i, today) for i in interventions]
        if not plan_content:  # the goals are not shown: nor are references to them
            for activity in data["activity"]:
                activity.get("detail", {}).pop("goal", None)
    if not data["category"]:
        del data["category"]
    notes = (
        _notes({"time_plan": plan.time_plan, "evaluation_plan": plan.evaluation_plan})
        if plan_content
        else []
    )
    if plan_content or interventions:
        notes.append(
            inera.html_note(
                title,
                inera.live_content(plan, goals, interventions, needs, plan_content=plan_content),
            )
        )
    if notes:
        data["note"] = notes
    if plan_content and version_numbers:
        pdf = inera.pdf_content(plan.pk)
        if pdf is not None:
            data["extension"].append(pdf)
    return data


def care_plan_version(
    plan: Plan,
    version: PlanVersion,
    *,
    next_established: datetime | None,
    content: dict[str, Any] | None = None,
) -> Resource:
    """A frozen established version, from its snapshot. Its goals are contained: they are the
    goals as they were, not as they are now. A version is a finished document (completed);
    the plan that replaced it is found through the live plan's `replaces` chain."""
    # `content`: as the reader may see it (plans.selectors.version_content).
    content = version.content if content is None else content
    person_ref = patient_ref(plan.person_id)
    contained = [
        {
            "resourceType": "Goal",
            "id": f"goal-{g['id']}",
            "lifecycleStatus": "completed" if next_established else "active",
            "description": {"text": g["shared_goal"] or "-"},
            "subject": person_ref,
            **({"target": [{"dueDate": g["target_date"]}]} if g.get("target_date") else {}),
            **(
                {"note": [{"authorReference": person_ref, "text": g["person_words"]}]}
                if g.get("person_words")
                else {}
            ),
        }
        for g in content.get("goals", [])
    ]
    activities = []
    for i in content.get("interventions", []):
        performer = [{"display": i["organisation"]}]
        if i.get("unit"):
            performer.append({"display": i["unit"]})
        detail: dict[str, Any] = {
            "code": concept(INTERVENTION_STATUS_SYSTEM, i["status"]),
            "status": "not-started" if i["status"] == InterventionStatus.PLANNED else "scheduled",
            "description": i["description"],
            "performer": performer,
        }
        period = {
            k: v for k, v in (("start", i.get("start_date")), ("end", i.get("end_date"))) if v
        }
        if period:
            detail["scheduledPeriod"] = period
        activities.append({"detail": detail})
    plan_type = content.get("plan_type") or plan.plan_type
    approved = version.approved_at is not None
    title = content.get("title") or f"{PlanType(plan_type).label}, version {version.number}"
    data: Resource = {
        "resourceType": "CarePlan",
        "id": version_id(plan.pk, version.number),
        "meta": inera.meta(instant(version.established_at), approved),
        "extension": [
            inera.approved_extension(approved),
            inera.plan_type_extension(plan_type),
            *(
                need_extension(n["kind"], n["description"], n.get("icf_code", ""))
                for n in content.get("needs", [])
            ),
        ],
        "identifier": inera.identifier(version_id(plan.pk, version.number)),
        "status": "completed" if next_established or plan.state == PlanState.CLOSED else "active",
        "intent": "plan",
        "category": inera.category(plan_type),
        "title": title,
        "subject": inera.subject(plan),
        "period": {
            k: v
            for k, v in (
                ("start", local_day(version.established_at)),
                ("end", local_day(next_established)),
            )
            if v
        },
        "created": instant(version.established_at),
        "basedOn": [ref("CarePlan", plan.pk)],
    }
    if not data["category"]:
        del data["category"]
    if content.get("lead_organisation"):
        data["author"] = {"display": content["lead_organisation"]}
    if version.number > 1:
        data["replaces"] = [ref("CarePlan", version_id(plan.pk, version.number - 1))]
    if contained:
        data["contained"] = contained
        data["goal"] = [{"reference": f"#{g['id']}"} for g in contained]
    if activities:
        data["activity"] = activities
    notes = _notes(content)
    notes.append(inera.html_note(title, content))
    data["note"] = notes
    return data


def version_statuses(plan: Plan, versions: Sequence[PlanVersion]) -> list[tuple[PlanVersion, Any]]:
    """Each version with the time the next one was established (None for the newest)."""
    ordered = sorted(versions, key=lambda v: v.number)
    return [
        (v, ordered[n + 1].established_at if n + 1 < len(ordered) else None)
        for n, v in enumerate(ordered)
    ]


def goal_lifecycle(plan: Plan, has_versions: bool) -> str:
    if plan.state in CAREPLAN_DRAFT_STATES:
        return "proposed"
    if plan.state in (PlanState.ESTABLISHED, PlanState.REVISING):
        return "active"
    if plan.state == PlanState.PAUSED:
        return "on-hold"
    return "completed" if has_versions else "cancelled"


def goal(item: Goal, *, plan: Plan, has_versions: bool) -> Resource:
    person_ref = patient_ref(plan.person_id)
    data: Resource = {
        "resourceType": "Goal",
        "id": str(item.pk),
        "lifecycleStatus": goal_lifecycle(plan, has_versions),
        "description": {"text": item.shared_goal or "-"},
        "subject": person_ref,
    }
    if item.target_date:
        data["target"] = [{"dueDate": day(item.target_date)}]
    if item.person_words:
        # The person's own goal: expressed by the person, in his or her own words (a note
        # authored by the person), beside the shared goal in the description.
        data["expressedBy"] = person_ref
        data["note"] = [{"authorReference": person_ref, "text": item.person_words}]
    return data


def care_team(
    plan: Plan,
    *,
    units: Sequence[Unit],
    coordinator_membership: Membership | None,
) -> Resource:
    participants: list[dict[str, Any]] = []
    if plan.coordinator_id and plan.coordinator:
        member: dict[str, Any] = (
            ref("PractitionerRole", coordinator_membership.pk, plan.coordinator.display_name)
            if coordinator_membership
            else {"display": plan.coordinator.display_name}
        )
        entry: dict[str, Any] = {
            "role": [concept(CARE_TEAM_ROLE_SYSTEM, "coordinator", "Samordnare")],
            "member": member,
        }
        if plan.coordinator_unit_id and plan.coordinator_unit:
            entry["onBehalfOf"] = ref("Organization", org_id(plan.coordinator_unit.organisation_id))
        participants.append(entry)
    for unit in units:
        participants.append(
            {
                "role": [concept(CARE_TEAM_ROLE_SYSTEM, "participant", "Deltagande enhet")],
                "member": ref("Organization", unit_id(unit.pk), str(unit)),
            }
        )
    if plan.state == PlanState.CLOSED:
        status = "inactive"
    elif plan.state == PlanState.PAUSED:
        status = "suspended"
    elif plan.state in CAREPLAN_DRAFT_STATES:
        status = "proposed"
    else:
        status = "active"
    data: Resource = {
        "resourceType": "CareTeam",
        "id": str(plan.pk),
        "status": status,
        "name": f"SIP-team, plan {plan.pk}",
        "subject": patient_ref(plan.person_id),
        "period": {"start": day(plan.initiated_on)},
    }
    if plan.closed_at:
        data["period"]["end"] = local_day(plan.closed_at)
    if participants:
        data["participant"] = participants
    if plan.lead_organisation_id:
        data["managingOrganization"] = [ref("Organization", org_id(plan.lead_organisation_id))]
    telecom = []
    if plan.coordinator_phone:
        telecom.append({"system": "phone", "value": plan.coordinator_phone, "use": "work"})
    if plan.coordinator_email:
        telecom.append({"system": "email", "value": plan.coordinator_email, "use": "work"})
    if telecom:
        data["telecom"] = telecom
    return data


def consent(item: Consent, *, person_id: int, organisations: Sequence[Organisation]) -> Resource:
    if item.decision == ConsentDecision.REFUSED:
        status = "rejected"
    elif item.is_active:
        status = "active"
    else:
        status = "inactive"
    permit = item.decision == ConsentDecision.GIVEN
    person_ref = patient_ref(person_id)
    provision: dict[str, Any] = {
        "type": "permit" if permit else "deny",
        "period": {
            k: v
            for k, v in (
                ("start", instant(item.given_at)),
                ("end", instant(item.revoked_at) if item.revoked_at else None),
            )
            if v
        },
        "data": [{"meaning": "related", "reference": ref("CarePlan", item.plan_id)}],
    }
    actors = [
        {
            "role": concept(
                "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                "IRCP",
                "information recipient",
            ),
            "reference": ref("Organization", org_id(o.pk), o.name),
        }
        for o in organisations
    ]
    if actors:
        provision["actor"] = actors
    kinds = [k for k in item.information_kinds if k in InformationKind.values]
    if kinds:
        provision["code"] = [
            concept(INFORMATION_KIND_SYSTEM, k, InformationKind(k).label) for k in kinds
        ]
    performer = (
        {"display": item.given_by_representative.name}
        if item.given_by_representative_id and item.given_by_representative
        else person_ref
    )
    return {
        "resourceType": "Consent",
        "id": str(item.pk),
        "meta": {"lastUpdated": instant(item.revoked_at or item.recorded_at)},
        "extension": [
            {
                "url": EXT_CONSENT_METHOD,
                "valueCoding": coding(
                    f"{LOCAL}:CodeSystem:consent-method",
                    item.method,
                    ConsentMethod(item.method).label
                    if item.method in ConsentMethod.values
                    else None,
                ),
            }
        ],
        "status": status,
        "scope": concept(
            "http://terminology.hl7.org/CodeSystem/consentscope",
            "patient-privacy",
            "Privacy Consent",
        ),
        "category": [concept("http://loinc.org", "59284-0", "Patient Consent")],
        "patient": person_ref,
        "dateTime": instant(item.given_at),
        "performer": [performer],
        "organization": [ref("Organization", unit_id(item.recorded_unit_id))],
        "policyRule": concept(
            "http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN" if permit else "OPTOUT"
        ),
        "provision": provision,
    }


PARTICIPATION: dict[str, str] = {
    InvitationAnswer.PENDING: "needs-action",
    InvitationAnswer.ACCEPTED: "accepted",
    InvitationAnswer.DECLINED: "declined",
    # The invited unit takes part through someone else: neither a yes nor a no from the invitee.
    InvitationAnswer.REPRESENTED: "tentative",
}


def appointment_status(meeting: Meeting) -> str:
    if meeting.cancelled_at:
        return "cancelled"
    if meeting.held_at:
        return "fulfilled"
    return "booked"


def appointment(meeting: Meeting, *, person_id: int, invitations: Sequence[Invitation]) -> Resource:
    participants: list[dict[str, Any]] = []
    for inv in invitations:
        actor: dict[str, Any] = {"display": inv.invitee_name}
        if inv.unit_id and inv.unit and inv.unit.hsa_id:
            actor["identifier"] = {"system": HSA_SYSTEM, "value": inv.unit.hsa_id}
        participants.append(
            {"actor": actor, "required": "required", "status": PARTICIPATION[inv.answer]}
        )
    if not participants:
        participants.append({"actor": patient_ref(person_id), "status": "needs-action"})
    data: Resource = {
        "resourceType": "Appointment",
        "id": str(meeting.pk),
        "identifier": [{"system": "urn:ietf:rfc:5545", "value": meeting.uid}],
        "status": appointment_status(meeting),
        "start": instant(meeting.starts_at),
        "end": instant(meeting.ends_at),
        "created": local_day(meeting.created_at),
        "supportingInformation": [ref("CarePlan", meeting.plan_id)],
        "participant": participants,
    }
    if meeting.agenda:
        data["description"] = meeting.agenda
    if meeting.location:
        data["comment"] = meeting.location
    return data


def to_json(resource: Resource) -> str:
    """A resource or Bundle as FHIR JSON. Every value is a str, bool, int, list or dict."""
    return orjson.dumps(resource).decode()
