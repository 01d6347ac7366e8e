"""The person's consent: recorded, refused, revoked.

The consent domain's writes. They take lifecycle steps on a plan, so this module imports the
plans' helpers (`samplan.plans.services._common`, the closure and the meetings' cancellation);
the plans never import it (the dependency is one-way). What "active consent" is lives in one
place: `Consent.objects.active()` (`samplan/consent/models.py`); the plan's active consent is
`samplan.consent.coverage.active_consent`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from samplan.audit import services as audit
from samplan.audit.actions import AuditAction
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent.coverage import active_consent, covered_organisation_ids
from samplan.consent.models import Consent, ConsentDecision, ConsentMethod, InformationKind
from samplan.directory.models import (
    Organisation,
    Person,
    Representative,
    Unit,
)
from samplan.plans.lifecycle import Step, StepNotAllowed, require_step
from samplan.plans.models import (
    ClosureReason,
    Plan,
    PlanState,
)
from samplan.plans.services._common import (
    _event,
    _lock,
    _pause,
    _set_state,
)
from samplan.plans.services.closure import _close
from samplan.plans.services.meetings import _cancel_open_meetings

ADULT_AGE = authz.ADULT_AGE  # the one age of majority: samplan.authz.policy


def _person_is_child(person: Person, on: date) -> bool:
    return authz.is_child(person, on)


def _in_term(representative: Representative, on: date) -> bool:
    """Whether the representative's term (valid from, valid until; open-ended when empty)
    covers the day."""
    starts, ends = representative.valid_from, representative.valid_until
    return (starts is None or starts <= on) and (ends is None or on <= ends)


@transaction.atomic
def consent_record(
    *,
    actor: Actor,
    plan: Plan,
    decision: str,
    method: str,
    organisations: Iterable[Organisation] = (),
    information_kinds: Iterable[str] = (),
    given_at: datetime | None = None,
    representative: Representative | None = None,
    note: str = "",
) -> Consent:
    """Record the person's (or a guardian's) decision. Refusal closes an initiative."""
    authz.require(actor, Action.CONSENT_RECORD, plan)
    _lock(plan)
    require_step(plan, Step.RECORD_CONSENT)
    assert actor.user is not None
    assert actor.unit is not None
    now = timezone.now()
    given_at = given_at or now
    orgs = list(organisations)
    kinds = sorted(set(information_kinds))
    errors: dict[str, list[str]] = {}
    if decision not in ConsentDecision.values:
        errors["decision"] = [_("Välj om personen samtycker eller inte.")]
    if method not in ConsentMethod.values:
        errors["method"] = [_("Välj hur samtycket lämnades.")]
    if given_at > now + timedelta(minutes=5):
        errors["given_at"] = [_("Tidpunkten kan inte ligga i framtiden.")]
    if decision == ConsentDecision.GIVEN:
        if not orgs:
            errors["organisations"] = [_("Välj vilka organisationer samtycket gäller.")]
        if not kinds:
            errors["information_kinds"] = [_("Välj vilka uppgifter samtycket gäller.")]
        if any(k not in InformationKind.values for k in kinds):
            errors["information_kinds"] = [_("Okänd typ av uppgift.")]
    if representative is not None:
        if representative.person_id != plan.person_id:
            errors["representative"] = [_("Företrädaren hör inte till personen.")]
        elif not representative.may_act_for_person:
            errors["representative"] = [
                _("Den här företrädaren har inte rätt att lämna samtycke för personen.")
            ]
        elif not _in_term(representative, timezone.localdate(given_at)):
            errors["representative"] = [
                _(
                    "Företrädarens uppdrag gällde inte när samtycket lämnades: det hade upphört "
                    "eller inte börjat."
                )
            ]
    elif _person_is_child(plan.person, given_at.date()):
        errors["representative"] = [
            _("Personen är under 18 år: samtycket lämnas av en vårdnadshavare.")
        ]
    if errors:
        raise ValidationError(errors)
    consent = _store(
        actor,
        plan,
        decision=decision,
        method=method,
        organisations=orgs,
        kinds=kinds,
        given_at=given_at,
        representative=representative,
        note=note,
        unit=actor.unit,
    )
    _event(
        actor,
        plan,
        "consent_given" if decision == ConsentDecision.GIVEN else "consent_refused",
        consent=consent.pk,
        organisations=sorted(o.pk for o in orgs),
        method=method,
    )
    audit.record(actor=actor, action=f"consent.{decision}", obj=consent, person=plan.person)
    _after_decision(actor, plan, decision, note)
    return consent


def _store(
    actor: Actor,
    plan: Plan,
    *,
    decision: str,
    method: str,
    organisations: list[Organisation],
    kinds: list[str],
    given_at: datetime,
    representative: Representative | None,
    note: str,
    unit: Unit,
) -> Consent:
    """The new consent record, superseding the current one."""
    assert actor.user is not None
    Consent.objects.current().filter(plan=plan).update(superseded_at=timezone.now())
    consent = Consent.objects.create(
        plan=plan,
        decision=decision,
        method=method,
        information_kinds=kinds,
        given_at=given_at,
        given_by_representative=representative,
        note=note,
        recorded_by=actor.user,
        recorded_unit=unit,
    )
    consent.organisations.set(organisations)
    return consent


def _after_decision(actor: Actor, plan: Plan, decision: str, note: str) -> None:
    """What a decision does to the plan: a refusal closes an initiative or pauses a plan; a
    consent starts the work or takes a paused plan up again."""
    if decision == ConsentDecision.REFUSED:
        if plan.versions.exists():
            _pause(actor, plan)
        else:
            _close(actor, plan, ClosureReason.CONSENT_REFUSED, note)
    elif plan.state == PlanState.INITIATED:
        _set_state(plan, PlanState.CONSENTED)
    elif plan.state == PlanState.PAUSED:
        _set_state(plan, PlanState.ESTABLISHED if plan.versions.exists() else PlanState.CONSENTED)


@transaction.atomic
def consent_revoke(*, actor: Actor, plan: Plan, note: str = "") -> Consent:
    """Revocation takes effect at once: the plan pauses and other organisations lose access."""
    authz.require(actor, Action.CONSENT_RECORD, plan)
    _lock(plan)
    require_step(plan, Step.REVOKE_CONSENT)
    consent = active_consent(plan)
    if consent is None:
        raise StepNotAllowed(_("Det finns inget gällande samtycke att återkalla."), code="state")
    _revoke(actor, plan, consent, note, audit_action="consent.revoke")
    return consent


def _revoke(actor: Actor, plan: Plan, consent: Consent, note: str, *, audit_action: str) -> None:
    consent.revoked_at = timezone.now()
    consent.revoked_by = actor.user
    consent.revocation_note = note
    consent.save(update_fields=["revoked_at", "revoked_by", "revocation_note"])
    _event(actor, plan, "consent_revoked", consent=consent.pk, **_own_detail(actor, plan))
    audit.record(actor=actor, action=audit_action, obj=consent, person=plan.person)
    if plan.state != PlanState.CLOSED:
        _pause(actor, plan)
        _cancel_open_meetings(plan)


# The person's own decisions (the own view, issue 11) ------------------------------------------
#
# The person (or a child's guardian) gives, narrows and revokes the consent him- or herself:
# which organisations it covers, and what it must not cover. The policy decides who may
# (Action.OWN_CONSENT_DECIDE); the decision takes effect on the very next request everywhere,
# since the policy reads Consent.objects.active() afresh on every request.


def _own_detail(actor: Actor, plan: Plan) -> dict[str, str]:
    """The plan event's note of who decided, when it was the person or a representative."""
    if actor.user is None or actor.unit is not None:
        return {}
    if plan.person.user_id == actor.user.pk:
        return {"by": "person"}
    return {"by": "representative"}


