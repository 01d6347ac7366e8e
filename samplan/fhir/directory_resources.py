"""The registry as FHIR resources (plain dicts, like mapping.py): Patient, per Inera's Patient
profile (Inera EHDS Tjänstekontrakt 0.3.1, on the International Patient Summary's), Organization
(a principal or one of its units) and PractitionerRole."""

from __future__ import annotations

from typing import Any

from samplan.directory.models import (
    IdentifierKind,
    Membership,
    Organisation,
    Person,
    Unit,
)
from samplan.fhir.vocabulary import (
    CONFIDENTIALITY_SYSTEM,
    DATA_ABSENT_REASON,
    HSA_SYSTEM,
    IDENTIFIER_SYSTEMS,
    INERA_PATIENT_PROFILE,
    ORG_NUMBER_SYSTEM,
    ORGANISATION_KIND_SYSTEM,
    PROFESSION_SYSTEM,
    UNIT_KIND_SYSTEM,
    coding,
    concept,
    day,
    instant,
    meta_source,
    org_id,
    ref,
    unit_id,
)

# Directory ------------------------------------------------------------------------------------


Resource = dict[str, Any]


def patient(person: Person, *, show_contact: bool) -> Resource:
    """Address and telecom only when the actor may see contact details (never for a person
    with protected identity). The profile asks for a birth date: where Samplan has none (a
    reserve number without one), the date is absent with the reason "unknown"."""
    meta: dict[str, Any] = {
        "lastUpdated": instant(person.updated_at),
        "profile": [INERA_PATIENT_PROFILE],
    }
    source = meta_source()
    if source:
        meta["source"] = source
    data: Resource = {
        "resourceType": "Patient",
        "id": str(person.pk),
        "meta": meta,
        "identifier": [
            {
                "use": "official",
                "system": IDENTIFIER_SYSTEMS[IdentifierKind(person.identifier_kind)],
                "value": person.identifier,
            }
        ],
        "active": True,
        "name": [
            {
                "use": "official",
                "text": person.full_name,
                "family": person.family_name,
                "given": person.given_name.split(),
            }
        ],
    }
    if person.birth_date:
        data["birthDate"] = day(person.birth_date)
    else:
        data["_birthDate"] = {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]}
    if person.protected_identity:
        data["meta"]["security"] = [coding(CONFIDENTIALITY_SYSTEM, "R", "restricted")]
    if person.preferred_language:
        data["communication"] = [
            {
                "language": concept("urn:ietf:bcp:47", person.preferred_language),
                "preferred": True,
            }
        ]
    if show_contact and not person.protected_identity:
        telecom = []
        if person.phone:
            telecom.append({"system": "phone", "value": person.phone, "use": "home"})
        if person.email:
            telecom.append({"system": "email", "value": person.email, "use": "home"})
        if telecom:
            data["telecom"] = telecom
        if person.address or person.city or person.postal_code:
            address: dict[str, Any] = {"use": "home", "country": "SE"}
            if person.address:
                address["line"] = [person.address]
            if person.postal_code:
                address["postalCode"] = person.postal_code
            if person.city:
                address["city"] = person.city
            data["address"] = [address]
    return data


def _org_telecom(email: str, phone: str) -> list[dict[str, str]]:
    telecom = []
    if phone:
        telecom.append({"system": "phone", "value": phone, "use": "work"})
    if email:
        telecom.append({"system": "email", "value": email, "use": "work"})
    return telecom


def organization(org: Organisation) -> Resource:
    identifier = [{"use": "official", "system": ORG_NUMBER_SYSTEM, "value": org.org_number}]
    if org.hsa_id:
        identifier.append({"system": HSA_SYSTEM, "value": org.hsa_id})
    data: Resource = {
        "resourceType": "Organization",
        "id": org_id(org.pk),
        "meta": {"lastUpdated": instant(org.updated_at)},
        "identifier": identifier,
        "active": org.is_active,
        "type": [concept(ORGANISATION_KIND_SYSTEM, org.kind, org.get_kind_display())],
        "name": org.name,
    }
    telecom = _org_telecom(org.email, org.phone)
    if telecom:
        data["telecom"] = telecom
    return data


def unit_organization(unit: Unit) -> Resource:
    data: Resource = {
        "resourceType": "Organization",
        "id": unit_id(unit.pk),
        "meta": {"lastUpdated": instant(unit.updated_at)},
        "active": unit.is_active,
        "type": [concept(UNIT_KIND_SYSTEM, unit.kind, unit.get_kind_display())],
        "name": unit.name,
        "partOf": ref("Organization", org_id(unit.organisation_id), unit.organisation.name),
    }
    if unit.hsa_id:
        data["identifier"] = [{"system": HSA_SYSTEM, "value": unit.hsa_id}]
    telecom = _org_telecom(unit.email, unit.phone)
    if telecom:
        data["telecom"] = telecom
    if unit.address:
        data["address"] = [{"use": "work", "text": unit.address}]
    return data


def practitioner_role(membership: Membership) -> Resource:
    user = membership.user
    practitioner: dict[str, Any] = {"display": user.display_name}
    if user.hsa_id:
        practitioner["identifier"] = {"system": HSA_SYSTEM, "value": user.hsa_id}
    code = concept(PROFESSION_SYSTEM, membership.profession, membership.get_profession_display())
    if membership.title:
        code["text"] = membership.title
    return {
        "resourceType": "PractitionerRole",
        "id": str(membership.pk),
        "active": membership.is_active and user.is_active and membership.unit.is_active,
        "practitioner": practitioner,
        "organization": ref("Organization", unit_id(membership.unit_id), membership.unit.name),
        "code": [code],
    }
