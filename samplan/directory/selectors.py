"""Reads from the registry. Personal data is read through the policy and audited."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet

from samplan.audit import services as audit
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.directory.identity import parse_person_number
from samplan.directory.models import Membership, Organisation, Person, Unit

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
    """Find persons by identity number or name. Every search is audited, with its hits."""
    authz.require(actor, Action.PERSON_SEARCH)
    query = query.strip()
    if len(query) < 2:
        return []
    digits = re.sub(r"[^0-9]", "", query)
    found = persons_matching(authz.visible_persons(actor), query)
    result = list(found.order_by("family_name", "given_name")[:SEARCH_LIMIT])
    audit.record(
        actor=actor,
        action="person.search",
        detail={"hits": [p.pk for p in result], "by": "number" if digits else "name"},
    )
    return result


def person_get(*, actor: Actor, pk: int) -> Person:
    """One person, for display. The read is audited; a refusal looks like a missing person."""
    person = authz.visible_persons(actor).filter(pk=pk).first()
    if person is None:
        audit.record_denied(actor=actor, action=str(Action.PERSON_VIEW))
        raise authz.Denied(Action.PERSON_VIEW)
    authz.require(actor, Action.PERSON_VIEW, person)
    audit.record(actor=actor, action="person.read", obj=person, ground="staff")
    return person
