"""The one policy module: who may do what with which object.

Every view, command and (later) API endpoint asks here; nothing else checks roles. `can`
answers yes or no, `require` raises and audits a refusal, and the `visible_*` functions
narrow querysets to what an actor may see. A refusal to see an object is reported as
"not found", the same answer as for a missing object, so ids cannot be probed.

Over 600 lines on purpose: who may see a plan, a person and which parts of them (partial
consent) are one set of rules that read each other, and the point is that they live here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from samplan.authz.actor import Actor
from samplan.consent.models import Consent, InformationKind, information_kind_of
from samplan.directory.models import (
    Organisation,
    OrganisationRoleKind,
    Person,
    Representative,
    Unit,
)


class Action(StrEnum):
    ORGANISATION_VIEW = "organisation.view"
    ORGANISATION_CREATE = "organisation.create"
    ORGANISATION_MANAGE = "organisation.manage"  # edit it, its units and its staff accounts
    PERSON_SEARCH = "person.search"  # by name or number, among related persons only
    PERSON_LOOKUP = "person.lookup"  # one person by complete identity number, with a reason
    PERSON_CREATE = "person.create"
    PERSON_VIEW = "person.view"  # identity, representatives, plans: needs a relation
    PERSON_VIEW_BRIEF = "person.view_brief"  # name, birth year, protected: relation or look-up
    PERSON_VIEW_CONTACT = "person.view_contact"
    PERSON_EDIT = "person.edit"
    PERSON_PROTECT = "person.protect"  # set or remove protected identity
    REPRESENTATIVE_MANAGE = "representative.manage"
    PLAN_INITIATE = "plan.initiate"  # obj: the person, or None for "may start plans at all"
    PLAN_VIEW = "plan.view"
    PLAN_EDIT = "plan.edit"  # the draft, meetings, invitations, establish, revise, close
    CONSENT_RECORD = "consent.record"
    INTERVENTION_EDIT = "intervention.edit"
    INVITATION_ANSWER = "invitation.answer"
    FOLLOW_UP_RECORD = "follow_up.record"
    DEVIATION_REPORT = "deviation.report"
    DEVIATION_HANDLE = "deviation.handle"
    AUDIT_REVIEW = "audit.review"  # log review of an organisation's staff
    AUDIT_EXTRACT_OWN = "audit.extract_own"  # a person's extract of who read his or her data
    # A reviewer's extract for a person, or a reviewer's look-up of a person to filter the log
    # by: only persons whom the reviewed organisations' staff have touched (reviewable_persons).
    AUDIT_EXTRACT_REVIEW = "audit.extract_review"
    ACTING_UNIT_SET = "acting_unit.set"  # obj: a unit id; only a unit the user works in
    # A manager's figures: decided by statistics_organisation (section "Statistics"),
    # refused through refuse(); not one of can()'s cases.
    STATISTICS_VIEW = "statistics.view"
    OWN_PLAN_VIEW = "plan.view_own"  # the person, or a representative the person allows
    # The person's own decisions about his or her plan (issue 11), taken in the own view: the
    # person (an adult), or a representative who may act for the person (a child's
    # guardian). Each value is also the audit action of the write. obj: the plan.
    OWN_CONSENT_DECIDE = "consent.decide_own"  # give, narrow or revoke the consent
    OWN_REPRESENTATIVES_CHOOSE = "representative.choose_own"  # who may see the plan
    OWN_VERSION_APPROVE = "plan.approve_own"  # approve an established version
    OWN_PLAN_END_REQUEST = "plan.request_end_own"  # ask the coordinator to end the plan
    # Ask a unit for a SIP. obj: the person; the person, or any representative in term (an
    # initiative may come from the person or a next of kin: seed 003).
    OWN_SIP_REQUEST = "plan.request_own"
    # Agreements (issue 13; section "Agreements" below)
    AGREEMENT_VIEW = "agreement.view"  # obj: an agreement
    AGREEMENT_EDIT = "agreement.edit"  # obj: an agreement, or the organisation creating one
    SIP_SETTINGS_MANAGE = "sip_settings.manage"  # obj: an organisation (SIP leads and times)
    DISPUTE_RECORD = "dispute.record"  # obj: the plan
    DISPUTE_RESOLVE = "dispute.resolve"  # obj: the dispute
    # FHIR Subscriptions (issue 14; section "Subscriptions" below)
    SUBSCRIPTION_CREATE = "subscription.create"
    SUBSCRIPTION_MANAGE = "subscription.manage"  # obj: a subscription (read, status, delete)


class Denied(Http404):
    """Raised by `require`: answered as 404, so "missing" and "not yours" look the same."""

    def __init__(
        self,
        action: Action,
        obj: Any = None,
        *,
        actor: Actor | None = None,
        audit_event_id: int | None = None,
    ) -> None:
        super().__init__("not found")
        self.action = action
        self.obj = obj
        self.actor = actor
        # The refusal's audit row. It is written at once, but a service's transaction that
        # the refusal unwinds rolls it back with everything else: see access.ensure_refusal_audited.
        self.audit_event_id = audit_event_id


def _org_of(obj: Any) -> Organisation | None:
    if isinstance(obj, Organisation):
        return obj
    if isinstance(obj, Unit):
        return obj.organisation
    return None


def can(actor: Actor, action: Action, obj: Any = None) -> bool:
    if actor.is_system:
        # Commands run by the operator (demo seeding, imports); audited as the system.
        return True
    if not actor.is_authenticated:
        return False
    match action:
        case Action.ORGANISATION_VIEW:
            return True
        case Action.ORGANISATION_CREATE:
            return actor.is_superuser
        case Action.ORGANISATION_MANAGE:
            org = _org_of(obj)
            if actor.is_superuser:
                return True
            return org is not None and org.pk in actor.organisations_with_role(
                OrganisationRoleKind.ADMIN
            )
        case Action.PERSON_SEARCH | Action.PERSON_LOOKUP | Action.PERSON_CREATE:
            # Staff acting through a unit; an administrator role alone opens no personal data.
            return actor.is_staff_member
        case Action.PERSON_VIEW:
            return isinstance(obj, Person) and person_visible(actor, obj)
        case Action.PERSON_VIEW_BRIEF:
            return (
                isinstance(obj, Person)
                and briefly_visible_persons(actor).filter(pk=obj.pk).exists()
            )
        case Action.PERSON_EDIT | Action.REPRESENTATIVE_MANAGE:
            person = obj.person if isinstance(obj, Representative) else obj
            return isinstance(person, Person) and _person_editor(actor, person)
        case Action.PERSON_PROTECT:
            return isinstance(obj, Person) and _registrar_of(actor, obj)
        case Action.PLAN_INITIATE:
            if obj is None:
                return actor.is_staff_member
            return (
                actor.is_staff_member
                and isinstance(obj, Person)
                and briefly_visible_persons(actor).filter(pk=obj.pk).exists()
            )
        case Action.PLAN_VIEW:
            return _plan_visible(actor, obj)
        case Action.PLAN_EDIT | Action.CONSENT_RECORD | Action.FOLLOW_UP_RECORD:
            return _plan_editor(actor, obj)
        case Action.INTERVENTION_EDIT:
            plan = obj.plan
            return _plan_editor(actor, plan) or (
                _plan_visible(actor, plan)
                and actor.organisation is not None
                and obj.responsible_organisation_id == actor.organisation.pk
            )
        case Action.INVITATION_ANSWER:
            return actor.is_staff_member and any(
                m.unit_id == obj.unit_id for m in actor.memberships
            )
        case Action.DEVIATION_REPORT:
            return _plan_visible(actor, obj)
        case Action.DEVIATION_HANDLE:
            return _plan_visible(actor, obj.plan) and (
                _plan_editor(actor, obj.plan)
                or (actor.organisation is not None and obj.addressed_to_id == actor.organisation.pk)
            )
        case Action.AUDIT_REVIEW:
            org = _org_of(obj)
            return org is not None and org.pk in actor.organisations_with_role(
                OrganisationRoleKind.LOG_REVIEWER
            )
        case Action.AUDIT_EXTRACT_REVIEW:
            return isinstance(obj, Person) and reviewable_persons(actor).filter(pk=obj.pk).exists()
        case Action.ACTING_UNIT_SET:
            return isinstance(obj, int) and any(m.unit_id == obj for m in actor.memberships)
        case Action.AUDIT_EXTRACT_OWN:
            return (
                isinstance(obj, Person)
                and obj.user_id is not None
                and (actor.user is not None and obj.user_id == actor.user.pk)
            )
        case (
            Action.OWN_PLAN_VIEW
            | Action.OWN_CONSENT_DECIDE
            | Action.OWN_REPRESENTATIVES_CHOOSE
            | Action.OWN_VERSION_APPROVE
            | Action.OWN_PLAN_END_REQUEST
            | Action.OWN_SIP_REQUEST
        ):
            return _own_decision(actor, action, obj)
        case Action.PERSON_VIEW_CONTACT:
            person = obj.person if isinstance(obj, Representative) else obj
            return (
                isinstance(person, Person)
                and not person.protected_identity
                and person_visible(actor, person)
                and person.pk in contact_opened_ids(actor, [person.pk])
            )
    # The sections' own actions (below), answered there; False for any other.
    return _agreements_can(actor, action, obj) or _subscriptions_can(actor, action, obj)


def require(actor: Actor, action: Action, obj: Any = None) -> None:
    """Raise Denied (a 404) unless `actor` may do `action`; the refusal is audited."""
    if can(actor, action, obj):
        return
    raise refuse(actor, action, obj)


def refuse(actor: Actor, action: Action, obj: Any = None) -> Denied:
    """The audited refusal of `action`, for the caller to raise, where the answer is no for a
    reason `can` does not see (a missing object, an id out of range, an object outside the
    one asked through). Every 404 that stands for "not yours" is written to the audit log."""
    event_id = _record_refusal(actor, action, obj)
    return Denied(action, obj, actor=actor, audit_event_id=event_id)


def allowed(actor: Actor, action: Action, obj: Any = None) -> bool:
    """As `require`, for a refusal that is answered otherwise than by a 404 (a message on the
    page): False, with the refusal audited."""
    if can(actor, action, obj):
        return True
    _record_refusal(actor, action, obj if hasattr(obj, "pk") else None)
    return False


# Who writes a refusal's audit row. The audit log sits above the policy (it names persons and
# units), so the policy does not import it: the audit app hands its writer over when Django
# starts (samplan/audit/apps.py). Without one, a refusal cannot be answered unaudited: it fails.
type RefusalRecorder = Callable[[Actor, str, Any], int]
_refusal_recorder: RefusalRecorder | None = None


def record_refusals_with(recorder: RefusalRecorder) -> None:
    global _refusal_recorder  # set once, when the audit app is ready
    _refusal_recorder = recorder


def _record_refusal(actor: Actor, action: Action, obj: Any) -> int:
    if _refusal_recorder is None:
        raise ImproperlyConfigured("samplan.audit must be installed: refusals are audited.")
    return _refusal_recorder(actor, str(action), obj)


def visible_organisations(actor: Actor) -> QuerySet[Organisation]:
    if not actor.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.all()


def manageable_organisations(actor: Actor) -> QuerySet[Organisation]:
    if actor.is_superuser:
        return Organisation.objects.all()
    if not actor.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        pk__in=actor.organisations_with_role(OrganisationRoleKind.ADMIN)
    )


# Persons --------------------------------------------------------------------------------------
#
# A staff member sees a person's identity, contact details and representatives only where the
# acting unit has a relation with the person that the law accepts (patientdatalagen 4 kap.
# 1-3 §§; the social services' secrecy): it takes part in one of the person's plans under a
# consent covering its organisation, initiated a plan, or has an open invitation to one of the
# person's meetings. A registrar (OrganisationRoleKind.REGISTRAR) has the same relation
# through every unit of the organisation. Anyone else finds a person only by an explicit,
# audited look-up, which opens the brief view for PERSON_LOOKUP_HOURS.


def _open_invitations() -> QuerySet[Any]:
    """Invitations still to be acted on: the meeting is neither cancelled nor held, and the
    plan is not closed."""
    from samplan.plans.models import Invitation, PlanState

    return Invitation.objects.filter(
        meeting__cancelled_at__isnull=True, meeting__held_at__isnull=True
    ).exclude(meeting__plan__state=PlanState.CLOSED)


def _organisation_person_ids(organisation_ids: set[int]) -> QuerySet[Any]:
    """Persons any unit of these organisations has a relation with (the registrar's view)."""
    from samplan.plans.models import Participant, Plan

    participating = Exists(
        Participant.objects.filter(
            plan=OuterRef("pk"), unit__organisation__in=organisation_ids, left_at__isnull=True
        )
    )
    covered = Exists(
        Consent.objects.active().filter(plan=OuterRef("pk"), organisations__in=organisation_ids)
    )
    plans = Plan.objects.filter(
        Q(initiating_unit__organisation__in=organisation_ids) | (Q(participating) & Q(covered))
    ).values("person_id")
    invited = (
        _open_invitations()
        .filter(unit__organisation__in=organisation_ids)
        .values("meeting__plan__person_id")
    )
    return Person.objects.filter(Q(pk__in=plans) | Q(pk__in=invited)).values("pk")


def visible_persons(actor: Actor) -> QuerySet[Person]:
    """Persons whose identity, contact details and representatives the actor may see."""
    if not actor.is_authenticated or actor.is_system:
        return Person.objects.all() if actor.is_system else Person.objects.none()
    # One semi-join on the union of the relations, each read from the unit's (or the
    # registrar's organisations') own rows: a search or a list costs what the unit's persons
    # cost, not the registry's.
    grounds = _visible_plan_grounds(actor, "person_id")
    if actor.is_staff_member and actor.unit is not None:
        grounds.append(
            _open_invitations().filter(unit=actor.unit).values("meeting__plan__person_id")
        )
    registrar_of = actor.organisations_with_role(OrganisationRoleKind.REGISTRAR)
    if registrar_of:
        grounds.append(_organisation_person_ids(registrar_of))
    if not grounds:
        return Person.objects.none()
    return Person.objects.filter(pk__in=grounds[0].union(*grounds[1:], all=True))


def person_visible(actor: Actor, person: Person) -> bool:
    """`visible_persons` for one person, remembered for the rest of the request (an actor
    lives for one request), so that a page asking twice costs one query."""
    if person.pk in actor.visible_person_ids:
        return True
    if visible_persons(actor).filter(pk=person.pk).exists():
        actor.visible_person_ids.add(person.pk)
        return True
    return False


def looked_up_person_ids(actor: Actor) -> QuerySet[Any]:
    """Persons the actor, through the acting unit, looked up within PERSON_LOOKUP_HOURS."""
    from samplan.directory.models import PersonLookup

    if not actor.is_staff_member or actor.user is None or actor.unit is None:
        return PersonLookup.objects.none().values("person_id")
    since = timezone.now() - timedelta(hours=settings.PERSON_LOOKUP_HOURS)
    return PersonLookup.objects.filter(
        user=actor.user, unit=actor.unit, person__isnull=False, at__gte=since
    ).values("person_id")


def briefly_visible_persons(actor: Actor) -> QuerySet[Person]:
    """Persons whose name, birth year and protection the actor may see: related ones, and
    those looked up a short while ago (to start a plan or answer an invitation)."""
    return Person.objects.filter(
        Q(pk__in=visible_persons(actor).values("pk")) | Q(pk__in=looked_up_person_ids(actor))
    )


def _registrar_of(actor: Actor, person: Person) -> bool:
    organisations = actor.organisations_with_role(OrganisationRoleKind.REGISTRAR)
    return (
        bool(organisations)
        and Person.objects.filter(
            pk=person.pk, pk__in=_organisation_person_ids(organisations)
        ).exists()
    )


def _person_editor(actor: Actor, person: Person) -> bool:
    """Registry data and representatives: the coordinator and the lead organisation of one of
    the person's plans, or a registrar of an organisation with a relation to the person."""
    if editable_plans(actor).filter(person=person).exists():
        return True
    return _registrar_of(actor, person)


# Plans ----------------------------------------------------------------------------------------


def visible_plans(actor: Actor) -> QuerySet[Any]:
    """Plans the actor's acting unit may see.

    Before consent, only the initiating unit sees its initiative. After consent, staff of
    units taking part in the plan whose organisation the active consent covers. A revoked
    consent closes that door on the very next request: nothing is cached.
    """
    from samplan.plans.models import Plan

    if not _visible_plan_grounds(actor, "pk"):
        return Plan.objects.none()
    return Plan.objects.filter(pk__in=visible_plan_ids(actor))


def visible_plan_ids(actor: Actor) -> QuerySet[Any]:
    """The ids of `visible_plans` as one subquery, for `plan__in=` (a UNION ALL: nothing
    else may be chained on it)."""
    from samplan.plans.models import Plan

    grounds = _visible_plan_grounds(actor, "pk")
    if not grounds:
        return Plan.objects.none().values("pk")
    return grounds[0].union(*grounds[1:], all=True)


def plan_visibility_values(actor: Actor) -> dict[str, int] | None:
    """What `visible_plans` reads of a staff member acting through a unit: the unit and its
    organisation. Two actors with the same values see the same plans, and
    `visible_plans(plan_visibility_stand_in(**values))` builds the same query as
    `visible_plans(actor)`, so that a hot read may compile it once and reuse its SQL with the
    values as parameters (samplan/authz/access/plans.py). None for anyone else (the query is
    then built in full). Keep in step with `_visible_plan_grounds`."""
    if actor.is_system or not actor.is_staff_member:
        return None
    unit, organisation = actor.unit, actor.organisation
    if unit is None or organisation is None:
        return None
    return {"unit": unit.pk, "organisation": organisation.pk}


def plan_visibility_stand_in(*, unit: int, organisation: int) -> Actor:
    """A staff actor with nothing but the values `plan_visibility_values` names: what
    `visible_plans` asks of it is what it asks of any actor with those values."""
    from samplan.accounts.models import User
    from samplan.directory.models import Membership

    unit_row = Unit(pk=unit, organisation=Organisation(pk=organisation))
    return Actor(user=User(is_active=True), membership=Membership(unit=unit_row))


def _visible_plan_grounds(actor: Actor, column: str) -> list[QuerySet[Any]]:
    """`visible_plans`' two grounds, each a subquery of one column of the plans ("pk" or
    "person_id"), for a semi-join on their UNION ALL. Each is read through the unit's index,
    so that the cost follows the unit's plans, not the region's (an OR of EXISTS is a filter
    over every plan); the consent is asked per participation, on the consent's plan index.
    Empty: the actor sees no plan."""
    from samplan.plans.models import Participant, Plan

    if not actor.is_staff_member or actor.unit is None or actor.organisation is None:
        return []
    covered = Consent.objects.active().filter(
        plan=OuterRef("plan_id"), organisations=actor.organisation.pk
    )
    return [
        Plan.objects.filter(initiating_unit=actor.unit).values(column),
        Participant.objects.filter(unit=actor.unit, left_at__isnull=True)
        .filter(Exists(covered))
        .values("plan_id" if column == "pk" else f"plan__{column}"),
    ]


def editable_plans(actor: Actor) -> QuerySet[Any]:
    """The plans `_plan_editor` would say yes to, as one queryset (for worklists)."""
    if actor.user is None or actor.unit is None or actor.organisation is None:
        return visible_plans(actor).none()
    return visible_plans(actor).filter(
        Q(coordinator=actor.user)
        | Q(lead_organisation=actor.organisation)
        | Q(lead_organisation__isnull=True, initiating_unit=actor.unit)
    )


def _plan_visible(actor: Actor, plan: Any) -> bool:
    from samplan.plans.models import Plan

    if not isinstance(plan, Plan) or not actor.is_staff_member:
        return False
    # Read through `visible_plans` earlier in this request (an actor lives for one request):
    # the access helpers' plan reads remember it, as `person_visible` does for persons.
    if plan.pk in actor.visible_plan_ids:
        return True
    return visible_plans(actor).filter(pk=plan.pk).exists()


def _plan_editor(actor: Actor, plan: Any) -> bool:
    """The coordinator and the lead organisation edit the plan; before either is named, the
    initiating unit does."""
    from samplan.plans.models import Plan

    if not isinstance(plan, Plan) or not _plan_visible(actor, plan):
        return False
    return _edits_visible_plan(actor, plan)


def _edits_visible_plan(actor: Actor, plan: Any) -> bool:
    """`_plan_editor` for a plan already known to be visible to the actor."""
    if actor.user is None:
        return False
    if plan.coordinator_id == actor.user.pk:
        return True
    if plan.lead_organisation_id is not None and actor.organisation is not None:
        return bool(plan.lead_organisation_id == actor.organisation.pk)
    return actor.unit is not None and plan.initiating_unit_id == actor.unit.pk


# The plan-level actions `plan_actions` answers in one visibility query; they must give the
# same answers as `can` (tests/test_policy_plan_actions.py).
PLAN_LEVEL_ACTIONS = frozenset(
    {
        Action.PLAN_VIEW,
        Action.DEVIATION_REPORT,
        Action.PLAN_EDIT,
        Action.CONSENT_RECORD,
        Action.FOLLOW_UP_RECORD,
    }
)


def plan_read_ground(actor: Actor, plan: Any) -> str:
    """Why the actor sees a plan that `visible_plans` let through, as the audit log words it."""
    if actor.unit is not None and plan.initiating_unit_id == actor.unit.pk:
        return "initiating unit"
    return "participant with consent"


def plan_actions(actor: Actor, plan: Any) -> frozenset[Action]:
    """Which of PLAN_LEVEL_ACTIONS the actor may take on `plan`: what `can` answers for each,
    with one query instead of one per action (a plan page asks for all of them)."""
    if actor.is_system:
        return PLAN_LEVEL_ACTIONS
    if not _plan_visible(actor, plan):
        return frozenset()
    if _edits_visible_plan(actor, plan):
        return PLAN_LEVEL_ACTIONS
    return frozenset({Action.PLAN_VIEW, Action.DEVIATION_REPORT})


def own_plans(actor: Actor) -> QuerySet[Any]:
    """Plans of the person who is signed in, and of persons whose representative he or she is
    with the person's leave to see the plan. Closed-without-plan initiatives are included. A
    child (under ADULT_AGE) sees a plan only where the coordinator has opened the child's own
    view (`Plan.child_own_view`); the guardians see it as representatives."""
    from samplan.plans.models import Plan

    if not actor.is_authenticated or actor.user is None:
        return Plan.objects.none()
    today = timezone.localdate()
    represented = representatives_in_term(today).filter(user=actor.user, may_see_plan=True)
    own = Plan.objects.filter(
        Q(child_own_view=True)
        | Q(person__birth_date__isnull=True)
        | Q(person__birth_date__lte=adult_born_by(today)),
        person__user=actor.user,
    ).values("pk")
    # A semi-join on the union, each part read through the person's index (an OR across the
    # join would be a filter over every plan).
    others = Plan.objects.filter(person__in=represented.values("person")).values("pk")
    return Plan.objects.filter(pk__in=own.union(others, all=True))


# The person's own decisions -------------------------------------------------------------------
#
# The person decides about consent, may say what it must not cover and take it back at any
# time; a plan is never made or changed against his or her will (seed 003). In the own view
# the person decides for him- or herself; for a child (under ADULT_AGE) a guardian decides (a
# representative who may act for the person), as for the consent the staff record.

ADULT_AGE = 18


def adult_born_by(today: date) -> date:
    """The latest birth date of a person who is of age (ADULT_AGE) on `today`."""
    try:
        return today.replace(year=today.year - ADULT_AGE)
    except ValueError:  # 29 February, in a year that has none
        return today.replace(year=today.year - ADULT_AGE, day=28)


def is_child(person: Person, today: date | None = None) -> bool:
    born = person.birth_date
    return born is not None and born > adult_born_by(today or timezone.localdate())


def representatives_in_term(today: date) -> QuerySet[Representative]:
    return Representative.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=today),
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
    )


