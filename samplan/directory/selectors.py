"""Reads from the registry, narrowed by the policy and not audited: a person is reached through
samplan/authz/access/persons.py, which records the read."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet

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
        raise authz.refuse(actor, Action.ORGANISATION_VIEW)
    return org


def organisation_get_for_manage(*, actor: Actor, pk: int) -> Organisation:
    org = authz.manageable_organisations(actor).filter(pk=pk).first()
    if org is None:
        raise authz.refuse(actor, Action.ORGANISATION_MANAGE)
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


def protected_identity_history(*, person: Person) -> QuerySet[ProtectedIdentityChange]:
    return person.protected_identity_changes.select_related("changed_by", "organisation")
