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
from django.utils import timezone
from django.utils.translation import gettext as _

from samplan.audit import services as audit
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent.coverage import active_consent
from samplan.consent.models import Consent, ConsentDecision, ConsentMethod, InformationKind
from samplan.directory.models import (
    Organisation,
    Person,
    Representative,
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

ADULT_AGE = 18


def _person_is_child(person: Person, on: date) -> bool:
    born = person.birth_date
    if born is None:
        return False
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return years < ADULT_AGE


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

    Consent.objects.current().filter(plan=plan).update(superseded_at=now)
    consent = Consent.objects.create(
        plan=plan,
        decision=decision,
        method=method,
        information_kinds=kinds,
        given_at=given_at,
        given_by_representative=representative,
        note=note,
        recorded_by=actor.user,
        recorded_unit=actor.unit,
    )
    consent.organisations.set(orgs)
    _event(
        actor,
        plan,
        "consent_given" if decision == ConsentDecision.GIVEN else "consent_refused",
        consent=consent.pk,
        organisations=sorted(o.pk for o in orgs),
        method=method,
    )
    audit.record(actor=actor, action=f"consent.{decision}", obj=consent, person=plan.person)
    if decision == ConsentDecision.REFUSED:
        if plan.versions.exists():
            _pause(actor, plan)
        else:
            _close(actor, plan, ClosureReason.CONSENT_REFUSED, note)
    elif plan.state == PlanState.INITIATED:
        _set_state(plan, PlanState.CONSENTED)
    elif plan.state == PlanState.PAUSED:
        _set_state(plan, PlanState.ESTABLISHED if plan.versions.exists() else PlanState.CONSENTED)
    return consent


@transaction.atomic
def consent_revoke(*, actor: Actor, plan: Plan, note: str = "") -> Consent:
    """Revocation takes effect at once: the plan pauses and other organisations lose access."""
    authz.require(actor, Action.CONSENT_RECORD, plan)
    _lock(plan)
    require_step(plan, Step.REVOKE_CONSENT)
    consent = active_consent(plan)
    if consent is None:
        raise StepNotAllowed(_("Det finns inget gällande samtycke att återkalla."), code="state")
    consent.revoked_at = timezone.now()
    consent.revoked_by = actor.user
    consent.revocation_note = note
    consent.save(update_fields=["revoked_at", "revoked_by", "revocation_note"])
    _event(actor, plan, "consent_revoked", consent=consent.pk)
    audit.record(actor=actor, action="consent.revoke", obj=consent, person=plan.person)
    if plan.state != PlanState.CLOSED:
        _pause(actor, plan)
        _cancel_open_meetings(plan)
    return consent
