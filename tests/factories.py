"""factory_boy factories with named states, for tests that need their own small world beside
the shared demo world. Identity numbers are valid in form and fictitious."""

from __future__ import annotations

import datetime
from typing import Any

import factory
from django.utils import timezone

from samplan.accounts.models import User
from samplan.consent.models import Consent, ConsentDecision, ConsentMethod, InformationKind
from samplan.demo.world import person_number
from samplan.directory.identity import luhn_check_digit
from samplan.directory.models import (
    IdentifierKind,
    Membership,
    Organisation,
    OrganisationKind,
    Person,
    Profession,
    Representative,
    RepresentativeKind,
    Unit,
    UnitKind,
)
from samplan.notify.workdays import add_working_days
from samplan.plans.models import (
    FollowUp,
    Goal,
    Intervention,
    InterventionStatus,
    Need,
    NeedKind,
    Participant,
    Plan,
    PlanState,
    PlanVersion,
)


def _org_number(n: int) -> str:
    nine = f"21{n:07d}"  # third digit >= 2 for a legal entity
    nine = nine[:2] + "2" + nine[3:]
    return f"{nine[:6]}-{nine[6:]}{luhn_check_digit(nine)}"


class OrganisationFactory(factory.django.DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Testkommun {n}")
    kind = OrganisationKind.MUNICIPALITY
    org_number = factory.Sequence(lambda n: _org_number(900000 + n))

    class Params:
        region = factory.Trait(
            kind=OrganisationKind.REGION, name=factory.Sequence(lambda n: f"Testregion {n}")
        )
        school = factory.Trait(
            kind=OrganisationKind.SCHOOL, name=factory.Sequence(lambda n: f"Testskolan {n}")
        )


class UnitFactory(factory.django.DjangoModelFactory[Unit]):
    class Meta:
        model = Unit

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Enhet {n}")
    kind = UnitKind.SOCIAL_PSYCHIATRY
    email = factory.Sequence(lambda n: f"enhet{n}@test.example")

    class Params:
        psychiatry = factory.Trait(
            kind=UnitKind.PSYCHIATRY,
            organisation=factory.SubFactory(OrganisationFactory, region=True),
        )


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"testare{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Testsson{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@test.example")
    password = factory.django.Password("ett-långt-testlösenord")

    class Params:
        disabled = factory.Trait(is_active=False)


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    profession = Profession.CASE_OFFICER


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person

    class Params:
        born = datetime.date(1980, 5, 17)
        serial = factory.Sequence(lambda n: 100 + n % 800)
        child = factory.Trait(born=datetime.date(2015, 3, 9))
        protected = factory.Trait(protected_identity=True, address="", city="", phone="")
        coordination = factory.Trait(identifier_kind=IdentifierKind.SAMORDNINGSNUMMER)

    identifier_kind = IdentifierKind.PERSONNUMMER
    identifier = factory.LazyAttribute(
        lambda p: person_number(
            p.born, p.serial, coordination=p.identifier_kind == IdentifierKind.SAMORDNINGSNUMMER
        )
    )
    birth_date = factory.LazyAttribute(lambda p: p.born)
    given_name = "Testa"
    family_name = factory.Sequence(lambda n: f"Testperson{n}")
    address = "Testgatan 1"
    city = "Testby"
    phone = "070-000 00 00"


class RepresentativeFactory(factory.django.DjangoModelFactory[Representative]):
    class Meta:
        model = Representative

    person = factory.SubFactory(PersonFactory)
    kind = RepresentativeKind.NEXT_OF_KIN
    name = "Närmast Anhörig"

    class Params:
        guardian = factory.Trait(
            kind=RepresentativeKind.GUARDIAN,
            may_see_plan=True,
            may_see_meetings=True,
            may_attend_meetings=True,
            may_act_for_person=True,
        )


