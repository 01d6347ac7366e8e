"""The factories make valid objects in their named states."""

import pytest

from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent.models import Consent
from samplan.directory.identity import parse_person_number
from samplan.directory.models import IdentifierKind, OrganisationKind
from samplan.directory.services import normalise_person_identifier
from samplan.plans.completeness import plan_missing_items
from samplan.plans.models import PlanState
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    PlanFactory,
    RepresentativeFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db


def test_organisations_and_units_are_valid() -> None:
    municipality = OrganisationFactory.create()
    municipality.full_clean()
    assert OrganisationFactory.create(region=True).kind == OrganisationKind.REGION
    unit = UnitFactory.create(psychiatry=True)
    assert unit.organisation.kind == OrganisationKind.REGION
    assert MembershipFactory.create(unit=unit).user.check_password("ett-långt-testlösenord")


def test_persons_in_their_states_have_valid_numbers() -> None:
    adult = PersonFactory.create()
    assert parse_person_number(adult.identifier).number == adult.identifier
    child = PersonFactory.create(child=True)
    assert child.birth_date is not None
    assert child.birth_date.year == 2015
    coordination = PersonFactory.create(coordination=True)
    kind, number, _born = normalise_person_identifier(
        kind=coordination.identifier_kind, identifier=coordination.identifier
    )
    assert (kind, number) == (IdentifierKind.SAMORDNINGSNUMMER, coordination.identifier)
    protected = PersonFactory.create(protected=True)
    assert protected.protected_identity
    assert protected.address == ""
    guardian = RepresentativeFactory.create(guardian=True, person=child)
    assert guardian.may_act_for_person


def test_plans_in_named_states() -> None:
    initiated = PlanFactory.create()
    assert initiated.state == PlanState.INITIATED
    assert not initiated.versions.exists()
    assert initiated.participants.get().unit == initiated.initiating_unit

    established = PlanFactory.create(established=True)
    assert established.state == PlanState.ESTABLISHED
    # A real established plan: a consent that covers every organisation taking part, version
    # 1, and nothing the completeness check asks for is missing.
    consent = Consent.objects.active().get(plan=established)
    taking_part = set(established.participants.values_list("unit__organisation", flat=True))
    assert taking_part <= {o.pk for o in consent.organisations.all()}
    assert len(taking_part) == 2
    assert list(established.versions.values_list("number", flat=True)) == [1]
    assert plan_missing_items(plan=established) == []
    # The initiating user coordinates it and may edit it through his or her unit.
    coordinator = Actor.for_user(established.initiating_user)
    assert authz.can(coordinator, Action.PLAN_EDIT, established)

    closed = PlanFactory.create(closed=True)
    assert (closed.state, closed.closure_reason) == (PlanState.CLOSED, "goals_reached")
    assert closed.closed_at is not None
    assert closed.versions.count() == 1
