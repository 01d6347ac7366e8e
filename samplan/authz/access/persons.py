"""Reaching the person registry: a person's page, a name search, the start of a plan.

Who may see whom is the policy's ("Persons" in samplan/authz/policy.py: a relation of the
acting unit, or a recent look-up for the brief view); the helpers here apply it, audit each
person shown or the refusal, and remember for the request which persons the actor saw in full
(`Actor.visible_person_ids`, read by `policy.person_visible`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from samplan.audit import services as audit_log
from samplan.audit.actions import AuditAction
from samplan.authz import policy
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.directory.models import Person
from samplan.directory.selectors import SEARCH_LIMIT, PersonBrief, persons_matching


@dataclass(frozen=True)
class PersonAccess:
    """A person as the actor may see him or her: in full (`person`, with the ground
    "relation") or briefly after a look-up (`brief` only, ground "look-up")."""

    brief: PersonBrief
    person: Person | None
    ground: str


def _read_related(actor: Actor, person_id: int) -> Person | None:
    """The person in full if the acting unit has a relation with him or her: remembered for
    the request and the read audited. None otherwise, unaudited."""
    person = policy.visible_persons(actor).filter(pk=person_id).first()
    if person is not None:
        actor.visible_person_ids.add(person.pk)
        audit_log.record(actor=actor, action=AuditAction.PERSON_READ, obj=person, ground="relation")
    return person


def access_person(*, actor: Actor, person_id: int) -> Person:
    """One person with identity, contact details and representatives, for a staff member whose
    unit has a relation with the person. A refusal looks like a missing person."""
    person = _read_related(actor, person_id)
    if person is None:
        raise policy.refuse(actor, Action.PERSON_VIEW)
    return person


def access_person_page(*, actor: Actor, person_id: int) -> PersonAccess:
    """The person's page: in full where the unit has a relation, briefly after a look-up,
    otherwise not found. Audited either way."""
    person = _read_related(actor, person_id)
    if person is not None:
        return PersonAccess(brief=PersonBrief.of(person), person=person, ground="relation")
    person = policy.briefly_visible_persons(actor).filter(pk=person_id).first()
    if person is None:
        raise policy.refuse(actor, Action.PERSON_VIEW)
    audit_log.record(
        actor=actor, action=AuditAction.PERSON_READ_BRIEF, obj=person, ground="look-up"
    )
    return PersonAccess(brief=PersonBrief.of(person), person=None, ground="look-up")


def access_person_for_initiative(*, actor: Actor, person_id: int) -> Person:
    """The person a plan is to be started for: related, or looked up a short while ago."""
    # The queryset is PLAN_INITIATE's person rule; asking `can` with the person would run it
    # again, so only the staff rule is asked here.
    person = policy.briefly_visible_persons(actor).filter(pk=person_id).first()
    if person is None or not policy.can(actor, Action.PLAN_INITIATE):
        raise policy.refuse(actor, Action.PLAN_INITIATE)
    audit_log.record(
        actor=actor, action=AuditAction.PERSON_READ_BRIEF, obj=person, ground="start a plan"
    )
    return person


def access_person_search(*, actor: Actor, query: str) -> list[Person]:
    """Find persons by identity number or name among those the acting unit already has a
    relation with: no browsing of the registry. Every person in the answer gets an audit
    event, in one insert; a search that finds no one is recorded too."""
    policy.require(actor, Action.PERSON_SEARCH)
    query = query.strip()
    if len(query) < 2:
        return []
    by = "number" if re.sub(r"[^0-9]", "", query) else "name"
    found = persons_matching(policy.visible_persons(actor), query)
    result = list(found.order_by("family_name", "given_name")[:SEARCH_LIMIT])
    if result:
        audit_log.record_many(
            actor=actor,
            action=AuditAction.PERSON_SEARCH,
            entries=[{"person": p, "ground": "relation", "detail": {"by": by}} for p in result],
        )
    else:
        audit_log.record(
            actor=actor, action=AuditAction.PERSON_SEARCH, detail={"hits": [], "by": by}
        )
    return result