class PlanFactory(factory.django.DjangoModelFactory[Plan]):
    """A plan in a named state, made real enough for the services and the policy to accept:

    - default: an initiative (state INITIATED), with the initiating unit taking part and the
      initiating user working there;
    - `established`: a municipality and a region take part, an active consent covers both,
      the content satisfies the completeness check (need, goal, intervention, lead
      organisation, coordinator with contact details, time plan, evaluation, a follow-up),
      and version 1 is frozen from it;
    - `closed`: established, then closed with a reason and a time.

    The objects are written directly, without the services' events and audit rows: tests of
    the lifecycle's history use the services."""

    class Meta:
        model = Plan
        skip_postgeneration_save = True

    person = factory.SubFactory(PersonFactory)
    initiating_unit = factory.SubFactory(UnitFactory)
    initiating_user = factory.SubFactory(UserFactory)
    initiated_on = factory.LazyFunction(timezone.localdate)
    meeting_deadline = factory.LazyAttribute(lambda p: add_working_days(p.initiated_on, 10))
    reasons: Any = factory.LazyFunction(lambda: ["several_services"])
    state = PlanState.INITIATED

    class Params:
        with_content = False
        established = factory.Trait(state=PlanState.ESTABLISHED, with_content=True)
        closed = factory.Trait(
            state=PlanState.CLOSED,
            with_content=True,
            closure_reason="goals_reached",
            closed_at=factory.LazyFunction(timezone.now),
        )

    @factory.post_generation
    def world(obj: Plan, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        Membership.objects.get_or_create(user=obj.initiating_user, unit=obj.initiating_unit)
        Participant.objects.get_or_create(plan=obj, unit=obj.initiating_unit)
        if obj.versions.exists() or obj.state == PlanState.INITIATED:
            return
        _give_content(obj)


def _give_content(plan: Plan) -> None:
    """What an established plan holds, and its version 1."""
    from samplan.plans.services import plan_snapshot

    region_unit = UnitFactory.create(psychiatry=True)
    Participant.objects.create(plan=plan, unit=region_unit)
    municipality = plan.initiating_unit.organisation
    consent = Consent.objects.create(
        plan=plan,
        decision=ConsentDecision.GIVEN,
        method=ConsentMethod.ORAL,
        information_kinds=list(InformationKind.values),
        given_at=timezone.now(),
        recorded_by=plan.initiating_user,
        recorded_unit=plan.initiating_unit,
    )
    consent.organisations.set([municipality, region_unit.organisation])
    Need.objects.create(plan=plan, kind=NeedKind.NEED, description="Stöd i vardagen")
    goal = Goal.objects.create(plan=plan, shared_goal="Eget boende", person_words="Bo själv")
    Intervention.objects.create(
        plan=plan,
        description="Boendestöd",
        responsible_organisation=municipality,
        status=InterventionStatus.DECIDED,
        goal=goal,
    )
    FollowUp.objects.create(
        plan=plan, due_date=timezone.localdate() + datetime.timedelta(days=90), what="Boendet"
    )
    plan.lead_organisation = municipality
    plan.coordinator = plan.initiating_user
    plan.coordinator_unit = plan.initiating_unit
    plan.coordinator_phone = "010-000 00 00"
    plan.coordinator_email = plan.initiating_user.email
    plan.time_plan = "Möte var tredje månad"
    plan.evaluation_plan = "Målen följs upp i juni"
    plan.save()
    PlanVersion.objects.create(
        plan=plan,
        number=1,
        content=plan_snapshot(plan),
        established_at=timezone.now(),
        established_by=plan.initiating_user,
    )


def look_up(actor: Any, person: Person, reason: str = "start_plan") -> Person:
    """A staff member's explicit look-up of a person the unit has no relation with yet, as the
    pages do before starting a plan: it opens the start of a plan for a while."""
    from samplan.directory import services as directory

    found = directory.person_lookup(
        actor=actor, query=directory.LookupQuery(identifier=person.identifier), reason=reason
    )
    assert found == person
    return person


def relate(username: str, person: Person) -> Any:
    """Give the user's unit a relation with `person` the way the pages do: a look-up with a
    reason, then a plan started. Returns the plan."""
    from samplan.authz.actor import Actor
    from samplan.plans import services as plans

    actor = Actor.for_user(User.objects.get(username=username))
    return plans.plan_initiate(
        actor=actor, person=look_up(actor, person), reasons=["several_services"]
    )