def acting_representative(actor: Actor, person: Person) -> Representative | None:
    """The representative (in term) through whom the actor acts for the person: one who may
    act for the person (a guardian, an administrator) first, otherwise any."""
    if actor.user is None:
        return None
    return (
        representatives_in_term(timezone.localdate())
        .filter(person=person, user=actor.user)
        .order_by("-may_act_for_person", "pk")
        .first()
    )


def _acts_for(actor: Actor, person: Person, *, any_representative: bool = False) -> bool:
    """Whether the actor decides for the person: the person, of age, or a representative who
    may act for the person (with `any_representative`, any representative in term)."""
    if actor.user is None:
        return False
    if person.user_id is not None and person.user_id == actor.user.pk:
        return not is_child(person)
    rep = acting_representative(actor, person)
    return rep is not None and (any_representative or rep.may_act_for_person)


def _own_decision(actor: Actor, action: Action, obj: Any) -> bool:
    """The own view's actions: seeing the plan, and the person's decisions about it."""
    from samplan.plans.models import Plan

    if action == Action.OWN_PLAN_VIEW:
        return own_plans(actor).filter(pk=getattr(obj, "pk", None)).exists()
    if action == Action.OWN_SIP_REQUEST:
        return isinstance(obj, Person) and _acts_for(actor, obj, any_representative=True)
    return (
        isinstance(obj, Plan)
        and own_plans(actor).filter(pk=obj.pk).exists()
        and _acts_for(actor, obj.person)
    )


