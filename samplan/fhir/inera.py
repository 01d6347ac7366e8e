"""The parts of a CarePlan that Inera's national care-plan profile asks for (Inera EHDS
Tjänstekontrakt 0.3.1, "SE EHDS CarePlan - Vårdplan (GetCarePlans)"; docs/fhir.md): the
declared profile and producing system, the plan's identifier in Samplan, its type in Inera's
TypeOfCarePlanCS, whether it is approved for the patient, and its content as text/html with
the PDF by reference.

Everything here is built from what the caller already holds, without queries, so that a page
of plans costs what it did."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from html import escape
from typing import Any

from django.urls import NoReverseMatch, reverse

from samplan.directory.models import IdentifierKind
from samplan.fhir.vocabulary import (
    ACT_CODE_SYSTEM,
    CAREPLAN_IDENTIFIER_SYSTEM,
    EXT_APPROVED_FOR_PATIENT,
    EXT_CONTENT,
    EXT_MEDIA_TYPE,
    EXT_PLAN_TYPE,
    IDENTIFIER_SYSTEMS,
    INERA_CAREPLAN_PROFILE,
    INERA_CAREPLAN_TYPE_SYSTEM,
    PLAN_TYPE_CODES,
    coding,
    day,
    label,
    meta_source,
    patient_ref,
)
from samplan.plans import lifecycle
from samplan.plans.models import (
    PLAN_TYPE_SYSTEM,
    Goal,
    Intervention,
    Need,
    NeedKind,
    Plan,
    PlanType,
)

PLAN_TYPES = frozenset(PlanType.values)
NEED_KINDS = frozenset(NeedKind.values)

NO_PATIENT = coding(ACT_CODE_SYSTEM, "NOPATIENT", "no disclosure to patient, family or caregivers")


def meta(last_updated: str, approved_for_patient: bool) -> dict[str, Any]:
    """meta: the profile, the producing system's HSA-id (when set), and, as the guide decided
    for approvedForPatient = false (its PDL-001), the security label NOPATIENT."""
    out: dict[str, Any] = {"lastUpdated": last_updated, "profile": [INERA_CAREPLAN_PROFILE]}
    source = meta_source()
    if source:
        out["source"] = source
    if not approved_for_patient:
        out["security"] = [NO_PATIENT]
    return out


def identifier(value: str) -> list[dict[str, Any]]:
    return [{"use": "official", "system": CAREPLAN_IDENTIFIER_SYSTEM, "value": value}]


def approved_extension(approved: bool) -> dict[str, Any]:
    return {"url": EXT_APPROVED_FOR_PATIENT, "valueBoolean": approved}


def plan_type_extension(plan_type: str) -> dict[str, Any]:
    shown = label(PlanType, plan_type)
    return {"url": EXT_PLAN_TYPE, "valueCoding": coding(PLAN_TYPE_SYSTEM, plan_type, shown)}


def category(plan_type: str) -> list[dict[str, Any]]:
    """Inera's code first, Samplan's own plan type as a second coding of the same concept;
    no category for a type that Inera's code system lacks (an LSS individual plan)."""
    inera = PLAN_TYPE_CODES.get(plan_type)
    if inera is None:
        return []
    shown = label(PlanType, plan_type)
    return [
        {
            "coding": [
                coding(INERA_CAREPLAN_TYPE_SYSTEM, inera[0], inera[1]),
                coding(PLAN_TYPE_SYSTEM, plan_type, shown),
            ],
            "text": shown,
        }
    ]


def live_plan_approved(state: str, newest_version_approved: bool) -> bool:
    """The live plan is approved for the patient when the person (or a guardian) approved the
    newest established version and the plan shows no newer draft than that version."""
    return state in lifecycle.SETTLED and newest_version_approved


def newest_approved_from_prefetch(plan: Plan) -> bool:
    """Whether the person approved the plan's newest version, without a query: from an
    annotation `newest_version_approved` on the plan, or from versions prefetched with their
    approved_at; else False."""
    annotated = plan.__dict__.get("newest_version_approved")
    if annotated is not None:
        return bool(annotated)
    cached = getattr(plan, "_prefetched_objects_cache", {}).get("versions")
    if not cached:
        return False
    newest = max(cached, key=lambda v: v.number)
    return newest.__dict__.get("approved_at") is not None


def subject(plan: Plan) -> dict[str, Any]:
    """The Patient, with the person's national identifier (GetCarePlans patientId) when the
    person was loaded with the plan."""
    subject = patient_ref(plan.person_id)
    if Plan._meta.get_field("person").is_cached(plan):
        person = plan.person
        system = IDENTIFIER_SYSTEMS.get(IdentifierKind(person.identifier_kind))
        if system and person.identifier:
            subject["identifier"] = {"system": system, "value": person.identifier}
    return subject


