"""A frozen version's content and the difference between two versions as rows for the
pages: labels and plain text, no rules."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samplan.plans.models import (
    InterventionStatus,
    NeedKind,
    PlanType,
)
from samplan.plans.selectors import Change

SECTION_LABELS = {
    "plan_type": gettext_lazy("Typ av plan"),
    "title": gettext_lazy("Rubrik"),
    "lead_organisation": gettext_lazy("Huvudansvarig huvudman"),
    "coordinator": gettext_lazy("Samordnare"),
    "time_plan": gettext_lazy("Tidsplan"),
    "evaluation_plan": gettext_lazy("Vad som följs upp och utvärderas"),
    "existing_plan_reference": gettext_lazy("Befintlig plan som kompletteras"),
    "participants": gettext_lazy("Deltagande enheter"),
    "consent_organisations": gettext_lazy("Organisationer som samtycket gäller"),
    "needs": gettext_lazy("Behov, förutsättningar och intressen"),
    "goals": gettext_lazy("Mål"),
    "interventions": gettext_lazy("Insatser"),
    "follow_ups": gettext_lazy("Inplanerade uppföljningar"),
}


FIELD_LABELS = {
    "kind": gettext_lazy("Typ"),
    "description": gettext_lazy("Beskrivning"),
    "icf_code": gettext_lazy("ICF-kod"),
    "person_words": gettext_lazy("Med personens egna ord"),
    "shared_goal": gettext_lazy("Gemensamt mål"),
    "target_date": gettext_lazy("Ska vara nått"),
    "organisation": gettext_lazy("Ansvarig organisation"),
    "unit": gettext_lazy("Enhet"),
    "staff": gettext_lazy("Ansvarig personal"),
    "status": gettext_lazy("Status"),
    "start_date": gettext_lazy("Start"),
    "end_date": gettext_lazy("Slut"),
    "by_others": gettext_lazy("Åtgärd av annan än kommun och region"),
    "due_date": gettext_lazy("Datum"),
    "what": gettext_lazy("Vad"),
    "name": gettext_lazy("Namn"),
    "phone": gettext_lazy("Telefon"),
    "email": gettext_lazy("E-post"),
}


CHANGE_LABELS = {
    "added": gettext_lazy("Tillagt"),
    "removed": gettext_lazy("Borttaget"),
    "changed": gettext_lazy("Ändrat"),
}


def _value_text(field: str, value: Any) -> str:
    if value is True:
        return _("Ja")
    if value is False:
        return _("Nej")
    if value in (None, ""):
        return "–"
    if field == "kind" and value in NeedKind:
        return str(NeedKind(value).label)
    if field == "status" and value in InterventionStatus:
        return str(InterventionStatus(value).label)
    if field == "plan_type" and value in PlanType:
        return str(PlanType(value).label)
    return str(value)


def _fields(value: Any) -> list[tuple[str, str]]:
    """A frozen item as (label, text) pairs, in the order the version stores them."""
    if isinstance(value, dict):
        return [
            (str(FIELD_LABELS.get(k, k)), _value_text(k, v)) for k, v in value.items() if k != "id"
        ]
    if isinstance(value, list):
        return [("", ", ".join(str(v) for v in value) or "–")]
    return [("", _value_text("", value))]


def _section_text(section: str, value: Any) -> list[tuple[str, str]]:
    if section == "plan_type":
        return [("", _value_text("plan_type", value))]
    return _fields(value)


def version_sections(content: dict[str, Any]) -> list[dict[str, Any]]:
    sections: list[dict[str, Any]] = []
    for key, label in SECTION_LABELS.items():
        if key not in content:
            continue
        value = content[key]
        if isinstance(value, list) and value and isinstance(value[0], dict):
            items = [_fields(item) for item in value]
            sections.append({"key": key, "label": label, "items": items, "text": None})
        else:
            sections.append(
                {"key": key, "label": label, "items": None, "text": _section_text(key, value)}
            )
    return sections


def _change_rows(section: str, kind: str, before: Any, after: Any) -> list[dict[str, str]]:
    if isinstance(before, dict) and isinstance(after, dict):
        return [
            {
                "field": str(FIELD_LABELS.get(k, k)),
                "before": _value_text(k, before.get(k)),
                "after": _value_text(k, after.get(k)),
            }
            for k in [*after, *(k for k in before if k not in after)]
            if k != "id" and before.get(k) != after.get(k)
        ]
    value = after if kind == "added" else before
    if isinstance(value, dict):
        return [
            {
                "field": label,
                "before": text if kind == "removed" else "",
                "after": text if kind == "added" else "",
            }
            for label, text in _fields(value)
        ]
    return [
        {
            "field": "",
            "before": _section_text(section, before)[0][1] if kind != "added" else "",
            "after": _section_text(section, after)[0][1] if kind != "removed" else "",
        }
    ]


def diff_sections(changes: list[Change]) -> list[dict[str, Any]]:
    """The difference between two versions (`selectors.version_diff`) as the page's rows."""
    return [
        {
            "section": str(SECTION_LABELS.get(c.section, c.section)),
            "kind": c.kind,
            "kind_label": CHANGE_LABELS.get(c.kind, c.kind),
            "rows": _change_rows(c.section, c.kind, c.before, c.after),
        }
        for c in changes
    ]
