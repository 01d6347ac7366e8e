"""FHIR vocabulary of Samplan: identifier and code systems, extension URLs, how a plan's
state maps to CarePlan.status, and the small builders (references, codings, dates) that
every resource uses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db.models import Choices
from django.utils import timezone
from django.utils.translation import get_language

from samplan.directory.models import (
    IdentifierKind,
)
from samplan.plans.models import (
    Plan,
    PlanState,
    PlanType,
)

# Identifier systems ---------------------------------------------------------------------------

PERSONNUMMER_SYSTEM = "http://electronichealth.se/identifier/personnummer"
SAMORDNINGSNUMMER_SYSTEM = "http://electronichealth.se/identifier/samordningsnummer"
ORG_NUMBER_SYSTEM = "urn:oid:2.5.4.97"
HSA_SYSTEM = "urn:oid:1.2.752.29.4.19"
# Samplan's own code systems and extensions. An installation may set FHIR_LOCAL_SYSTEM to a
# base it owns (an OID or a URL); reserve numbers are only unique within one installation.
LOCAL = getattr(settings, "FHIR_LOCAL_SYSTEM", "urn:samplan")
RESERVE_SYSTEM = f"{LOCAL}:identifier:reserve"
PROFESSION_SYSTEM = f"{LOCAL}:CodeSystem:profession"
ORGANISATION_KIND_SYSTEM = f"{LOCAL}:CodeSystem:organisation-kind"
UNIT_KIND_SYSTEM = f"{LOCAL}:CodeSystem:unit-kind"
CARE_TEAM_ROLE_SYSTEM = f"{LOCAL}:CodeSystem:care-team-role"
INTERVENTION_STATUS_SYSTEM = f"{LOCAL}:CodeSystem:intervention-status"
INFORMATION_KIND_SYSTEM = f"{LOCAL}:CodeSystem:information-kind"
NEED_KIND_SYSTEM = f"{LOCAL}:CodeSystem:need-kind"
EXT_INITIATIVE_REASON = f"{LOCAL}:StructureDefinition:initiative-reason"
EXT_NEED = f"{LOCAL}:StructureDefinition:need"
EXT_LSS_DECISION_DATE = f"{LOCAL}:StructureDefinition:lss-decision-date"
EXT_EXISTING_PLAN = f"{LOCAL}:StructureDefinition:existing-plan-reference"
EXT_CONSENT_METHOD = f"{LOCAL}:StructureDefinition:consent-method"
EXT_PLAN_STATE = f"{LOCAL}:StructureDefinition:plan-state"
# A step the reader may take on the plan now (samplan/plans/lifecycle.py), on a read by id.
EXT_ALLOWED_STEP = f"{LOCAL}:StructureDefinition:allowed-step"
# Samplan's own plan type (samplan.plans.models.PlanType), on every CarePlan; see PLAN_TYPE_CODES.
EXT_PLAN_TYPE = f"{LOCAL}:StructureDefinition:plan-type"
# The media type of a note's text (the plan's content as text/html), and a document of the plan
# given by reference: Inera's MultimediaType (GetCarePlans carePlan.content), which the guide
# has not yet given a FHIR extension of its own (its open question CP-001).
EXT_MEDIA_TYPE = f"{LOCAL}:StructureDefinition:media-type"
EXT_CONTENT = f"{LOCAL}:StructureDefinition:content"
# The plan's id in Samplan (CarePlan.identifier; GetCarePlans documentId).
CAREPLAN_IDENTIFIER_SYSTEM = f"{LOCAL}:identifier:careplan"
ICF_SYSTEM = "http://hl7.org/fhir/sid/icf"
CONFIDENTIALITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"

# Inera EHDS Tjänstekontrakt 0.3.1 (GetCarePlans as FHIR; docs/fhir.md) -----------------------

INERA_IG = "https://fhir.inera.se/ig/ehds-tk"
INERA_IMPLEMENTATION_GUIDE = f"{INERA_IG}/ImplementationGuide/inera.ehds.tk|0.3.1"
INERA_CAREPLAN_PROFILE = f"{INERA_IG}/StructureDefinition/inera-ehds-care-plan"
INERA_PATIENT_PROFILE = f"{INERA_IG}/StructureDefinition/inera-ehds-patient"
EXT_APPROVED_FOR_PATIENT = f"{INERA_IG}/StructureDefinition/approved-for-patient"
# The profiles each resource type conforms to (CapabilityStatement supportedProfile).
INERA_PROFILES = {"CarePlan": INERA_CAREPLAN_PROFILE, "Patient": INERA_PATIENT_PROFILE}
INERA_CAREPLAN_TYPE_SYSTEM = "https://fhir.inera.se/CodeSystem/typeofcareplan-cs"
# The guide's system for an HSA-id in meta.source: urn:oid:1.2.752.129.2.1.4.1#{hsaId}.
INERA_HSA_SOURCE = "urn:oid:1.2.752.129.2.1.4.1"
# Samplan's plan types in Inera's TypeOfCarePlanCS (SIP, SPLPTLRV, SPU, VP, HP, RP, GP, SVP).
# An individual plan under LSS 10 § has no code there: it carries no category (the binding is
# required, so no other code may stand in its place) and is told by EXT_PLAN_TYPE and its title.
PLAN_TYPE_CODES: dict[str, tuple[str, str]] = {
    PlanType.SIP: ("SIP", "Samordnad individuell plan"),
    PlanType.HABILITATION: ("HP", "Habiliteringsplan"),
    PlanType.REHABILITATION: ("RP", "Rehabiliteringsplan"),
}


def source_hsa_id() -> str:
    """The producing system's HSA-id (SAMPLAN_FHIR_SOURCE_HSA_ID); empty when not set."""
    return str(getattr(settings, "FHIR_SOURCE_HSA_ID", ""))