def live_content(
    plan: Plan,
    goals: Sequence[Goal],
    interventions: Sequence[Intervention],
    needs: Sequence[Need],
    *,
    plan_content: bool,
) -> dict[str, Any]:
    """The live plan in the shape of a version's snapshot, as far as the reader may see it."""
    content: dict[str, Any] = {
        "interventions": [
            {
                "description": i.description,
                "organisation": i.responsible_organisation.name,
                "unit": i.responsible_unit.name
                if i.responsible_unit_id and i.responsible_unit
                else "",
                "start_date": day(i.start_date),
                "end_date": day(i.end_date),
            }
            for i in interventions
        ]
    }
    if plan_content:
        content["needs"] = [{"kind": n.kind, "description": n.description} for n in needs]
        content["goals"] = [
            {
                "shared_goal": g.shared_goal,
                "person_words": g.person_words,
                "target_date": day(g.target_date),
            }
            for g in goals
        ]
        content["time_plan"] = plan.time_plan
        content["evaluation_plan"] = plan.evaluation_plan
    return content


_SENTINEL_ID = 987654321


@lru_cache(maxsize=1)
def _pdf_path_template() -> str | None:
    """The document endpoint's path, reversed once (a reverse per plan cost more than the rest
    of a CarePlan's parts together)."""
    try:
        return reverse("api:plan_document", kwargs={"plan_id": _SENTINEL_ID, "kind": "plan"})
    except NoReverseMatch:  # pragma: no cover
        return None


def pdf_content(plan_pk: int) -> dict[str, Any] | None:
    """The plan as PDF (samplan/documents/render.py), by reference rather than embedded: it is
    made on request by the REST document endpoint, with the same token and the same rules,
    and the guide allows at most 100 KB per embedded part."""
    template = _pdf_path_template()
    if template is None:  # pragma: no cover - the REST API is always installed
        return None
    url = template.replace(str(_SENTINEL_ID), str(plan_pk))
    return {
        "url": EXT_CONTENT,
        "extension": [
            {"url": "mediaType", "valueCode": "application/pdf"},
            {"url": "reference", "valueUrl": url},
        ],
    }


# The content as text/html ------------------------------------------------------------------


def _list(items: Iterable[str]) -> str:
    rows = "".join(f"<li>{item}</li>" for item in items)
    return f"<ul>{rows}</ul>" if rows else ""


def _section(heading: str, body: str) -> str:
    return f"<h2>{escape(heading)}</h2>{body}" if body else ""


def _text(value: str) -> str:
    return "".join(f"<p>{escape(line)}</p>" for line in value.splitlines() if line.strip())


def _need(kind: str, description: str) -> str:
    return f"{escape(label(NeedKind, kind) or kind)}: {escape(description)}"


def _goal(shared_goal: str, person_words: str, target_date: str | None) -> str:
    out = escape(shared_goal or "-")
    if person_words:
        out += f" <em>Med personens egna ord: {escape(person_words)}</em>"
    if target_date:
        out += f" (senast {escape(target_date)})"
    return out


def _intervention(description: str, performers: Sequence[str], start: Any, end: Any) -> str:
    out = escape(description)
    who = ", ".join(p for p in performers if p)
    if who:
        out += f" – {escape(who)}"
    if start or end:
        out += f" ({escape(str(start or ''))}–{escape(str(end or ''))})"
    return out


def content_html(title: str, content: Mapping[str, Any]) -> str:
    """The plan's content as the reader may see it, as one HTML fragment (escaped): needs,
    goals, interventions, time plan, follow-up. `content` has the shape of a version's
    snapshot (PlanVersion.content), which the live plan is put into by the caller."""
    parts = [f"<h1>{escape(title)}</h1>"]
    parts.append(
        _section(
            "Behov, förutsättningar och intressen",
            _list(_need(n["kind"], n["description"]) for n in content.get("needs") or []),
        )
    )
    parts.append(
        _section(
            "Mål",
            _list(
                _goal(g.get("shared_goal", ""), g.get("person_words", ""), g.get("target_date"))
                for g in content.get("goals") or []
            ),
        )
    )
    parts.append(
        _section(
            "Insatser",
            _list(
                _intervention(
                    i.get("description", ""),
                    [i.get("organisation", ""), i.get("unit", "")],
                    i.get("start_date"),
                    i.get("end_date"),
                )
                for i in content.get("interventions") or []
            ),
        )
    )
    parts.append(_section("Tidsplan", _text(content.get("time_plan") or "")))
    parts.append(
        _section("Uppföljning och utvärdering", _text(content.get("evaluation_plan") or ""))
    )
    return f"<div>{''.join(parts)}</div>"


def html_note(title: str, content: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "extension": [{"url": EXT_MEDIA_TYPE, "valueCode": "text/html"}],
        "text": content_html(title, content),
    }
