"""Import: a transaction Bundle of Patient + CarePlan (+ Consent, + Goals) becomes a draft plan,
made through the same services as the pages, all or nothing.

The Bundle is validated with fhir.resources' R4B models first, then every reference inside it
is resolved; only then does anything touch the database. The services then apply the same
validation as the forms (identity numbers, reasons, consent fields ...); any refusal rolls the
whole import back and is answered with an OperationOutcome that names the element.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError as PydanticValidationError

from samplan.audit import services as audit
from samplan.audit.actions import AuditAction
from samplan.authz import access
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.consent import services as consent_services
from samplan.consent.models import ConsentDecision
from samplan.directory import services as directory
from samplan.directory.identity import normalise_org_number
from samplan.directory.models import LookupReason, Organisation, Person, Unit
from samplan.fhir import vocabulary
from samplan.fhir.errors import FhirError
from samplan.plans import services as plans
from samplan.plans.models import PLAN_TYPE_SYSTEM, InterventionStatus, Plan, PlanType

ALLOWED_TYPES = {"Patient", "CarePlan", "Consent", "Goal"}
# Where a service's field error points in the Bundle.
FIELD_EXPRESSIONS = {
    "identifier": "Patient.identifier",
    "given_name": "Patient.name",
    "family_name": "Patient.name",
    "reasons": "CarePlan.extension",
    "initiated_on": "CarePlan.period.start",
    "lss_decision_date": "CarePlan.extension",
    "existing_plan_reference": "CarePlan.extension",
    "decision": "Consent.provision.type",
    "method": "Consent.extension",
    "organisations": "Consent.provision.actor",
    "information_kinds": "Consent.provision.code",
    "given_at": "Consent.dateTime",
    "representative": "Consent.performer",
    "shared_goal": "Goal.description",
    "icf_code": "CarePlan.extension",
    "responsible_organisation": "CarePlan.activity.detail.performer",
    "responsible_unit": "CarePlan.activity.detail.performer",
    "status": "CarePlan.activity.detail.status",
    "description": "CarePlan.activity.detail.description",
}


def invalid(message: str, expression: str | None = None) -> FhirError:
    return FhirError(400, message, code="invalid", expression=[expression] if expression else [])


# Parsing --------------------------------------------------------------------------------------


def parse_bundle(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid(f"Malformed JSON: {exc.msg if hasattr(exc, 'msg') else exc}") from None
    if not isinstance(data, dict):
        raise invalid("The body must be a JSON object: a Bundle")
    if data.get("resourceType") != "Bundle":
        raise invalid("Expected resourceType Bundle", "Bundle.resourceType")
    if data.get("type") != "transaction":
        raise invalid("Only transaction Bundles are accepted", "Bundle.type")
    try:
        Bundle.model_validate(data)
    except PydanticValidationError as exc:
        # Where and what, never the submitted values: they may be personal data.
        issues = exc.errors(include_input=False, include_url=False)
        first = issues[0]
        where = ".".join(str(p) for p in first["loc"])
        raise FhirError(
            400,
            f"Not a valid FHIR R4 Bundle: {where}: {first['msg']}",
            code="structure",
            expression=[where] if where else [],
            issues=[
                {
                    "severity": "error",
                    "code": "structure",
                    "diagnostics": f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}",
                }
                for e in issues[1:20]
            ],
        ) from None
    return data


@dataclass
class Parsed:
    patient: dict[str, Any]
    patient_url: str
    care_plan: dict[str, Any]
    care_plan_url: str
    consent: dict[str, Any] | None = None
    consent_url: str | None = None
    goals: dict[str, dict[str, Any]] = field(default_factory=dict)  # fullUrl → Goal
    order: list[str] = field(default_factory=list)  # fullUrls in the Bundle's order


def _ref(obj: dict[str, Any] | None) -> str | None:
    return obj.get("reference") if isinstance(obj, dict) else None


def collect(data: dict[str, Any]) -> Parsed:
    """Check the Bundle's shape and that every reference resolves inside it."""
    by_url: dict[str, dict[str, Any]] = {}
    by_type: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for n, entry in enumerate(data.get("entry") or []):
        where = f"Bundle.entry[{n}]"
        resource = entry.get("resource")
        url = entry.get("fullUrl")
        if not isinstance(resource, dict):
            raise invalid("Every entry needs a resource", where)
        rtype = resource["resourceType"]
        if rtype not in ALLOWED_TYPES:
            raise invalid(
                f"{rtype} is not accepted in an import; send Patient, CarePlan, Consent, Goal",
                f"{where}.resource",
            )
        if not url:
            raise invalid("Every entry needs a fullUrl (urn:uuid:...)", f"{where}.fullUrl")
        if url in by_url:
            raise invalid(f"fullUrl {url} appears twice", f"{where}.fullUrl")
        request = entry.get("request") or {}
        if request.get("method") != "POST":
            raise invalid("Only POST entries (creates) are accepted", f"{where}.request.method")
        by_url[url] = resource
        by_type.setdefault(rtype, []).append((url, resource))
    for rtype in ("Patient", "CarePlan"):
        if len(by_type.get(rtype, [])) != 1:
            raise invalid(f"The Bundle needs exactly one {rtype}", "Bundle.entry")
    if len(by_type.get("Consent", [])) > 1:
        raise invalid("The Bundle may hold at most one Consent", "Bundle.entry")
    patient_url, patient = by_type["Patient"][0]
    plan_url, care_plan = by_type["CarePlan"][0]

    def must_be_patient(reference: str | None, where: str) -> None:
        if reference != patient_url:
            if reference in by_url or reference is None:
                raise invalid(f"{where} must refer to the Bundle's Patient", where)
            raise invalid(f"{where}: reference {reference} is not in the Bundle", where)

    must_be_patient(_ref(care_plan.get("subject")), "CarePlan.subject")
    goals: dict[str, dict[str, Any]] = {}
    goal_urls = dict(by_type.get("Goal", []))
    for n, goal_ref in enumerate(care_plan.get("goal") or []):
        reference = _ref(goal_ref)
        if reference not in goal_urls:
            raise invalid(
                f"CarePlan.goal[{n}]: reference {reference} is not a Goal in the Bundle",
                f"CarePlan.goal[{n}]",
            )
        goals[reference] = goal_urls[reference]
    for url, goal_resource in goal_urls.items():
        if url not in goals:
            raise invalid(f"Goal {url} is not referenced by the CarePlan", "CarePlan.goal")
        must_be_patient(_ref(goal_resource.get("subject")), "Goal.subject")
    for n, activity in enumerate(care_plan.get("activity") or []):
        for m, goal_ref in enumerate((activity.get("detail") or {}).get("goal") or []):
            if _ref(goal_ref) not in goals:
                raise invalid(
                    f"CarePlan.activity[{n}].detail.goal[{m}]: reference {_ref(goal_ref)} is "
                    "not a Goal of the CarePlan",
                    f"CarePlan.activity[{n}].detail.goal[{m}]",
                )
    consent_url, consent = by_type["Consent"][0] if "Consent" in by_type else (None, None)
    if consent is not None:
        must_be_patient(_ref(consent.get("patient")), "Consent.patient")
    return Parsed(
        patient, patient_url, care_plan, plan_url, consent, consent_url, goals, list(by_url)
    )


