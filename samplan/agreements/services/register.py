"""Writes of the agreements register, SIP leads and fixed SIP times: keyword-only, explicit
actor, checked by the policy first, audited in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from samplan.accounts.models import User
from samplan.agreements.models import Agreement, AgreementContact, SipLead, SipTime, Weekday
from samplan.audit import services as audit
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.directory.models import Membership, Organisation, OrganisationRoleKind, Unit
from samplan.plans.models import NeedGroup


@dataclass(frozen=True)
class AgreementFields:
    title: str
    parties: tuple[Organisation, ...]
    valid_from: date
    valid_to: date | None = None
    scope: str = ""
    target_groups: tuple[str, ...] = ()
    escalation: str = ""
    document_url: str = ""


def _check_agreement(fields: AgreementFields) -> None:
    errors: dict[str, list[str]] = {}
    if not fields.title.strip():
        errors["title"] = [_("Ange överenskommelsens rubrik.")]
    if len({p.pk for p in fields.parties}) < 2:
        errors["parties"] = [_("En överenskommelse har minst två parter.")]
    if fields.valid_to is not None and fields.valid_to < fields.valid_from:
        errors["valid_to"] = [_("Slutdatumet kan inte vara före startdatumet.")]
    unknown = [g for g in fields.target_groups if g not in NeedGroup.values]
    if unknown:
        errors["target_groups"] = [_("Okänd målgrupp.")]
    if errors:
        raise ValidationError(errors)


def _administered_party(actor: Actor, parties: Iterable[Organisation]) -> Organisation:
    """The party through whose administrator the actor writes. An actor who administers no
    organisation at all is refused (audited, 404); an administrator who names only other
    organisations is told so next to the field (the list of organisations is no secret)."""
    party_list = list(parties)
    for party in party_list:
        if authz.can(actor, Action.AGREEMENT_EDIT, party):
            return party
    if actor.is_superuser or actor.organisations_with_role(OrganisationRoleKind.ADMIN):
        raise ValidationError(
            {"parties": [_("Minst en part måste vara en organisation som du administrerar.")]}
        )
    raise authz.refuse(actor, Action.AGREEMENT_EDIT, party_list[0] if party_list else None)


def _apply(agreement: Agreement, fields: AgreementFields) -> None:
    agreement.title = fields.title.strip()
    agreement.scope = fields.scope.strip()
    agreement.target_groups = list(dict.fromkeys(fields.target_groups))
    agreement.escalation = fields.escalation.strip()
    agreement.valid_from = fields.valid_from
    agreement.valid_to = fields.valid_to
    agreement.document_url = fields.document_url.strip()
    agreement.full_clean()


def _save(
    actor: Actor, agreement: Agreement, fields: AgreementFields, *, party: Organisation, action: str
) -> Agreement:
    """Check, write and audit an agreement (new or changed) with its parties."""
    _check_agreement(fields)
    _apply(agreement, fields)
    agreement.save()
    agreement.parties.set(fields.parties)
    audit.record(
        actor=actor,
        action=action,
        obj=agreement,
        organisation=party,
        detail={"parties": sorted(p.pk for p in fields.parties)},
    )
    return agreement


@transaction.atomic
def agreement_create(*, actor: Actor, fields: AgreementFields) -> Agreement:
    """An administrator of one of the parties registers an agreement."""
    party = _administered_party(actor, fields.parties)
    return _save(actor, Agreement(), fields, party=party, action="agreement.create")


@transaction.atomic
def agreement_update(*, actor: Actor, agreement: Agreement, fields: AgreementFields) -> Agreement:
    """Change an agreement. The actor must administer a party before and after the change, so
    that nobody removes his or her own organisation and keeps writing."""
    authz.require(actor, Action.AGREEMENT_EDIT, agreement)
    Agreement.objects.select_for_update().filter(pk=agreement.pk).first()
    party = _administered_party(actor, fields.parties)
    return _save(actor, agreement, fields, party=party, action="agreement.update")


@transaction.atomic
def agreement_contact_add(
    *,
    actor: Actor,
    agreement: Agreement,
    organisation: Organisation,
    name: str,
    email: str,
    user: User | None = None,
) -> AgreementContact:
    """A named contact of a party: gets the mail when a dispute under the agreement is
    recorded."""
    authz.require(actor, Action.AGREEMENT_EDIT, agreement)
    if not agreement.parties.filter(pk=organisation.pk).exists():
        raise ValidationError(
            {"organisation": [_("Kontaktpersonen måste höra till en part i överenskommelsen.")]}
        )
    contact = AgreementContact(
        agreement=agreement, organisation=organisation, name=name.strip(), email=email.strip()
    )
    contact.user = user
    contact.full_clean()
    contact.save()
    audit.record(
        actor=actor,
        action="agreement.update",
        obj=agreement,
        organisation=organisation,
        detail={"contact_added": contact.pk},
    )
    return contact


@transaction.atomic
def agreement_contact_remove(*, actor: Actor, contact: AgreementContact) -> None:
    agreement = contact.agreement
    authz.require(actor, Action.AGREEMENT_EDIT, agreement)
    pk = contact.pk
    contact.delete()
    audit.record(
        actor=actor, action="agreement.update", obj=agreement, detail={"contact_removed": pk}
    )


# SIP leads and fixed SIP times ----------------------------------------------------------------


@transaction.atomic
def sip_lead_add(*, actor: Actor, organisation: Organisation, user: User) -> SipLead:
    """Name a SIP lead: someone who works in one of the organisation's units."""
    authz.require(actor, Action.SIP_SETTINGS_MANAGE, organisation)
    works_there = Membership.objects.filter(
        user=user, unit__organisation=organisation, is_active=True
    ).exists()
    if not works_there:
        raise ValidationError({"user": [_("Välj någon som arbetar i organisationen.")]})
    if SipLead.objects.filter(organisation=organisation, user=user).exists():
        raise ValidationError({"user": [_("Personen är redan SIP-ansvarig.")]})
    lead = SipLead.objects.create(organisation=organisation, user=user)
    audit.record(
        actor=actor,
        action="sip_lead.add",
        obj=lead,
        organisation=organisation,
        detail={"user": user.pk},
    )
    return lead


