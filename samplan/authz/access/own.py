"""The person's own view (issue 11): his or her plan with what the person may decide about it,
a meeting's calendar file, and the persons the signed-in user may ask a SIP for.

Who sees a plan here is the policy's `own_plans` (the person, of age or with the child's own
view opened; a representative the person lets see it); who decides, `Action.OWN_*`. Each
helper audits the read (or the refusal: the same 404 as a missing plan)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from samplan.audit import services as audit_log
from samplan.audit.actions import AuditAction
from samplan.authz import policy
from samplan.authz.access.plans import PlanAccess, access_own_plan
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent.models import Consent
from samplan.directory.models import Organisation, Person, Representative
from samplan.plans.models import Meeting, Participant, Plan, PlanEvent, PlanVersion

HISTORY_LENGTH = 30


@dataclass(frozen=True)
class OwnPlanPage:
    """What the own view of one plan shows. `representative` is set when the reader is a
    representative (with what the person lets him or her see); `may_decide` when the reader
    may take the person's decisions (the person of age, or a guardian)."""

    access: PlanAccess
    representative: Representative | None
    may_decide: bool
    may_see_meetings: bool
    version: PlanVersion | None
    versions: list[PlanVersion]
    meetings: list[Meeting]
    consent: Consent | None
    consent_organisations: list[Organisation]
    representatives: list[Representative]
    events: list[PlanEvent]
    participating_organisations: list[Organisation] = field(default_factory=list)

    @property
    def plan(self) -> Plan:
        return self.access.plan


def _reader_representative(actor: Actor, plan: Plan) -> Representative | None:
    if actor.user is None or plan.person.user_id == actor.user.pk:
        return None
    return policy.acting_representative(actor, plan.person)


def access_own_plan_page(*, actor: Actor, plan_id: int, record_read: bool = True) -> OwnPlanPage:
    """One of the reader's own plans as the own view shows it, the read audited (one event).
    A plan the reader may not see is the audited 404."""
    reached = access_own_plan(actor=actor, plan_id=plan_id, record_read=record_read)
    plan = reached.plan
    rep = _reader_representative(actor, plan)
    decides = policy.can(actor, Action.OWN_CONSENT_DECIDE, plan)
    sees_meetings = rep is None or rep.may_see_meetings
    versions = list(
        plan.versions.select_related("approved_by", "approved_by_representative").order_by(
            "-number"
        )
    )
    meetings = (
        list(
            plan.meetings.filter(
                cancelled_at__isnull=True, held_at__isnull=True, ends_at__gte=timezone.now()
            ).order_by("starts_at")
        )
        if sees_meetings
        else []
    )
    consents = list(
        Consent.objects.active()
        .filter(plan=plan)
        .prefetch_related(Prefetch("organisations", queryset=Organisation.objects.order_by("name")))
    )
    participating = list(
        Organisation.objects.filter(
            units__participations__in=Participant.objects.filter(plan=plan, left_at__isnull=True)
        )
        .distinct()
        .order_by("name")
    )
    consent = consents[0] if consents else None
    candidates = {o.pk: o for o in participating}
    if consent is not None:
        candidates.update({o.pk: o for o in consent.organisations.all()})
    return OwnPlanPage(
        access=reached,
        representative=rep,
        may_decide=decides,
        may_see_meetings=sees_meetings,
        version=versions[0] if versions else None,
        versions=versions,
        meetings=meetings,
        consent=consent,
        consent_organisations=sorted(candidates.values(), key=lambda o: o.name),
        representatives=list(plan.person.representatives.order_by("kind", "name"))
        if decides
        else [],
        events=list(
            plan.events.select_related("actor", "unit").order_by("-at", "-pk")[:HISTORY_LENGTH]
        ),
        participating_organisations=participating,
    )


def access_own_decision(*, actor: Actor, plan_id: int, action: Action, shown: bool) -> Plan:
    """One of the reader's own plans, for a decision the policy must allow the reader
    (`action`): otherwise the audited 404, as for a plan that is not the reader's. With
    `shown` (the form is shown, not sent) the read is audited; a decision sent is audited by
    its service."""
    plan = access_own_plan(actor=actor, plan_id=plan_id, record_read=shown).plan
    policy.require(actor, action, plan)
    return plan


def access_own_meeting_calendar(
    *, actor: Actor, plan_id: int, meeting_id: int
) -> tuple[Plan, Meeting]:
    """An upcoming meeting of one of the reader's own plans, for its calendar file: the
    person, or a representative the person lets see the meetings. Audited as a read and kept
    in the plan's history (the person took the meeting into his or her calendar)."""
    plan = access_own_plan(actor=actor, plan_id=plan_id, record_read=False).plan
    rep = _reader_representative(actor, plan)
    meeting = (
        Meeting.objects.select_related("organiser")
        .filter(pk=meeting_id, plan=plan, cancelled_at__isnull=True, held_at__isnull=True)
        .first()
    )
    if meeting is None or (rep is not None and not rep.may_see_meetings):
        raise policy.refuse(actor, Action.OWN_PLAN_VIEW, plan)
    audit_log.record(
        actor=actor,
        action=AuditAction.MEETING_CALENDAR_OWN,
        obj=meeting,
        person=plan.person,
        ground="the person" if rep is None else "representative",
    )
    PlanEvent.objects.create(
        plan=plan,
        kind="calendar_fetched",
        actor=actor.user,
        unit=actor.unit,
        detail={"meeting": meeting.pk, "by": "person" if rep is None else "representative"},
    )
    return plan, meeting


def access_own_request_persons(*, actor: Actor) -> list[Person]:
    """The persons the signed-in user may ask a SIP for: him- or herself, and those he or she
    represents (in term). Showing a represented person's name is a read of that person,
    audited (one event each); the user's own name is not."""
    if actor.user is None:
        return []
    today = timezone.localdate()
    reps = (
        Representative.objects.filter(user=actor.user)
        .filter(pk__in=policy.representatives_in_term(today).values("pk"))
        .select_related("person")
    )
    persons: dict[int, Person] = {}
    own = Person.objects.filter(user=actor.user).first()
    if own is not None:
        persons[own.pk] = own
    represented = [r.person for r in reps if r.person_id not in persons]
    for person in represented:
        persons[person.pk] = person
    entries: list[dict[str, Any]] = [
        {"obj": p, "person": p, "ground": "representative"} for p in represented
    ]
    if entries:
        audit_log.record_many(actor=actor, action=AuditAction.PERSON_READ_OWN, entries=entries)
    return sorted(persons.values(), key=lambda p: (p.pk != getattr(own, "pk", None), p.full_name))