# Resolving codes and references to Samplan's rows ----------------------------------------------


def _person_identifier(patient: dict[str, Any]) -> tuple[str, str]:
    known = [
        (vocabulary.SYSTEM_KINDS[i["system"]], i.get("value", ""))
        for i in patient.get("identifier") or []
        if i.get("system") in vocabulary.SYSTEM_KINDS
    ]
    if not known:
        raise invalid(
            "Patient.identifier needs a personnummer, samordningsnummer or reserve number "
            f"({vocabulary.PERSONNUMMER_SYSTEM}, {vocabulary.SAMORDNINGSNUMMER_SYSTEM}, "
            f"{vocabulary.RESERVE_SYSTEM})",
            "Patient.identifier",
        )
    return known[0]


def _organisation(reference: dict[str, Any], where: str) -> Organisation | Unit:
    """Organization/org-N, Organization/unit-N, or a logical reference by organisation number
    or HSA-id."""
    raw = _ref(reference)
    if raw:
        match = re.fullmatch(r"Organization/(org|unit)-(\d{1,18})", raw, flags=re.ASCII)
        found: Organisation | Unit | None = None
        if match and match.group(1) == "org":
            found = Organisation.objects.filter(pk=int(match.group(2)), is_active=True).first()
        elif match:
            found = (
                Unit.objects.filter(pk=int(match.group(2)), is_active=True)
                .select_related("organisation")
                .first()
            )
        if found is None:
            raise invalid(f"{where}: reference {raw} is not a known organisation", where)
        return found
    identifier = reference.get("identifier") or {}
    system, value = identifier.get("system"), identifier.get("value", "")
    if system == vocabulary.ORG_NUMBER_SYSTEM:
        try:
            number = normalise_org_number(value)
        except ValidationError:
            number = ""
        org = Organisation.objects.filter(org_number=number, is_active=True).first()
        if org is not None:
            return org
    elif system == vocabulary.HSA_SYSTEM and value:
        org = Organisation.objects.filter(hsa_id=value, is_active=True).first()
        if org is not None:
            return org
        unit = Unit.objects.filter(hsa_id=value, is_active=True).select_related("organisation")
        if unit.first() is not None:
            return unit.first()  # type: ignore[return-value]
    raise invalid(f"{where}: not a known organisation", where)