def reviewable_organisations(actor: Actor) -> QuerySet[Organisation]:
    if not actor.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        pk__in=actor.organisations_with_role(OrganisationRoleKind.LOG_REVIEWER)
    )


def is_log_reviewer(actor: Actor) -> bool:
    """Whether the actor reviews the log of any organisation (the header's link)."""
    return bool(actor.organisations_with_role(OrganisationRoleKind.LOG_REVIEWER))


def reviewable_persons(actor: Actor) -> QuerySet[Person]:
    """Persons a log reviewer may look up or produce an extract for: those who appear in audit
    events by staff of the organisations whose log the actor reviews. A reviewer reviews what
    the own organisation did; the rest of the register is not the reviewer's to browse."""
    from samplan.audit.models import AuditEvent

    organisations = actor.organisations_with_role(OrganisationRoleKind.LOG_REVIEWER)
    if not actor.is_authenticated or not organisations:
        return Person.objects.none()
    touched = AuditEvent.objects.filter(
        actor_organisation_id__in=organisations, person__isnull=False
    ).values("person_id")
    return Person.objects.filter(pk__in=touched)


def audit_extract_scope(actor: Actor, person: Person) -> list[Organisation] | None:
    """Whose events a log extract for `person` holds. None: the person's own extract, every
    event. A list: a reviewer's, the events by staff of the reviewed organisations, for a
    person those organisations' staff have touched. Anyone else is refused (audited, 404)."""
    if can(actor, Action.AUDIT_EXTRACT_OWN, person):
        return None
    if can(actor, Action.AUDIT_EXTRACT_REVIEW, person):
        return list(reviewable_organisations(actor).order_by("name"))
    has_role = reviewable_organisations(actor).exists()
    require(actor, Action.AUDIT_EXTRACT_REVIEW if has_role else Action.AUDIT_EXTRACT_OWN, person)
    return []  # pragma: no cover - require raised


