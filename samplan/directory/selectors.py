"""Reads from the registry. Personal data is read through the policy and audited."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet

from samplan.audit import services as audit
from samplan.audit.actions import AuditAction
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.directory.identity import parse_person_number
from samplan.directory.models import (
    Membership,
    Organisation,
    Person,
    ProtectedIdentityChange,
    Unit,
)

SEARCH_LIMIT = 50


def organisation_list(*, actor: Actor) -> QuerySet[Organisation]:
    return authz.visible_organisations(actor).annotate(unit_count=Count("units"))


def organisation_get(*, actor: Actor, pk: int) -> Organisation:
    org = authz.visible_organisations(actor).filter(pk=pk).first()
    if org is None:
        audit.record_denied(actor=actor, action=str(Action.ORGANISATION_VIEW))
        raise authz.Denied(Action.ORGANISATION_VIEW)
    return org


def organisation_get_for_manage(*, actor: Actor, pk: int) -> Organisation:
    org = authz.manageable_organisations(actor).filter(pk=pk).first()
    if org is None:
        audit.record_denied(actor=actor, action=str(Action.ORGANISATION_MANAGE))
        raise authz.Denied(Action.ORGANISATION_MANAGE)
    return org


def unit_list(*, organisation: Organisation) -> QuerySet[Unit]:
    return organisation.units.annotate(
        staff_count=Count("memberships", filter=Q(memberships__is_active=True))
    ).order_by("name")


def staff_list(*, organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(unit__organisation=organisation)
        .select_related("user", "unit")
        .order_by("user__last_name", "user__first_name", "unit__name")
    )


def persons_matching(persons: QuerySet[Person], query: str) -> QuerySet[Person]:
    """Persons whose identity number (ten or twelve digits, with or without separators), reserve
    number or names match `query`. The caller narrows `persons` and audits the search."""
    query = query.strip()
    digits = re.sub(r"[^0-9]", "", query)
    if len(digits) >= 10:
        try:
            number = parse_person_number(query).number
        except ValidationError:
            number = digits
        return persons.filter(Q(identifier=number) | Q(identifier__endswith=digits[-10:]))
    if re.fullmatch(r"[A-Za-z0-9_-]+", query) and any(c.isdigit() for c in query):
        return persons.filter(identifier__iexact=query)
    for term in query.split():
        persons = persons.filter(Q(given_name__icontains=term) | Q(family_name__icontains=term))
    return persons


def person_search(*, actor: Actor, query: str) -> list[Person]:
    """Find persons by identity number or name among those the acting unit already has a
    relation with: no browsing of the registry. Every person in the answer gets an audit
    event, in one step."""
    authz.require(actor, Action.PERSON_SEARCH)
    query = query.strip()
    if len(query) < 2:
        return []
    digits = re.sub(r"[^0-9]", "", query)
    found = persons_matching(authz.visible_persons(actor), query)
    result = list(found.order_by("family_name", "given_name")[:SEARCH_LIMIT])
    by = "number" if digits else "name"
    if result:
        audit.record_many(
            actor=actor,
            action=AuditAction.PERSON_SEARCH,
            entries=[{"person": p, "ground": "relation", "detail": {"by": by}} for p in result],
        )
    else:
        audit.record(actor=actor, action=AuditAction.PERSON_SEARCH, detail={"hits": [], "by": by})
    return result


def person_get(*, actor: Actor, pk: int) -> Person:
    """One person with identity, contact details and representatives, for a staff member whose
    unit has a relation with the person. The read is audited; a refusal looks like a missing
    person."""
    person = _read_related(actor, pk)
    if person is None:
        audit.record_denied(actor=actor, action=str(Action.PERSON_VIEW))
        raise authz.Denied(Action.PERSON_VIEW)
    return person


def _read_related(actor: Actor, pk: int) -> Person | None:
    """The person in full if the actor's unit has a relation with him or her: remembered for
    the request (authz.person_visible) and the read audited. None otherwise, unaudited."""
    person = authz.visible_persons(actor).filter(pk=pk).first()
    if person is not None:
        actor.visible_person_ids.add(person.pk)
        audit.record(actor=actor, action=AuditAction.PERSON_READ, obj=person, ground="relation")
    return person


@dataclass(frozen=True)
class PersonBrief:
    """What a look-up opens: enough to go on, nothing more."""

    pk: int
    given_name: str
    family_name: str
    birth_year: int | None
    protected_identity: bool

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @classmethod
    def of(cls, person: Person) -> PersonBrief:
        return cls(
            pk=person.pk,
            given_name=person.given_name,
            family_name=person.family_name,
            birth_year=person.birth_date.year if person.birth_date else None,
            protected_identity=person.protected_identity,
        )


@dataclass(frozen=True)
class PersonAccess:
    """A person as the actor may see him or her: in full (`person`) or briefly (`brief`)."""

    brief: PersonBrief
    person: Person | None


def person_get_for_actor(*, actor: Actor, pk: int) -> PersonAccess:
    """The person's page: in full where the unit has a relation, briefly after a look-up,
    otherwise not found. Audited either way."""
    person = _read_related(actor, pk)
    if person is not None:
        return PersonAccess(brief=PersonBrief.of(person), person=person)
    person = authz.briefly_visible_persons(actor).filter(pk=pk).first()
    if person is None:
        audit.record_denied(actor=actor, action=str(Action.PERSON_VIEW))
        raise authz.Denied(Action.PERSON_VIEW)
    audit.record(actor=actor, action=AuditAction.PERSON_READ_BRIEF, obj=person, ground="look-up")
    return PersonAccess(brief=PersonBrief.of(person), person=None)


def person_get_for_initiative(*, actor: Actor, pk: int) -> Person:
    """The person a plan is to be started for: related, or looked up a short while ago."""
    # The queryset is PLAN_INITIATE's person rule; asking `can` with the person would run it
    # again, so only the staff rule is asked here.
    person = authz.briefly_visible_persons(actor).filter(pk=pk).first()
    if person is None or not authz.can(actor, Action.PLAN_INITIATE):
        audit.record_denied(actor=actor, action=str(Action.PLAN_INITIATE))
        raise authz.Denied(Action.PLAN_INITIATE)
    audit.record(
        actor=actor, action=AuditAction.PERSON_READ_BRIEF, obj=person, ground="start a plan"
    )
    return person


def protected_identity_history(*, person: Person) -> QuerySet[ProtectedIdentityChange]:
    return person.protected_identity_changes.select_related("changed_by", "organisation")