def _codes(concepts: list[dict[str, Any]] | None, system: str) -> list[str]:
    return [
        c["code"]
        for concept in concepts or []
        for c in concept.get("coding") or []
        if c.get("system") == system and c.get("code")
    ]


def _ext(resource: dict[str, Any], url: str) -> list[dict[str, Any]]:
    return [e for e in resource.get("extension") or [] if e.get("url") == url]


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else None


def _note_by(resource: dict[str, Any], author: str) -> str:
    return "\n".join(
        n.get("text", "")
        for n in resource.get("note") or []
        if _ref(n.get("authorReference")) == author
    )


# The import -----------------------------------------------------------------------------------


@dataclass
class Result:
    plan: Plan
    person: Person
    # fullUrl → (location, status), in the Bundle's order
    locations: dict[str, tuple[str, str]]


def _patient_fields(patient: dict[str, Any]) -> dict[str, Any]:
    """What the Bundle's Patient says about the person, as Person fields."""
    names = patient.get("name") or [{}]
    name = next((n for n in names if n.get("use") == "official"), names[0])
    protected = any(
        s.get("system") == vocabulary.CONFIDENTIALITY_SYSTEM and s.get("code") in ("R", "V")
        for s in (patient.get("meta") or {}).get("security") or []
    )
    fields: dict[str, Any] = {
        "given_name": " ".join(name.get("given") or []),
        "family_name": name.get("family", ""),
        "protected_identity": protected,
    }
    if patient.get("birthDate") and len(patient["birthDate"]) == 10:
        fields["birth_date"] = _date(patient["birthDate"])
    if not protected:
        for telecom in patient.get("telecom") or []:
            if telecom.get("system") == "phone" and "phone" not in fields:
                fields["phone"] = telecom.get("value", "")
            elif telecom.get("system") == "email" and "email" not in fields:
                fields["email"] = telecom.get("value", "")
        address = (patient.get("address") or [None])[0]
        if address:
            fields["address"] = " ".join(address.get("line") or [])
            fields["postal_code"] = address.get("postalCode", "")
            fields["city"] = address.get("city", "")
    return fields


def _find_or_create_person(actor: Actor, parsed: Parsed) -> tuple[Person, bool]:
    """The person with the Patient's identity number: found in the registry, or registered.

    Nothing in the answer may tell the client whether the number was known: the Patient's
    data are checked in full (as a registration checks them) whether or not they will be
    used, and a known person the importing unit has no relation with yet is reached through
    an explicit look-up by complete number to start a plan, as on the pages: audited with
    that reason, and flagged by the log review if no plan follows.
    """
    kind, raw = _person_identifier(parsed.patient)
    kind, number, born = directory.normalise_person_identifier(kind=kind, identifier=raw)
    fields = _patient_fields(parsed.patient)
    if fields["protected_identity"] and not directory.may_protect_at_registration(actor):
        raise invalid(
            "Only a registrar registers a person with protected identity",
            "Patient.meta.security",
        )
    candidate = Person(identifier_kind=kind, identifier=number, **fields)
    candidate.birth_date = candidate.birth_date or born
    candidate.full_clean(validate_unique=False)
    existing = Person.objects.filter(identifier=number).first()
    if existing is None:
        person = directory.person_create(
            actor=actor, identifier=number, identifier_kind=kind, **fields
        )
        return person, True
    if not authz.briefly_visible_persons(actor).filter(pk=existing.pk).exists():
        directory.person_lookup(
            actor=actor,
            query=directory.LookupQuery(identifier=number),
            reason=LookupReason.START_PLAN,
        )
    return existing, False