# Partial consent ------------------------------------------------------------------------------
#
# A consent names the kinds of information it covers (InformationKind). An organisation that
# sees a plan through a consent sees of it only what those kinds open: the plan's shared
# content (needs, goals, time plan, evaluation, follow-ups) with `plan`; interventions of
# health-care, social-services, school or Försäkringskassan units with `health`, `social`,
# `school`, `insurance` (information_kind_of); the person's and representatives' contact
# details with `contact`. Its own interventions it always sees. The coordinator and the lead
# organisation (who carry the plan), and the initiating unit before a lead is named or a
# consent recorded, see everything. See docs/security.md, "Partial consent".

ALL_INFORMATION_KINDS = frozenset(str(k) for k in InformationKind)


def _carries_plan(actor: Actor, plan: Any) -> bool:
    """The coordinator, the lead organisation, and before a lead is named the initiating unit:
    they write the plan, so no consent narrows what they see of it. No query."""
    if actor.user is not None and plan.coordinator_id == actor.user.pk:
        return True
    if plan.lead_organisation_id is not None:
        return bool(
            actor.organisation is not None and plan.lead_organisation_id == actor.organisation.pk
        )
    return bool(actor.unit is not None and plan.initiating_unit_id == actor.unit.pk)


def information_kinds_by_plan(actor: Actor, plans: Iterable[Any]) -> dict[int, frozenset[str]]:
    """For each plan (that the actor may see), the kinds of information the actor may see of
    it; at most one query for all of them. Read on every request, nothing cached: a narrowed
    consent takes effect on the very next one."""
    plans = list(plans)
    kinds: dict[int, frozenset[str]] = {}
    rest = []
    for plan in plans:
        if actor.is_system or _carries_plan(actor, plan):
            kinds[plan.pk] = ALL_INFORMATION_KINDS
        else:
            rest.append(plan)
    if not rest:
        return kinds
    consented: set[int] = set()
    covering: dict[int, frozenset[str]] = {}
    org = actor.organisation.pk if actor.organisation is not None else None
    rows = (
        Consent.objects.active()
        .filter(plan__in=[p.pk for p in rest])
        .values_list("plan_id", "organisations", "information_kinds")
    )
    for plan_id, organisation_id, information_kinds in rows:
        consented.add(plan_id)
        if organisation_id is not None and organisation_id == org:
            covering[plan_id] = frozenset(information_kinds)
    for plan in rest:
        if plan.pk in covering:
            kinds[plan.pk] = covering[plan.pk]
        elif (
            plan.pk not in consented
            and actor.unit is not None
            and (plan.initiating_unit_id == actor.unit.pk)
        ):
            kinds[plan.pk] = ALL_INFORMATION_KINDS  # the initiating unit's own initiative
        else:
            kinds[plan.pk] = frozenset()
    return kinds


