"""Writes to the registry. Keyword-only, with an explicit actor; checked, audited, atomic."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samplan.accounts.models import User
from samplan.audit import services as audit
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.directory.identity import normalise_org_number, parse_person_number
from samplan.directory.models import (
    IdentifierKind,
    Membership,
    Organisation,
    OrganisationRole,
    Person,
    Representative,
    Unit,
)


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
    audit.record(actor=actor, action="organisation.create", obj=org)
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
        actor=actor, action="organisation.update", obj=organisation, detail={"fields": changed}
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
    audit.record(actor=actor, action="unit.create", obj=unit)
    return unit


@transaction.atomic
def unit_update(*, actor: Actor, unit: Unit, **fields: Any) -> Unit:
    authz.require(actor, Action.ORGANISATION_MANAGE, unit.organisation)
    changed = _apply(unit, fields)
    unit.save()
    audit.record(actor=actor, action="unit.update", obj=unit, detail={"fields": changed})
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
    audit.record(actor=actor, action="staff.create", obj=membership)
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
    audit.record(actor=actor, action="membership.add", obj=membership, detail={"fields": changed})
    return membership


@transaction.atomic
def membership_end(*, actor: Actor, membership: Membership) -> Membership:
    authz.require(actor, Action.ORGANISATION_MANAGE, membership.unit.organisation)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    audit.record(actor=actor, action="membership.end", obj=membership)
    return membership


@transaction.atomic
def staff_set_active(*, actor: Actor, organisation: Organisation, user: User, active: bool) -> User:
    """Disable or enable an account. A disabled account's sessions end at once."""
    authz.require(actor, Action.ORGANISATION_MANAGE, organisation)
    if not user.memberships.filter(unit__organisation=organisation).exists():
        raise authz.Denied(Action.ORGANISATION_MANAGE, user)
    if actor.user is not None and user.pk == actor.user.pk and not active:
        raise ValidationError(_("Du kan inte stänga av ditt eget konto."))
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        from samplan.accounts.services import sessions_end_for_user

        sessions_end_for_user(user=user)
    audit.record(actor=actor, action="staff.enable" if active else "staff.disable", obj=user)
    return user


@transaction.atomic
def organisation_role_grant(
    *, actor: Actor, organisation: Organisation, user: User, kind: str
) -> OrganisationRole:
    authz.require(actor, Action.ORGANISATION_MANAGE, organisation)
    role, _created = OrganisationRole.objects.get_or_create(
        user=user, organisation=organisation, kind=kind
    )
    audit.record(actor=actor, action="organisation_role.grant", obj=role)
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
        raise ValidationError({"identifier": [_("Det finns redan en person med det numret.")]})
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
    audit.record(actor=actor, action="person.create", obj=person)
    return person


@transaction.atomic
def person_update(*, actor: Actor, person: Person, **fields: Any) -> Person:
    authz.require(actor, Action.PERSON_EDIT, person)
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
    audit.record(actor=actor, action="person.update", obj=person, detail={"fields": changed})
    return person


CONTACT_FIELDS = ("address", "postal_code", "city", "phone", "email")


@transaction.atomic
def representative_add(*, actor: Actor, person: Person, **fields: Any) -> Representative:
    authz.require(actor, Action.REPRESENTATIVE_MANAGE, person)
    rep = Representative(person=person)
    _apply(rep, fields)
    _check_dates(rep)
    rep.save()
    audit.record(actor=actor, action="representative.add", obj=rep)
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
        action="representative.update",
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
        audit.record(actor=actor, action="representative.remove", obj=representative)
        representative.delete()
        return "removed"
    representative.valid_until = timezone.localdate()
    representative.may_see_plan = representative.may_see_meetings = False
    representative.may_attend_meetings = representative.may_act_for_person = False
    representative.user = None
    representative.save()
    audit.record(actor=actor, action="representative.end", obj=representative)
    return "ended"


def _check_dates(rep: Representative) -> None:
    if rep.valid_from and rep.valid_until and rep.valid_until < rep.valid_from:
        raise ValidationError({"valid_until": [_("Slutdatumet kan inte ligga före startdatumet.")]})
