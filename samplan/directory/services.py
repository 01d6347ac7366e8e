"""Writes to the registry. Keyword-only, with an explicit actor; checked, audited, atomic."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from samplan.accounts.models import User
from samplan.audit import services as audit
from samplan.audit.actions import AuditAction
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.directory.identity import normalise_org_number, parse_person_number
from samplan.directory.models import (
    IdentifierKind,
    LookupReason,
    Membership,
    Organisation,
    OrganisationRole,
    OrganisationRoleKind,
    Person,
    PersonLookup,
    ProtectedIdentityChange,
    Representative,
    Unit,
)

if TYPE_CHECKING:
    from samplan.plans.models import Plan


def _apply(instance: models.Model, fields: dict[str, Any]) -> list[str]:
    """Set fields, validate the whole object, and return the names of those that changed."""
    changed = [name for name, value in fields.items() if getattr(instance, name) != value]
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean()
    return changed


# Organisations and units ----------------------------------------------------------------


@transaction.atomic
def organisation_create(
    *, actor: Actor, name: str, kind: str, org_number: str, **fields: Any
) -> Organisation:
    authz.require(actor, Action.ORGANISATION_CREATE)
    org = Organisation()
    _apply(org, {"name": name, "kind": kind, "org_number": _org_number(org_number), **fields})
    org.save()
    audit.record(actor=actor, action=AuditAction.ORGANISATION_CREATE, obj=org)
    return org


def _org_number(raw: str) -> str:
    try:
        return normalise_org_number(raw)
    except ValidationError as exc:
        raise ValidationError({"org_number": exc.messages}) from None


@transaction.atomic
def organisation_update(*, actor: Actor, organisation: Organisation, **fields: Any) -> Organisation:
    authz.require(actor, Action.ORGANISATION_MANAGE, organisation)
    if "org_number" in fields:
        fields["org_number"] = _org_number(fields["org_number"])
    changed = _apply(organisation, fields)
    organisation.save()
    audit.record(
        actor=actor,
        action=AuditAction.ORGANISATION_UPDATE,
        obj=organisation,
        detail={"fields": changed},
    )
    return organisation


@transaction.atomic
def unit_create(
    *, actor: Actor, organisation: Organisation, name: str, kind: str, **fields: Any
) -> Unit:
    authz.require(actor, Action.ORGANISATION_MANAGE, organisation)
    unit = Unit(organisation=organisation)
    _apply(unit, {"name": name, "kind": kind, **fields})
    unit.save()
    audit.record(actor=actor, action=AuditAction.UNIT_CREATE, obj=unit)
    return unit


@transaction.atomic
def unit_update(*, actor: Actor, unit: Unit, **fields: Any) -> Unit:
    authz.require(actor, Action.ORGANISATION_MANAGE, unit.organisation)
    changed = _apply(unit, fields)
    unit.save()
    audit.record(actor=actor, action=AuditAction.UNIT_UPDATE, obj=unit, detail={"fields": changed})
    return unit


# Staff --------------------------------------------------------------------------------------


@transaction.atomic
def staff_create(
    *,
    actor: Actor,
    unit: Unit,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    profession: str,
    password: str | None = None,
    hsa_id: str = "",
    phone: str = "",
    title: str = "",
) -> Membership:
    """Create a staff account with its first membership. No password: the account must set one."""
    authz.require(actor, Action.ORGANISATION_MANAGE, unit.organisation)
    user_model = get_user_model()
    if user_model.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": [_("Användarnamnet är redan upptaget.")]})
    user = user_model(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        hsa_id=hsa_id,
        phone=phone,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    membership = Membership(user=user, unit=unit, profession=profession, title=title)
    membership.full_clean()
    membership.save()
    audit.record(actor=actor, action=AuditAction.STAFF_CREATE, obj=membership)
    return membership


@transaction.atomic
def membership_add(
    *, actor: Actor, user: User, unit: Unit, profession: str, title: str = ""
) -> Membership:
    authz.require(actor, Action.ORGANISATION_MANAGE, unit.organisation)
    membership, _created = Membership.objects.get_or_create(
        user=user, unit=unit, defaults={"profession": profession, "title": title}
    )
    changed = _apply(membership, {"profession": profession, "title": title, "is_active": True})
    membership.save()
    audit.record(
        actor=actor, action=AuditAction.MEMBERSHIP_ADD, obj=membership, detail={"fields": changed}
    )
    return membership


@transaction.atomic
def membership_end(*, actor: Actor, membership: Membership) -> Membership:
    authz.require(actor, Action.ORGANISATION_MANAGE, membership.unit.organisation)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    audit.record(actor=actor, action=AuditAction.MEMBERSHIP_END, obj=membership)
    return membership


@transaction.atomic
def staff_set_active(*, actor: Actor, organisation: Organisation, user: User, active: bool) -> User:
    """Disable or enable an account. A disabled account's sessions end at once."""
    authz.require(actor, Action.ORGANISATION_MANAGE, organisation)
    if not user.memberships.filter(unit__organisation=organisation).exists():
        raise authz.refuse(actor, Action.ORGANISATION_MANAGE, user)
    if actor.user is not None and user.pk == actor.user.pk and not active:
        raise ValidationError(_("Du kan inte stänga av ditt eget konto."))
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        from samplan.accounts.services import sessions_end_for_user

        sessions_end_for_user(user=user)
    audit.record(
        actor=actor,
        action=AuditAction.STAFF_ENABLE if active else AuditAction.STAFF_DISABLE,
        obj=user,
    )
    return user