def information_kinds_for(actor: Actor, plan: Any) -> frozenset[str]:
    """The kinds of information the actor may see of one plan: one query at most."""
    return information_kinds_by_plan(actor, [plan])[plan.pk]


def intervention_kind(intervention: Any) -> str:
    """An intervention's kind of information, from its responsible organisation and unit
    (selected with it: no query)."""
    unit = intervention.responsible_unit
    return information_kind_of(
        organisation_kind=intervention.responsible_organisation.kind,
        unit_kind=unit.kind if unit is not None else None,
    )


def intervention_shown(actor: Actor, kinds: frozenset[str], intervention: Any) -> bool:
    """Whether the actor, seeing `kinds` of the plan, sees this intervention: its own
    organisation's always."""
    if kinds == ALL_INFORMATION_KINDS:
        return True
    own = actor.organisation is not None and (
        intervention.responsible_organisation_id == actor.organisation.pk
    )
    return own or intervention_kind(intervention) in kinds


def _sees_all_of_q(actor: Actor) -> Q:
    """`information_kinds_by_plan`'s "everything" cases as a filter on plans: those the actor
    carries, and the initiating unit's own initiative while no consent is active."""
    carries = Q(pk__in=[])
    if actor.user is not None:
        carries |= Q(coordinator_id=actor.user.pk)
    if actor.organisation is not None:
        carries |= Q(lead_organisation_id=actor.organisation.pk)
    if actor.unit is not None:
        no_consent = ~Exists(Consent.objects.active().filter(plan=OuterRef("pk")))
        carries |= Q(lead_organisation__isnull=True, initiating_unit_id=actor.unit.pk)
        carries |= Q(initiating_unit_id=actor.unit.pk) & Q(no_consent)
    return carries


