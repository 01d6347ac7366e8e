"""Objects to response bodies. Plain dicts, built from what the selectors fetched, so that a
response costs the same number of queries however much history a plan has."""

from __future__ import annotations

from typing import Any

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

from samplan.accounts.models import User
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent.models import Consent
from samplan.directory.models import Organisation, Person, Unit
from samplan.plans import lifecycle
from samplan.plans.completeness import MissingItem
from samplan.plans.models import (
    Deviation,
    FollowUp,
    Goal,
    Intervention,
    Invitation,
    Meeting,
    Need,
    Plan,
    PlanVersion,
)


def unit(u: Unit) -> dict[str, Any]:
    return {
        "id": u.pk,
        "organisation_id": u.organisation_id,
        "name": u.name,
        "kind": u.kind,
        "hsa_id": u.hsa_id,
        "email": u.email,
        "phone": u.phone,
        "address": u.address,
        "is_active": u.is_active,
    }


def organisation(o: Organisation, units: list[Unit] | None = None) -> dict[str, Any]:
    data = {
        "id": o.pk,
        "name": o.name,
        "kind": o.kind,
        "org_number": o.org_number,
        "hsa_id": o.hsa_id,
        "email": o.email,
        "phone": o.phone,
        "is_active": o.is_active,
    }
    if units is not None:
        data["units"] = [unit(u) for u in units]
    return data


def person_brief(p: Person) -> dict[str, Any]:
    return {
        "id": p.pk,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "birth_year": p.birth_date.year if p.birth_date else None,
        "protected_identity": p.protected_identity,
    }


def person_summary(p: Person) -> dict[str, Any]:
    return {
        "id": p.pk,
        "identifier_kind": p.identifier_kind,
        "identifier": p.identifier,
        "birth_date": p.birth_date,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "protected_identity": p.protected_identity,
    }


def person(actor: Actor, p: Person) -> dict[str, Any]:
    contact = authz.can(actor, Action.PERSON_VIEW_CONTACT, p)
    return {
        **person_summary(p),
        **{
            name: getattr(p, name) if contact else None
            for name in ("address", "postal_code", "city", "phone", "email")
        },
        "preferred_language": p.preferred_language,
        "communication_need": p.communication_need,
    }


def staff(u: User | None) -> dict[str, Any] | None:
    return {"id": u.pk, "name": u.display_name} if u is not None else None


def plan_summary(p: Plan) -> dict[str, Any]:
    return {
        "id": p.pk,
        "state": p.state,
        "plan_type": p.plan_type,
        "title": p.title,
        "person": {
            "id": p.person.pk,
            "given_name": p.person.given_name,
            "family_name": p.person.family_name,
        },
        "initiated_on": p.initiated_on,
        "meeting_deadline": p.meeting_deadline,
        "initiating_unit_id": p.initiating_unit_id,
        "lead_organisation_id": p.lead_organisation_id,
        "coordinator_id": p.coordinator_id,
        "revision": p.revision,
        "updated_at": p.updated_at,
    }


def consent(c: Consent, organisations: list[int] | None = None) -> dict[str, Any]:
    """`organisations`: the ids of the consent's organisations, when read with it
    (selectors.plan_api_data); else its (prefetched) organisations."""
    return {
        "id": c.pk,
        "decision": c.decision,
        "method": c.method,
        "organisations": sorted(
            organisations if organisations is not None else (o.pk for o in c.organisations.all())
        ),
        "information_kinds": list(c.information_kinds),
        "given_at": c.given_at,
        "given_by_representative_id": c.given_by_representative_id,
        "note": c.note,
        "recorded_at": c.recorded_at,
        "revoked_at": c.revoked_at,
        "superseded_at": c.superseded_at,
    }


def invitation(i: Invitation) -> dict[str, Any]:
    return {
        "id": i.pk,
        "meeting_id": i.meeting_id,
        "unit_id": i.unit_id,
        "external_name": i.external_name,
        "external_organisation": i.external_organisation,
        "answer": i.answer,
        "decline_reason": i.decline_reason,
        "represented_by": i.represented_by,
        "answered_at": i.answered_at,
        "attended": i.attended,
    }


def meeting(m: Meeting) -> dict[str, Any]:
    return {
        "id": m.pk,
        "plan_id": m.plan_id,
        "starts_at": m.starts_at,
        "ends_at": m.ends_at,
        "mode": m.mode,
        "location": m.location,
        "video_url": m.video_url,
        "agenda": m.agenda,
        "sequence": m.sequence,
        "held_at": m.held_at,
        "minutes": m.minutes,
        "cancelled_at": m.cancelled_at,
        "invitations": [invitation(i) for i in m.invitations.all()],
    }


def need(n: Need) -> dict[str, Any]:
    return {"id": n.pk, "kind": n.kind, "description": n.description, "icf_code": n.icf_code}


def goal(g: Goal) -> dict[str, Any]:
    return {
        "id": g.pk,
        "shared_goal": g.shared_goal,
        "person_words": g.person_words,
        "target_date": g.target_date,
    }