def meta_source() -> str | None:
    hsa_id = source_hsa_id()
    return f"{INERA_HSA_SOURCE}#{hsa_id}" if hsa_id else None


IDENTIFIER_SYSTEMS = {
    IdentifierKind.PERSONNUMMER: PERSONNUMMER_SYSTEM,
    IdentifierKind.SAMORDNINGSNUMMER: SAMORDNINGSNUMMER_SYSTEM,
    IdentifierKind.RESERVE: RESERVE_SYSTEM,
}
SYSTEM_KINDS = {system: kind for kind, system in IDENTIFIER_SYSTEMS.items()}

# Plan state → CarePlan.status. A closed plan that was established is completed; one closed
# without ever being established (consent refused, declined) is revoked.
CAREPLAN_DRAFT_STATES = (
    PlanState.INITIATED,
    PlanState.CONSENTED,
    PlanState.INVITED,
    PlanState.MEETING_HELD,
)
CAREPLAN_STATUSES = {
    "draft",
    "active",
    "on-hold",
    "revoked",
    "completed",
    "entered-in-error",
    "unknown",
}


def careplan_status(plan: Plan, has_versions: bool) -> str:
    if plan.state in CAREPLAN_DRAFT_STATES:
        return "draft"
    if plan.state in (PlanState.ESTABLISHED, PlanState.REVISING):
        return "active"
    if plan.state == PlanState.PAUSED:
        return "on-hold"
    return "completed" if has_versions else "revoked"


# Small helpers --------------------------------------------------------------------------------


def ref(resource_type: str, rid: Any, display: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"reference": f"{resource_type}/{rid}"}
    if display:
        out["display"] = display
    return out


def patient_ref(person_id: int) -> dict[str, Any]:
    return ref("Patient", person_id)


def org_id(organisation_id: int) -> str:
    return f"org-{organisation_id}"


def unit_id(unit_pk: int) -> str:
    return f"unit-{unit_pk}"


def version_id(plan_id: int, number: int) -> str:
    return f"{plan_id}-v{number}"


def instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def local_day(value: datetime | None) -> str | None:
    return timezone.localdate(value).isoformat() if value else None


def coding(system: str, code: str, display: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"system": system, "code": code}
    if display:
        out["display"] = str(display)
    return out


def concept(system: str, code: str, display: Any = None) -> dict[str, Any]:
    return {"coding": [coding(system, code, display)]}


# A choice's label in a language, as text: a lazy label costs a catalogue lookup each time it
# is made text, and a read of one plan shows dozens of them.
_LABELS: dict[tuple[str, type[Choices], str], str] = {}


def label(choices: type[Choices], value: str) -> str | None:
    """The label of `value` among `choices` in the active language; None for a value that
    is not one of them."""
    key = (get_language() or "", choices, value)
    found = _LABELS.get(key)
    if found is None:
        if value not in choices.values:
            return None
        found = _LABELS[key] = str(choices(value).label)
    return found