def contact_opened_ids(actor: Actor, person_ids: Iterable[int]) -> set[int]:
    """Of these persons (whom the actor may see), those whose contact details the actor's
    relation opens: a plan whose consent covers `contact` for the actor's organisation (or
    that the actor carries), an open invitation, a registrar's relation. A relation only
    through consents that exclude contact details opens none. The same answer as
    `information_kinds_by_plan` per plan, asked in the database, so the cost does not grow
    with the number of plans a person has: four queries at most."""
    wanted = set(person_ids)
    if actor.is_system or not wanted:
        return wanted
    plans = visible_plans(actor).filter(person_id__in=wanted)
    opened = set(plans.filter(_sees_all_of_q(actor)).values_list("person_id", flat=True))
    rest = wanted - opened
    if rest and actor.organisation is not None:
        rows = (
            Consent.objects.active()
            .filter(
                plan__in=plans.filter(person_id__in=rest).values("pk"),
                organisations=actor.organisation.pk,
            )
            .values_list("plan__person_id", "information_kinds")
        )
        opened |= {pid for pid, kinds in rows if InformationKind.CONTACT in kinds}
        rest = wanted - opened
    if rest and actor.unit is not None:
        opened |= set(
            _open_invitations()
            .filter(unit=actor.unit, meeting__plan__person_id__in=rest)
            .values_list("meeting__plan__person_id", flat=True)
        )
        rest = wanted - opened
    registrar_of = actor.organisations_with_role(OrganisationRoleKind.REGISTRAR)
    if rest and registrar_of:
        opened |= set(
            Person.objects.filter(
                pk__in=rest, id__in=_organisation_person_ids(registrar_of)
            ).values_list("pk", flat=True)
        )
    return opened