@transaction.atomic
def organisation_role_grant(
    *, actor: Actor, organisation: Organisation, user: User, kind: str
) -> OrganisationRole:
    authz.require(actor, Action.ORGANISATION_MANAGE, organisation)
    role, _created = OrganisationRole.objects.get_or_create(
        user=user, organisation=organisation, kind=kind
    )
    audit.record(actor=actor, action=AuditAction.ORGANISATION_ROLE_GRANT, obj=role)
    return role


# Persons ------------------------------------------------------------------------------------


def normalise_person_identifier(*, kind: str, identifier: str) -> tuple[str, str, Any]:
    """Return (kind, stored identifier, birth date) or raise ValidationError on `identifier`."""
    if kind == IdentifierKind.RESERVE:
        value = identifier.strip().upper()
        if not value or len(value) > 40 or not all(c.isalnum() or c in "-_" for c in value):
            raise ValidationError(
                {
                    "identifier": [
                        _("Ett reservnummer består av bokstäver, siffror och bindestreck.")
                    ]
                }
            )
        return kind, value, None
    try:
        parsed = parse_person_number(identifier)
    except ValidationError as exc:
        raise ValidationError({"identifier": exc.messages}) from None
    if kind and kind != parsed.kind:
        # The number says what it is; a samordningsnummer typed as personnummer is corrected.
        kind = parsed.kind
    return parsed.kind, parsed.number, parsed.birth_date


@transaction.atomic
def person_create(
    *,
    actor: Actor,
    identifier: str,
    given_name: str,
    family_name: str,
    identifier_kind: str = IdentifierKind.PERSONNUMMER,
    **fields: Any,
) -> Person:
    authz.require(actor, Action.PERSON_CREATE)
    kind, number, born = normalise_person_identifier(kind=identifier_kind, identifier=identifier)
    if Person.objects.filter(identifier=number).exists():
        raise ValidationError(
            {
                "identifier": [
                    _(
                        "Det finns redan en person med det numret. Slå upp personen med ett "
                        "skäl för att gå vidare."
                    )
                ]
            }
        )
    protected = bool(fields.get("protected_identity"))
    if protected and not may_protect_at_registration(actor):
        raise ValidationError({"protected_identity": [_protect_role_message()]})
    person = Person(created_by=actor.user)
    _apply(
        person,
        {
            "identifier_kind": kind,
            "identifier": number,
            "birth_date": fields.pop("birth_date", None) or born,
            "given_name": given_name,
            "family_name": family_name,
            **fields,
        },
    )
    person.save()
    audit.record(actor=actor, action=AuditAction.PERSON_CREATE, obj=person)
    if protected:
        ProtectedIdentityChange.objects.create(
            person=person,
            protected=True,
            reason=_("Registrerad med skyddade personuppgifter."),
            changed_by=actor.user,
            organisation=actor.organisation,
        )
    if actor.user is not None and actor.unit is not None:
        # The one who registers a person may go on to start a plan for him or her.
        PersonLookup.objects.create(
            user=actor.user, unit=actor.unit, person=person, reason=LookupReason.REGISTER
        )
    return person


def _protect_role_message() -> str:
    return _(
        "Skyddade personuppgifter sätts och tas bort av registeransvarig, med ett angivet skäl."
    )


def may_protect_at_registration(actor: Actor) -> bool:
    """Only the system (imports) and registrars register a person as protected."""
    return actor.is_system or bool(actor.organisations_with_role(OrganisationRoleKind.REGISTRAR))