@transaction.atomic
def sip_lead_remove(*, actor: Actor, lead: SipLead) -> None:
    organisation = lead.organisation
    authz.require(actor, Action.SIP_SETTINGS_MANAGE, organisation)
    detail = {"user": lead.user_id, "lead": lead.pk}
    lead.delete()
    audit.record(actor=actor, action="sip_lead.remove", organisation=organisation, detail=detail)


def partner_ids(organisation: Organisation, since: date) -> set[int]:
    """The organisation and those it has an agreement with that has not ended before `since`:
    a fixed SIP time is often kept jointly by a municipality's and the region's units."""
    agreements = Agreement.objects.filter(parties=organisation).exclude(valid_to__lt=since)
    ids = set(
        Agreement.parties.through.objects.filter(agreement__in=agreements).values_list(
            "organisation_id", flat=True
        )
    )
    return ids | {organisation.pk}


def _overlaps(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return (b_to is None or a_from <= b_to) and (a_to is None or b_from <= a_to)


def _check_sip_time(
    *,
    organisation: Organisation,
    weekday: int,
    start: time,
    end: time,
    units: list[Unit],
    valid_from: date,
    valid_to: date | None,
) -> None:
    errors: dict[str, list[str]] = {}
    if weekday not in Weekday.values:
        errors["weekday"] = [_("Välj en veckodag.")]
    if end <= start:
        errors["end"] = [_("Tiden måste sluta efter att den börjar.")]
    if valid_to is not None and valid_to < valid_from:
        errors["valid_to"] = [_("Slutdatumet kan inte vara före startdatumet.")]
    if not units:
        errors["units"] = [_("Välj minst en enhet som håller tiden fri.")]
    elif not {u.organisation_id for u in units} <= partner_ids(organisation, valid_from):
        errors["units"] = [
            _(
                "Välj enheter i den egna organisationen eller hos en organisation som ni har "
                "en gällande överenskommelse med."
            )
        ]
    if errors:
        raise ValidationError(errors)
    same_units = SipTime.objects.filter(
        units__in=[u.pk for u in units], weekday=weekday, start__lt=end, end__gt=start
    ).distinct()
    for other in same_units:
        if _overlaps(valid_from, valid_to, other.valid_from, other.valid_to):
            raise ValidationError(
                {
                    "start": [
                        _("Tiden överlappar en annan fast SIP-tid för samma enheter (%(other)s).")
                        % {"other": other}
                    ]
                }
            )


@transaction.atomic
def sip_time_add(
    *,
    actor: Actor,
    organisation: Organisation,
    weekday: int,
    start: time,
    end: time,
    units: Iterable[Unit],
    valid_from: date,
    valid_to: date | None = None,
) -> SipTime:
    """Publish a recurring weekly SIP time that these units of the organisation keep free."""
    authz.require(actor, Action.SIP_SETTINGS_MANAGE, organisation)
    unit_list = list(units)
    # Serialise the organisation's SIP times, so that two overlapping ones cannot both pass.
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    _check_sip_time(
        organisation=organisation,
        weekday=weekday,
        start=start,
        end=end,
        units=unit_list,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    sip_time = SipTime.objects.create(
        organisation=organisation,
        weekday=weekday,
        start=start,
        end=end,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    sip_time.units.set(unit_list)
    audit.record(
        actor=actor,
        action="sip_time.add",
        obj=sip_time,
        organisation=organisation,
        detail={"units": sorted(u.pk for u in unit_list)},
    )
    return sip_time


@transaction.atomic
def sip_time_end(*, actor: Actor, sip_time: SipTime, valid_to: date) -> SipTime:
    """The last day a SIP time is kept (meetings booked on it keep their link)."""
    authz.require(actor, Action.SIP_SETTINGS_MANAGE, sip_time.organisation)
    if valid_to < sip_time.valid_from:
        raise ValidationError({"valid_to": [_("Slutdatumet kan inte vara före startdatumet.")]})
    sip_time.valid_to = valid_to
    sip_time.save(update_fields=["valid_to"])
    audit.record(
        actor=actor,
        action="sip_time.end",
        obj=sip_time,
        organisation=sip_time.organisation,
        detail={"valid_to": valid_to.isoformat()},
    )
    return sip_time