def _initiate(actor: Actor, person: Person, care_plan: dict[str, Any]) -> Plan:
    # Samplan's own plan-type extension first (it alone tells an LSS individual plan, which
    # Inera's code system has no code for), then Samplan's coding, then Inera's category.
    plan_types = [
        coding["code"]
        for e in _ext(care_plan, vocabulary.EXT_PLAN_TYPE)
        if (coding := e.get("valueCoding") or {}).get("system") == PLAN_TYPE_SYSTEM
        and coding.get("code")
    ]
    plan_types += _codes(care_plan.get("category"), PLAN_TYPE_SYSTEM)
    plan_types += _codes(care_plan.get("category"), vocabulary.INERA_CAREPLAN_TYPE_SYSTEM)
    plan_type = plan_types[0] if plan_types else PlanType.SIP
    if plan_type not in PlanType.values:
        raise invalid(f"Unknown plan type {plan_type}", "CarePlan.category")
    reasons = [
        (e.get("valueCoding") or {}).get("code") or e.get("valueCode") or ""
        for e in _ext(care_plan, vocabulary.EXT_INITIATIVE_REASON)
    ]
    lss = _ext(care_plan, vocabulary.EXT_LSS_DECISION_DATE)
    existing = _ext(care_plan, vocabulary.EXT_EXISTING_PLAN)
    return plans.plan_initiate(
        actor=actor,
        person=person,
        reasons=reasons,
        initiated_on=_date((care_plan.get("period") or {}).get("start")),
        note=care_plan.get("description", ""),
        plan_type=plan_type,
        lss_decision_date=_date(lss[0].get("valueDate")) if lss else None,
        existing_plan_reference=existing[0].get("valueString", "") if existing else "",
    )


def _record_consent(actor: Actor, plan: Plan, consent: dict[str, Any]) -> int:
    provision = consent.get("provision") or {}
    organisations: list[Organisation] = []
    for n, item in enumerate(provision.get("actor") or []):
        found = _organisation(item.get("reference") or {}, f"Consent.provision.actor[{n}]")
        organisations.append(found.organisation if isinstance(found, Unit) else found)
    methods = [
        (e.get("valueCoding") or {}).get("code") or e.get("valueCode") or ""
        for e in _ext(consent, vocabulary.EXT_CONSENT_METHOD)
    ]
    decision = {"permit": ConsentDecision.GIVEN, "deny": ConsentDecision.REFUSED}.get(
        provision.get("type", ""), ""
    )
    record = consent_services.consent_record(
        actor=actor,
        plan=plan,
        decision=decision,
        method=methods[0] if methods else "",
        organisations=organisations,
        information_kinds=_codes(provision.get("code"), vocabulary.INFORMATION_KIND_SYSTEM),
        given_at=_datetime(consent.get("dateTime")),
    )
    return record.pk