@transaction.atomic
def person_update(*, actor: Actor, person: Person, **fields: Any) -> Person:
    authz.require(actor, Action.PERSON_EDIT, person)
    if bool(fields.pop("protected_identity", person.protected_identity)) != (
        person.protected_identity
    ):
        # Never changed by a plain edit, and never lost by a form that left the box out.
        raise ValidationError({"protected_identity": [_protect_role_message()]})
    if "identifier" in fields:
        kind, number, born = normalise_person_identifier(
            kind=fields.pop("identifier_kind", person.identifier_kind),
            identifier=fields.pop("identifier"),
        )
        if Person.objects.filter(identifier=number).exclude(pk=person.pk).exists():
            raise ValidationError({"identifier": [_("Det finns redan en person med det numret.")]})
        fields.update(identifier_kind=kind, identifier=number, birth_date=born or person.birth_date)
    if person.protected_identity and not authz.can(actor, Action.PERSON_VIEW_CONTACT, person):
        # Contact details of a protected person are neither shown nor overwritten from a form
        # that could not show them.
        for name in CONTACT_FIELDS:
            fields.pop(name, None)
    changed = _apply(person, fields)
    person.save()
    audit.record(
        actor=actor, action=AuditAction.PERSON_UPDATE, obj=person, detail={"fields": changed}
    )
    return person


CONTACT_FIELDS = ("address", "postal_code", "city", "phone", "email")


@transaction.atomic
def person_set_protected_identity(
    *, actor: Actor, person: Person, protected: bool, reason: str
) -> ProtectedIdentityChange:
    """Set or remove protected identity: only a registrar of an organisation with a relation to
    the person, with a reason that is recorded and shown on the person's page."""
    authz.require(actor, Action.PERSON_PROTECT, person)
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Ange skälet till ändringen.")]
    elif len(reason) > 1000:
        errors["reason"] = [_("Skälet får vara högst 1000 tecken.")]
    if protected == person.protected_identity:
        errors["protected"] = [
            _("Personen har redan skyddade personuppgifter.")
            if protected
            else _("Personen har inte skyddade personuppgifter.")
        ]
    if errors:
        raise ValidationError(errors)
    change = ProtectedIdentityChange(
        person=person,
        protected=protected,
        reason=reason,
        changed_by=actor.user,
        organisation=actor.organisation,
    )
    change.full_clean()
    person.protected_identity = protected
    person.save(update_fields=["protected_identity", "updated_at"])
    change.save()
    audit.record(
        actor=actor,
        action=AuditAction.PERSON_PROTECTED_IDENTITY,
        obj=person,
        ground="registrar",
        detail={"protected": protected, "change": change.pk},
    )
    return change


# Look-up ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LookupQuery:
    """A complete identity number, or (for a person without one) name and birth date."""

    identifier: str = ""
    given_name: str = ""
    family_name: str = ""
    birth_date: date | None = None


def person_lookup(*, actor: Actor, query: LookupQuery, reason: str) -> Person | None:
    """Find one person the actor has no relation with yet, by the complete identity number or,
    for a person with a reserve number, by name and birth date; never by a fragment. The
    look-up is audited with its reason, found or not, and opens the brief view and the start
    of a plan for PERSON_LOOKUP_HOURS. Bad input raises ValidationError and changes nothing."""
    authz.require(actor, Action.PERSON_LOOKUP)
    assert actor.user is not None  # a staff member
    assert actor.unit is not None
    candidates, by = _lookup_candidates(query, reason)  # the interface audits bad input
    found = candidates[0] if len(candidates) == 1 else None
    with transaction.atomic():
        PersonLookup.objects.create(user=actor.user, unit=actor.unit, person=found, reason=reason)
        audit.record(
            actor=actor,
            action=AuditAction.PERSON_LOOKUP,
            person=found,
            ground=str(LookupReason(reason).label),
            detail={"reason": reason, "by": by, "found": found is not None},
        )
    return found


def _lookup_candidates(query: LookupQuery, reason: str) -> tuple[list[Person], str]:
    errors: dict[str, list[str]] = {}
    if reason not in LookupReason.values:
        errors["reason"] = [_("Välj varför du slår upp personen.")]
    identifier = query.identifier.strip()
    by_name = bool(query.given_name.strip() or query.family_name.strip() or query.birth_date)
    if identifier:
        if re.fullmatch(r"[0-9 +-]+", identifier):
            try:
                number = parse_person_number(identifier).number
            except ValidationError as exc:
                errors["identifier"] = [
                    *exc.messages,
                    _("Ange hela numret: tolv siffror, eller tio med bindestreck."),
                ]
                number = ""
            lookup = Q(identifier=number)
        else:
            value = identifier.upper()
            if not re.fullmatch(r"[A-Z0-9_-]{3,40}", value):
                errors["identifier"] = [_("Ange ett fullständigt person- eller reservnummer.")]
            lookup = Q(identifier=value, identifier_kind=IdentifierKind.RESERVE)
        if errors:
            raise ValidationError(errors)
        return list(Person.objects.filter(lookup)[:2]), "number"
    if not by_name:
        errors["identifier"] = [
            _("Ange personnummer eller samordningsnummer, eller namn och födelsedatum.")
        ]
    else:
        for name in ("given_name", "family_name"):
            if not getattr(query, name).strip():
                errors[name] = [_("Ange hela namnet.")]
        if query.birth_date is None:
            errors["birth_date"] = [_("Ange födelsedatum.")]
    if errors:
        raise ValidationError(errors)
    # Only persons without an identity number are found this way: a personnummer holder is
    # found by the number, never by name and birth date.
    persons = Person.objects.filter(
        identifier_kind=IdentifierKind.RESERVE,
        given_name__iexact=query.given_name.strip(),
        family_name__iexact=query.family_name.strip(),
        birth_date=query.birth_date,
    )
    return list(persons[:2]), "name and birth date"