def intervention(i: Intervention) -> dict[str, Any]:
    return {
        "id": i.pk,
        "description": i.description,
        "responsible_organisation_id": i.responsible_organisation_id,
        "responsible_unit_id": i.responsible_unit_id,
        "responsible_staff_id": i.responsible_staff_id,
        "status": i.status,
        "start_date": i.start_date,
        "end_date": i.end_date,
        "goal_id": i.goal_id,
    }


def follow_up(f: FollowUp) -> dict[str, Any]:
    return {
        "id": f.pk,
        "due_date": f.due_date,
        "what": f.what,
        "result": f.result,
        "attainment": f.attainment,
        "done_at": f.done_at,
        "version_number": f.version_number,
        "goal_results": [
            {"goal_id": r.goal_id, "goal_text": r.goal_text, "attainment": r.attainment}
            for r in f.goal_results.all()
        ],
    }


def deviation(d: Deviation) -> dict[str, Any]:
    return {
        "id": d.pk,
        "kind": d.kind,
        "description": d.description,
        "addressed_to_id": d.addressed_to_id,
        "status": d.status,
        "reported_unit_id": d.reported_unit_id,
        "reported_at": d.reported_at,
        "resolution": d.resolution,
        "handled_at": d.handled_at,
    }


def version_ref(v: PlanVersion) -> dict[str, Any]:
    return {
        "number": v.number,
        "established_at": v.established_at,
        "established_by": staff(v.established_by),
    }


def version(v: PlanVersion, content: dict[str, Any] | None = None) -> dict[str, Any]:
    """`content`: as the actor may see it (selectors.version_content); the frozen one when
    not given (the version just established, by those who carry the plan)."""
    return {**version_ref(v), "content": v.content if content is None else content}


def missing(items: list[MissingItem]) -> list[dict[str, str]]:
    return [{"key": m.key, "message": m.message} for m in items]


def plan(p: Plan, data: dict[str, Any], *, actor: Actor) -> dict[str, Any]:
    """The plan page's data (selectors.plan_page_data, or plan_api_data with the lists of
    the plan's row) as the API's plan, with the steps the
    actor may take on it now (the lifecycle table and the policy, as the plan page)."""
    active = data["consent"]
    # The consents' organisations by consent id, where read with them (plan_api_data).
    organisations: dict[int, list[int]] = data.get("consent_organisations", {})
    return {
        **plan_summary(p),
        "allowed_steps": [
            str(s)
            for s in lifecycle.steps_available(
                actor=actor, plan=p, has_active_consent=active is not None
            )
        ],
        "initiated_by": p.initiated_by,
        "reasons": list(p.reasons),
        "need_groups": list(p.need_groups),
        "initiative_note": p.initiative_note,
        "coordinator": staff(p.coordinator),
        "coordinator_unit_id": p.coordinator_unit_id,
        "coordinator_phone": p.coordinator_phone,
        "coordinator_email": p.coordinator_email,
        # The plan's shared content only where the consent covers "plan" (plan_page_data).
        "time_plan": p.time_plan if data["plan_content"] else "",
        "evaluation_plan": p.evaluation_plan if data["plan_content"] else "",
        "existing_plan_reference": p.existing_plan_reference,
        "lss_decision_date": p.lss_decision_date,
        "closure_reason": p.closure_reason,
        "closure_note": p.closure_note,
        "closed_at": p.closed_at,
        "consent": consent(active, organisations.get(active.pk)) if active is not None else None,
        "consents": [consent(c, organisations.get(c.pk)) for c in data["consents"]],
        "participants": [
            {
                "unit_id": part.unit_id,
                "unit_name": part.unit.name,
                "organisation_id": part.unit.organisation_id,
                "organisation_name": part.unit.organisation.name,
                "joined_at": part.joined_at,
            }
            for part in data["participants"]
        ],
        "needs": [need(n) for n in data["needs"]],
        "goals": [goal(g) for g in data["goals"]],
        "interventions": [intervention(i) for i in data["interventions"]],
        "meetings": [meeting(m) for m in data["meetings"]],
        "follow_ups": [follow_up(f) for f in data["follow_ups"]],
        "deviations": [deviation(d) for d in data["deviations"]],
        "versions": [version_ref(v) for v in data["versions"]],
        "missing": missing(data["missing"]),
    }


# Writing a body directly ------------------------------------------------------------------------
#
# django-ninja validates a returned dict against the endpoint's schema (pydantic) and writes it
# with DjangoJSONEncoder. A hot read may instead answer with the dict written by orjson: the
# same JSON (dates and times as DjangoJSONEncoder writes them: milliseconds, "Z" for UTC), with
# the schema kept for the OpenAPI document and checked in the tests
# (tests/api/test_direct_json.py).

_DJANGO_JSON = DjangoJSONEncoder()


def _default(value: Any) -> Any:
    return _DJANGO_JSON.default(value)


def json_response(body: dict[str, Any], status: int = 200) -> HttpResponse:
    """`body` as the API's JSON response, written by orjson; no browser or proxy may keep it
    (as SamplanAPI.create_response says of every other answer)."""
    response = HttpResponse(
        orjson.dumps(body, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME),
        status=status,
        content_type="application/json; charset=utf-8",
    )
    response["Cache-Control"] = "no-store, private, max-age=0"
    return response