def own_consent_organisations(plan: Plan) -> list[Organisation]:
    """The organisations the person may give consent to from the own view: those whose units
    take part in the plan, and those the current consent covers. One query."""
    return list(
        Organisation.objects.filter(
            Q(units__participations__plan=plan, units__participations__left_at__isnull=True)
            | Q(pk__in=covered_organisation_ids(plan))
        )
        .distinct()
        .order_by("name")
    )


def _receiving_unit(plan: Plan) -> Unit:
    """The unit that receives a decision the person makes in the own view: the coordinator's,
    or before a coordinator is named the initiating unit."""
    return plan.coordinator_unit or plan.initiating_unit


@transaction.atomic
def consent_decide_own(
    *,
    actor: Actor,
    plan: Plan,
    organisations: Iterable[Organisation],
    excluded_kinds: Iterable[str] = (),
    note: str = "",
) -> Consent:
    """The person's (or a guardian's) own consent, given from the own view: to these
    organisations, covering every kind of information but `excluded_kinds` (what the consent
    must not cover). A new decision supersedes the one before: narrowing is a new consent
    with less in it, and takes effect on the next request."""
    authz.require(actor, Action.OWN_CONSENT_DECIDE, plan)
    _lock(plan)
    require_step(plan, Step.RECORD_CONSENT)
    orgs = list(organisations)
    excluded = set(excluded_kinds)
    allowed_ids = {o.pk for o in own_consent_organisations(plan)}
    errors: dict[str, list[str]] = {}
    if not orgs:
        errors["organisations"] = [_("Välj minst en organisation som samtycket gäller.")]
    elif any(o.pk not in allowed_ids for o in orgs):
        errors["organisations"] = [
            _("Välj bland organisationerna som deltar i planen. Någon av dem finns inte där.")
        ]
    if any(k not in InformationKind.values for k in excluded):
        errors["excluded_kinds"] = [_("Okänd typ av uppgift.")]
    elif not set(InformationKind.values) - excluded:
        errors["excluded_kinds"] = [
            _(
                "Samtycket kan inte undanta allt. Vill du inte att någon ska få del av "
                "planen, ta tillbaka samtycket i stället."
            )
        ]
    if errors:
        raise ValidationError(errors)
    representative = None
    if plan.person.user_id != getattr(actor.user, "pk", None):
        representative = authz.acting_representative(actor, plan.person)
    kinds = sorted(set(InformationKind.values) - excluded)
    consent = _store(
        actor,
        plan,
        decision=ConsentDecision.GIVEN,
        method=ConsentMethod.DIGITAL,
        organisations=orgs,
        kinds=kinds,
        given_at=timezone.now(),
        representative=representative,
        note=note,
        unit=_receiving_unit(plan),
    )
    _event(
        actor,
        plan,
        "consent_given",
        consent=consent.pk,
        organisations=sorted(o.pk for o in orgs),
        excluded=sorted(excluded),
        method=ConsentMethod.DIGITAL,
        **_own_detail(actor, plan),
    )
    audit.record(
        actor=actor,
        action=AuditAction.CONSENT_DECIDE_OWN,
        obj=consent,
        person=plan.person,
        detail={"organisations": sorted(o.pk for o in orgs), "excluded": sorted(excluded)},
    )
    _after_decision(actor, plan, ConsentDecision.GIVEN, note)
    return consent


@transaction.atomic
def consent_revoke_own(*, actor: Actor, plan: Plan, consent_id: int, note: str = "") -> Consent:
    """The person (or a guardian) takes the consent back, from the own view. `consent_id` is
    the consent the page showed: one already revoked or replaced is refused with a message
    and nothing changes."""
    authz.require(actor, Action.OWN_CONSENT_DECIDE, plan)
    _lock(plan)
    require_step(plan, Step.REVOKE_CONSENT)
    consent = active_consent(plan)
    if consent is None or consent.pk != consent_id:
        raise ValidationError(
            {
                "consent": [
                    _(
                        "Samtycket är redan återkallat eller har ersatts av ett nyare. "
                        "Ladda om sidan och se vad som gäller nu."
                    )
                ]
            }
        )
    _revoke(actor, plan, consent, note, audit_action=AuditAction.CONSENT_REVOKE_OWN)
    return consent