@transaction.atomic
def representative_add(*, actor: Actor, person: Person, **fields: Any) -> Representative:
    authz.require(actor, Action.REPRESENTATIVE_MANAGE, person)
    rep = Representative(person=person)
    _apply(rep, fields)
    _check_dates(rep)
    rep.save()
    audit.record(actor=actor, action=AuditAction.REPRESENTATIVE_ADD, obj=rep)
    return rep


@transaction.atomic
def representative_update(
    *, actor: Actor, representative: Representative, **fields: Any
) -> Representative:
    authz.require(actor, Action.REPRESENTATIVE_MANAGE, representative)
    changed = _apply(representative, fields)
    _check_dates(representative)
    representative.save()
    audit.record(
        actor=actor,
        action=AuditAction.REPRESENTATIVE_UPDATE,
        obj=representative,
        detail={"fields": changed},
    )
    return representative


@transaction.atomic
def representative_remove(*, actor: Actor, representative: Representative) -> str:
    """Remove a representative. One who has acted for the person (given consent, taken an
    initiative) stays in the history: the representation is ended instead. Returns "removed"
    or "ended"."""
    authz.require(actor, Action.REPRESENTATIVE_MANAGE, representative)
    from samplan.consent.models import Consent
    from samplan.plans.models import Plan

    acted = (
        Consent.objects.filter(given_by_representative=representative).exists()
        or Plan.objects.filter(on_behalf_of=representative).exists()
    )
    if not acted:
        audit.record(actor=actor, action=AuditAction.REPRESENTATIVE_REMOVE, obj=representative)
        representative.delete()
        return "removed"
    representative.valid_until = timezone.localdate()
    representative.may_see_plan = representative.may_see_meetings = False
    representative.may_attend_meetings = representative.may_act_for_person = False
    representative.user = None
    representative.save()
    audit.record(actor=actor, action=AuditAction.REPRESENTATIVE_END, obj=representative)
    return "ended"


def _check_dates(rep: Representative) -> None:
    if rep.valid_from and rep.valid_until and rep.valid_until < rep.valid_from:
        raise ValidationError({"valid_until": [_("Slutdatumet kan inte ligga före startdatumet.")]})


@transaction.atomic
def representatives_choose_own(
    *,
    actor: Actor,
    plan: Plan,
    may_see_plan: Iterable[int],
    may_see_meetings: Iterable[int],
) -> list[Representative]:
    """The person (or a guardian) chooses, from the own view of a plan, which of his or her
    next of kin and representatives may see the plan, and which its meetings. The others lose
    it on their next request. Recorded in the plan's history and audited."""
    from samplan.plans.models import PlanEvent

    authz.require(actor, Action.OWN_REPRESENTATIVES_CHOOSE, plan)
    person = plan.person
    reps = list(Representative.objects.select_for_update().filter(person=person).order_by("pk"))
    known = {r.pk for r in reps}
    seeing, meetings = set(may_see_plan), set(may_see_meetings)
    errors: dict[str, list[str]] = {}
    if seeing - known:
        errors["may_see_plan"] = [_("Välj bland dina närstående och företrädare.")]
    if meetings - known:
        errors["may_see_meetings"] = [_("Välj bland dina närstående och företrädare.")]
    if errors:
        raise ValidationError(errors)
    changed = []
    for rep in reps:
        wanted = (rep.pk in seeing, rep.pk in meetings)
        if (rep.may_see_plan, rep.may_see_meetings) != wanted:
            rep.may_see_plan, rep.may_see_meetings = wanted
            rep.save(update_fields=["may_see_plan", "may_see_meetings"])
            changed.append(rep)
    by = (
        "person" if actor.user is not None and person.user_id == actor.user.pk else "representative"
    )
    PlanEvent.objects.create(
        plan=plan,
        kind="representatives_chosen",
        actor=actor.user,
        unit=actor.unit,
        detail={"may_see_plan": sorted(seeing), "may_see_meetings": sorted(meetings), "by": by},
    )
    audit.record(
        actor=actor,
        action=AuditAction.REPRESENTATIVE_CHOOSE_OWN,
        obj=plan,
        person=person,
        detail={"changed": [r.pk for r in changed]},
    )
    return changed
