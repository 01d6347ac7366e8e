"""Access rules that used to live outside the policy module (issue 10), each now a named rule
in samplan/authz/policy.py: a refused and an allowed case for each."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from samplan.accounts.models import User
from samplan.audit.models import AuditEvent, Outcome
from samplan.audit.services import record
from samplan.authz import access
from samplan.authz import policy as authz
from samplan.authz.actor import ACTING_UNIT_SESSION_KEY, Actor
from samplan.authz.policy import Action, Denied
from samplan.directory.models import Organisation, Person, Unit
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor_of(demo_user: Callable[[str], User]) -> Callable[[str], Actor]:
    return lambda username: Actor.for_user(demo_user(username))


def _denied(user: User, action: str) -> AuditEvent | None:
    return (
        AuditEvent.objects.filter(actor=user, action=action, outcome=Outcome.DENIED)
        .order_by("-pk")
        .first()
    )


# A reviewer reaches only persons the reviewed organisations' staff have touched ---------------


def test_a_reviewer_reaches_a_person_the_own_staff_touched(
    actor_of: Callable[[str], Actor],
) -> None:
    reviewer = actor_of("granskare.ekbacka")
    person = PersonFactory.create(given_name="Rutger", family_name="Granskad")
    record(actor=actor_of("karin.holm"), action="person.read", obj=person, ground="x")
    assert authz.can(reviewer, Action.AUDIT_EXTRACT_REVIEW, person)
    scope = authz.audit_extract_scope(reviewer, person)
    assert scope == [Organisation.objects.get(name="Ekbacka kommun")]
    extract = access.access_audit_extract(actor=reviewer, person=person, fmt="csv")
    assert len(extract.rows) == 1
    found = access.access_review_person_lookup(actor=reviewer, query="Rutger Granskad")
    assert found == [person]


def test_a_reviewer_is_refused_a_person_the_own_staff_never_touched(
    actor_of: Callable[[str], Actor],
) -> None:
    reviewer = actor_of("granskare.ekbacka")
    person = PersonFactory.create(given_name="Rutger", family_name="Orörd")
    # Read by the region's staff: in the region's log, not in Ekbacka's.
    record(actor=actor_of("sara.lind"), action="person.read", obj=person, ground="x")
    assert not authz.can(reviewer, Action.AUDIT_EXTRACT_REVIEW, person)
    with pytest.raises(Denied):
        access.access_audit_extract(actor=reviewer, person=person, fmt="csv")
    assert reviewer.user is not None
    assert _denied(reviewer.user, "audit.extract_review") is not None
    assert access.access_review_person_lookup(actor=reviewer, query="Rutger Orörd") == []
    # The region's reviewer does reach the person.
    assert authz.can(actor_of("granskare.region"), Action.AUDIT_EXTRACT_REVIEW, person)


def test_staff_without_the_reviewer_role_reach_no_extract(
    actor_of: Callable[[str], Actor],
) -> None:
    karin = actor_of("karin.holm")
    person = PersonFactory.create()
    record(actor=karin, action="person.read", obj=person, ground="x")
    assert not authz.reviewable_persons(karin).exists()
    with pytest.raises(Denied):
        authz.audit_extract_scope(karin, person)
    assert karin.user is not None
    assert _denied(karin.user, "audit.extract_own") is not None


# The acting unit ------------------------------------------------------------------------------


def test_the_acting_unit_is_one_the_user_works_in(
    login: Callable[[str], Client], actor_of: Callable[[str], Actor]
) -> None:
    sara = actor_of("sara.lind")
    second = sara.memberships[1].unit
    assert authz.can(sara, Action.ACTING_UNIT_SET, second.pk)
    client = login("sara.lind")
    client.post(reverse("acting_unit_set"), {"unit": str(second.pk)})
    assert client.session[ACTING_UNIT_SESSION_KEY] == second.pk


def test_another_unit_is_refused_and_audited(
    login: Callable[[str], Client], actor_of: Callable[[str], Actor]
) -> None:
    sara = actor_of("sara.lind")
    other = Unit.objects.exclude(pk__in=[m.unit_id for m in sara.memberships]).first()
    assert other is not None
    assert not authz.can(sara, Action.ACTING_UNIT_SET, other.pk)
    assert not authz.can(sara, Action.ACTING_UNIT_SET, None)
    client = login("sara.lind")
    for value in (str(other.pk), "x", "9" * 30):
        client.post(reverse("acting_unit_set"), {"unit": value})
        assert ACTING_UNIT_SESSION_KEY not in client.session
    assert sara.user is not None
    assert (
        AuditEvent.objects.filter(
            actor=sara.user, action="acting_unit.set", outcome=Outcome.DENIED
        ).count()
        == 3
    )


# The header's log-review link ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "shown"), [("granskare.ekbacka", True), ("karin.holm", False)]
)
def test_the_log_review_link_follows_the_policy(
    login: Callable[[str], Client],
    actor_of: Callable[[str], Actor],
    username: str,
    shown: bool,
) -> None:
    assert authz.is_log_reviewer(actor_of(username)) is shown
    response = login(username).get("/")
    assert response.context["can_review_log"] is shown


def test_a_person_is_not_reviewable_by_nobody() -> None:
    person: Person = PersonFactory.create()
    assert not authz.reviewable_persons(Actor(user=None)).filter(pk=person.pk).exists()