# External invitees ----------------------------------------------------------------------------
#
# An external invitee without an account (a school, Försäkringskassan, Arbetsförmedlingen, a
# next of kin) reaches one invitation through the signed link in the mail
# (samplan/plans/links.py; the check and its audit: samplan/authz/access/links.py). The link
# opens the meeting: its time always; while the plan has an active consent and the meeting is
# not cancelled, also where (place or video link), the agenda and who is invited (units by
# name, other external invitees by organisation only, as a relative's name could tell whom
# the meeting is about). An invitee from an organisation in the registry
# (`Invitation.invitee_organisation`) also sees that organisation's interventions in the plan,
# while the invitation is open (meeting neither cancelled nor held, plan not closed) and the
# active consent covers the organisation. A next of kin sees the meeting only. Never the
# person, nor the plan's other content. See docs/security.md, "External invitees' links".


def external_invitee_sees_meeting(invitation: Any) -> bool:
    """Whether the link shows where the meeting is, its agenda and who is invited (else only
    its time): as the mail, only while the plan's active consent reaches anyone."""
    meeting = invitation.meeting
    if invitation.unit_id is not None or meeting.cancelled_at is not None:
        return False
    return Consent.objects.active().filter(plan_id=meeting.plan_id).exists()


def external_invitee_organisation_id(invitation: Any) -> int | None:
    """The organisation whose interventions the external invitee's link opens, or None: the
    meeting only."""
    from samplan.plans.models import PlanState

    organisation_id: int | None = invitation.invitee_organisation_id
    meeting = invitation.meeting
    if (
        invitation.unit_id is not None
        or organisation_id is None
        or meeting.cancelled_at is not None
        or meeting.held_at is not None
        or meeting.plan.state == PlanState.CLOSED
    ):
        return None
    covered = (
        Consent.objects.active().filter(plan_id=meeting.plan_id, organisations=organisation_id)
    ).exists()
    return organisation_id if covered else None


# Agreements -----------------------------------------------------------------------------------
#
# The register of agreements between principals (samplan/agreements) holds no personal data.
# Staff of a party's units (and the party's administrators and managers) see an agreement;
# the party's organisation administrators (OrganisationRoleKind.ADMIN) edit it, and only an
# administrator of an organisation creates one that names it. An organisation's
# administrators name its SIP leads and publish its fixed SIP times. A responsibility dispute
# is recorded on a plan by staff who may edit the plan; it is resolved by them or by staff of
# a unit it names that still see the plan.


def _agreement_organisation_ids(actor: Actor) -> set[int]:
    """Organisations whose agreements the actor sees: those of the actor's units, and those
    the actor administers or manages."""
    ids = {m.unit.organisation_id for m in actor.memberships}
    ids |= actor.organisations_with_role(OrganisationRoleKind.ADMIN)
    ids |= actor.organisations_with_role(OrganisationRoleKind.MANAGER)
    return ids


def visible_agreements(actor: Actor) -> QuerySet[Any]:
    from samplan.agreements.models import Agreement

    if actor.is_system or actor.is_superuser:
        return Agreement.objects.all()
    if not actor.is_authenticated:
        return Agreement.objects.none()
    return Agreement.objects.filter(
        pk__in=Agreement.objects.filter(parties__in=_agreement_organisation_ids(actor)).values("pk")
    )


def agreement_editable(actor: Actor, agreement: Any) -> bool:
    """Whether the actor administers one of the agreement's parties (one query)."""
    if actor.is_superuser:
        return True
    admin_of = actor.organisations_with_role(OrganisationRoleKind.ADMIN)
    return bool(admin_of) and agreement.parties.filter(pk__in=admin_of).exists()