def _content(actor: Actor, plan: Plan, parsed: Parsed) -> dict[str, int]:
    care_plan = parsed.care_plan
    for need in _ext(care_plan, vocabulary.EXT_NEED):
        parts = {p.get("url"): p for p in need.get("extension") or []}
        kind = (parts.get("kind", {}).get("valueCoding") or {}).get("code", "")
        icf = (parts.get("icf", {}).get("valueCoding") or {}).get("code", "")
        plans.need_add(
            actor=actor,
            plan=plan,
            kind=kind,
            description=parts.get("description", {}).get("valueString", ""),
            icf_code=icf,
        )
    goal_rows = {}
    for url, goal in parsed.goals.items():
        target = (goal.get("target") or [{}])[0]
        goal_rows[url] = plans.goal_add(
            actor=actor,
            plan=plan,
            shared_goal=(goal.get("description") or {}).get("text", ""),
            person_words=_note_by(goal, parsed.patient_url),
            target_date=_date(target.get("dueDate")),
        )
    for n, activity in enumerate(care_plan.get("activity") or []):
        detail = activity.get("detail")
        where = f"CarePlan.activity[{n}]"
        if not detail:
            raise invalid("Only activity.detail is accepted (no activity.reference)", where)
        org: Organisation | None = None
        unit: Unit | None = None
        for m, performer in enumerate(detail.get("performer") or []):
            found = _organisation(performer, f"{where}.detail.performer[{m}]")
            if isinstance(found, Unit):
                unit = found
                org = org or found.organisation
            else:
                org = found
        codes = _codes([detail.get("code") or {}], vocabulary.INTERVENTION_STATUS_SYSTEM)
        status = (
            codes[0]
            if codes
            else (
                InterventionStatus.PLANNED
                if detail.get("status") == "not-started"
                else InterventionStatus.DECIDED
            )
        )
        period = detail.get("scheduledPeriod") or {}
        goal_refs = [_ref(g) for g in detail.get("goal") or []]
        plans.intervention_add(
            actor=actor,
            plan=plan,
            description=detail.get("description", ""),
            responsible_organisation=org,
            responsible_unit=unit,
            status=status,
            start_date=_date(period.get("start")),
            end_date=_date(period.get("end")),
            goal=goal_rows[goal_refs[0]] if goal_refs and goal_refs[0] else None,
        )
    return {url: g.pk for url, g in goal_rows.items()}


def import_bundle(*, actor: Actor, body: bytes) -> Result:
    """Validate, then create everything in one transaction. On any error nothing is written
    but the attempt, which is audited as invalid (or denied)."""
    try:
        parsed = collect(parse_bundle(body))
        with transaction.atomic():
            person, created = _find_or_create_person(actor, parsed)
            plan = _initiate(actor, person, parsed.care_plan)
            consent_id = _record_consent(actor, plan, parsed.consent) if parsed.consent else None
            goal_ids = _content(actor, plan, parsed)
            plan.refresh_from_db()
            audit.record(
                actor=actor,
                action=AuditAction.PLAN_FHIR_IMPORT,
                obj=plan,
                person=person,
                detail={"person_created": created, "goals": len(goal_ids)},
            )
        created_status = "201 Created"
        found: dict[str, tuple[str, str]] = {
            # The same whether the person was registered now or known before (see above).
            parsed.patient_url: (f"Patient/{person.pk}", "200 OK"),
            parsed.care_plan_url: (f"CarePlan/{plan.pk}", created_status),
        }
        if parsed.consent_url and consent_id is not None:
            found[parsed.consent_url] = (f"Consent/{consent_id}", created_status)
        found.update({url: (f"Goal/{pk}", created_status) for url, pk in goal_ids.items()})
    except FhirError as exc:
        access.audit_invalid(
            actor=actor, action=AuditAction.PLAN_FHIR_IMPORT, fields=exc.expression
        )
        raise
    except ValidationError as exc:
        fields = sorted(exc.message_dict) if hasattr(exc, "error_dict") else []
        access.audit_invalid(actor=actor, action=AuditAction.PLAN_FHIR_IMPORT, fields=fields)
        raise _from_validation(exc) from None
    except authz.Denied:
        # The refusal the service audited was rolled back with the transaction: record it again.
        access.refuse(actor, authz.Action.PLAN_INITIATE, audit_action=AuditAction.PLAN_FHIR_IMPORT)
        raise FhirError(403, "Not allowed to create plans", code="forbidden") from None
    return Result(plan, person, {url: found[url] for url in parsed.order})


def _from_validation(exc: ValidationError) -> FhirError:
    issues: list[dict[str, Any]] = []
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            expression = FIELD_EXPRESSIONS.get(name)
            for message in messages:
                issue: dict[str, Any] = {
                    "severity": "error",
                    "code": "invariant" if name != "identifier" else "value",
                    "diagnostics": message,
                }
                if expression:
                    issue["expression"] = [expression]
                issues.append(issue)
    else:
        issues = [
            {"severity": "error", "code": "business-rule", "diagnostics": m} for m in exc.messages
        ]
    first = issues[0]
    return FhirError(
        400,
        first["diagnostics"],
        code=first["code"],
        expression=first.get("expression"),
        issues=issues[1:],
    )