def _agreements_can(actor: Actor, action: Action, obj: Any) -> bool:
    from samplan.agreements.models import Agreement, ResponsibilityDispute

    match action:
        case Action.AGREEMENT_VIEW:
            return isinstance(obj, Agreement) and (
                visible_agreements(actor).filter(pk=obj.pk).exists()
            )
        case Action.AGREEMENT_EDIT:
            if isinstance(obj, Organisation):
                return actor.is_superuser or obj.pk in actor.organisations_with_role(
                    OrganisationRoleKind.ADMIN
                )
            return isinstance(obj, Agreement) and agreement_editable(actor, obj)
        case Action.SIP_SETTINGS_MANAGE:
            org = _org_of(obj)
            return org is not None and (
                actor.is_superuser
                or org.pk in actor.organisations_with_role(OrganisationRoleKind.ADMIN)
            )
        case Action.DISPUTE_RECORD:
            return _plan_editor(actor, obj)
        case Action.DISPUTE_RESOLVE:
            if not isinstance(obj, ResponsibilityDispute) or not _plan_visible(actor, obj.plan):
                return False
            return _edits_visible_plan(actor, obj.plan) or (
                actor.unit is not None and obj.units.filter(pk=actor.unit.pk).exists()
            )
    return False


# Subscriptions --------------------------------------------------------------------------------
#
# A record system is pushed a notice when a plan changes (samplan/subscriptions). Staff acting
# through a unit may subscribe: the subscription is notified of the plans that unit sees,
# `visible_plans` for the subscriber (the owner acting through the subscription's unit), asked
# again when each notice is sent, so that a revoked consent stops the notices at once. An
# account without a unit (an administrator role only, a person's own account) may not. A
# subscription is read, asked for its status and deleted by its owner only.


def _subscriptions_can(actor: Actor, action: Action, obj: Any) -> bool:
    from samplan.subscriptions.models import Subscription

    if action == Action.SUBSCRIPTION_CREATE:
        return actor.is_staff_member
    return (
        action == Action.SUBSCRIPTION_MANAGE
        and isinstance(obj, Subscription)
        and actor.user is not None
        and obj.owner_id == actor.user.pk
    )


def visible_subscriptions(actor: Actor) -> QuerySet[Any]:
    from samplan.subscriptions.models import Subscription

    if not actor.is_authenticated or actor.user is None:
        return Subscription.objects.none()
    return Subscription.objects.filter(owner=actor.user)


def subscriber_actor(subscription: Any) -> Actor | None:
    """The actor a subscription is notified as: its owner acting through its unit, or None
    when the owner is disabled or no longer works in that unit (it sees nothing then)."""
    owner = subscription.owner
    if not owner.is_active:
        return None
    actor = Actor.for_user(owner, unit_id=subscription.unit_id)
    if actor.unit is None or actor.unit.pk != subscription.unit_id:
        return None
    return actor


def notified_plans(actor: Actor | None) -> QuerySet[Any]:
    """The plans a subscriber may be told of: exactly those it may see."""
    from samplan.plans.models import Plan

    return Plan.objects.none() if actor is None else visible_plans(actor)


# Statistics -----------------------------------------------------------------------------------
#
# A manager (OrganisationRoleKind.MANAGER) follows up the organisation's work in figures (issue
# 13; samplan/statistics, docs/statistics.md). The figures cover the organisation's own units
# and the plans the organisation takes part in: one of its units initiated the plan or takes
# part in it, or it is the plan's lead organisation. So figures across principals (does the
# region come to the meetings our units call?) count the other principals' units in those
# plans, and nothing of plans the organisation has no part in. A row about another
# organisation is "outside" and its small cells are protected (samplan/statistics/
# protection.py). Figures name no one; the one list that does (plans "sent back and forth") is
# narrowed to the plans the actor may see (`visible_plans`) and audited as a read.


def statistics_organisation(actor: Actor) -> Organisation | None:
    """The organisation whose figures the actor follows up: the acting unit's organisation
    where the actor is its manager; for a manager who works in no unit, the first organisation
    he or she manages. None: not a manager."""
    managed = actor.organisations_with_role(OrganisationRoleKind.MANAGER)
    if not managed:
        return None
    if actor.organisation is not None:
        return actor.organisation if actor.organisation.pk in managed else None
    return Organisation.objects.filter(pk__in=managed).order_by("pk").first()


def statistics_plan_scope(organisation_id: int, prefix: str = "") -> Q:
    """The plans an organisation takes part in, as a filter on plans, or with `prefix`
    ("plan__", "meeting__plan__") on rows that hang from a plan. A filter on each row (not a
    set of plans to look rows up in), so that its cost follows the rows asked for."""
    from samplan.plans.models import Participant

    plan = OuterRef(prefix.removesuffix("__")) if prefix else OuterRef("pk")
    return (
        Q(**{f"{prefix}initiating_unit__organisation_id": organisation_id})
        | Q(**{f"{prefix}lead_organisation_id": organisation_id})
        | Q(Exists(Participant.objects.filter(plan=plan, unit__organisation_id=organisation_id)))
    )


def statistics_filter_organisations(organisation: Organisation) -> QuerySet[Organisation]:
    """The organisations a manager may narrow the figures to: the own one and the principals
    (municipalities, regions), whose units take part in the plans across principals."""
    from samplan.directory.models import PRINCIPAL_KINDS

    return Organisation.objects.filter(
        Q(pk=organisation.pk) | Q(is_active=True, kind__in=PRINCIPAL_KINDS)
    ).order_by("name", "pk")
