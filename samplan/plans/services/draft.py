"""The working draft: the plan's details, needs, goals and interventions."""

from __future__ import annotations

from datetime import date
from typing import TypedDict, Unpack, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from samplan.accounts.models import User
from samplan.audit import services as audit
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.directory.models import (
    Organisation,
    OrganisationKind,
    Unit,
)
from samplan.plans import icf
from samplan.plans.models import (
    Goal,
    Intervention,
    InterventionStatus,
    Need,
    Plan,
)
from samplan.plans.services._common import (
    _bump,
    _draft_item,
    _edit_draft,
    _event,
)


class PlanDetails(TypedDict, total=False):
    """The plan's details a caller may change, each optional: what is left out stays."""

    title: str
    lead_organisation: Organisation | None
    coordinator: User | None
    coordinator_unit: Unit | None
    coordinator_phone: str
    coordinator_email: str
    time_plan: str
    evaluation_plan: str
    existing_plan_reference: str
    lss_decision_date: date | None


PLAN_DETAIL_FIELDS = frozenset(PlanDetails.__optional_keys__)


@transaction.atomic
def plan_update_details(
    *,
    actor: Actor,
    plan: Plan,
    expected_revision: int | None = None,
    **fields: Unpack[PlanDetails],
) -> Plan:
    _edit_draft(actor, plan)
    unknown = set(fields) - PLAN_DETAIL_FIELDS
    if unknown:
        raise ValidationError(_("Okända fält: %(f)s") % {"f": ", ".join(sorted(unknown))})
    errors: dict[str, list[str]] = {}
    lead = fields.get("lead_organisation", plan.lead_organisation)
    if lead is not None and lead.kind not in (
        OrganisationKind.MUNICIPALITY,
        OrganisationKind.REGION,
    ):
        errors["lead_organisation"] = [
            _("Det övergripande ansvaret ligger hos en huvudman: en kommun eller en region.")
        ]
    coordinator = fields.get("coordinator", plan.coordinator)
    coordinator_unit = fields.get("coordinator_unit", plan.coordinator_unit)
    if coordinator is not None and coordinator_unit is None:
        membership = (
            coordinator.memberships.filter(
                is_active=True,
                unit__participations__plan=plan,
                unit__participations__left_at__isnull=True,
            )
            .select_related("unit__organisation")
            .first()
        )
        coordinator_unit = membership.unit if membership else None
        fields["coordinator_unit"] = coordinator_unit
    # The unit is checked whether or not a coordinator is named in it (yet): it must be one of
    # a principal's units that takes part in the plan now.
    if coordinator_unit is not None:
        if not plan.participants.filter(unit=coordinator_unit, left_at__isnull=True).exists():
            errors["coordinator_unit"] = [
                _("Samordnarens enhet måste vara en enhet som deltar i planen.")
            ]
        elif not coordinator_unit.organisation.is_principal:
            errors["coordinator_unit"] = [
                _("Samordnaren ska komma från en av huvudmännen (kommun eller region).")
            ]
    if coordinator is not None:
        if (
            coordinator_unit is None
            or not coordinator.is_active
            or not coordinator.memberships.filter(unit=coordinator_unit, is_active=True).exists()
        ):
            errors["coordinator"] = [_("Samordnaren måste arbeta i en enhet som deltar i planen.")]
        elif not errors.get("coordinator_unit"):
            same = coordinator == plan.coordinator
            fields.setdefault(
                "coordinator_phone", plan.coordinator_phone if same else coordinator.phone
            )
            fields.setdefault(
                "coordinator_email", plan.coordinator_email if same else coordinator.email
            )
    if errors:
        raise ValidationError(errors)
    _bump(plan, expected_revision)
    changed = [k for k, v in fields.items() if getattr(plan, k) != v]
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.full_clean(exclude=["person", "initiating_unit", "initiating_user"])
    plan.save()
    _event(actor, plan, "draft_changed", fields=sorted(changed))
    audit.record(
        actor=actor,
        action="plan.update",
        obj=plan,
        person=plan.person,
        detail={"fields": sorted(changed)},
    )
    return plan


@transaction.atomic
def need_add(
    *,
    actor: Actor,
    plan: Plan,
    kind: str,
    description: str,
    icf_code: str = "",
    expected_revision: int | None = None,
) -> Need:
    _edit_draft(actor, plan)
    need = Need(
        plan=plan,
        kind=kind,
        description=description.strip(),
        icf_code=_icf(icf_code),
        order=plan.needs.count(),
    )
    need.full_clean()
    need.save()
    _draft_item(actor, plan, expected_revision, "need.add", need, "need")
    return need


def _icf(code: str) -> str:
    try:
        return icf.validate(code)
    except ValidationError as exc:
        raise ValidationError({"icf_code": exc.messages}) from None


@transaction.atomic
def need_update(
    *,
    actor: Actor,
    need: Need,
    kind: str,
    description: str,
    icf_code: str = "",
    expected_revision: int | None = None,
) -> Need:
    plan = need.plan
    _edit_draft(actor, plan)
    need.kind, need.description, need.icf_code = kind, description.strip(), _icf(icf_code)
    need.full_clean()
    need.save()
    _draft_item(actor, plan, expected_revision, "need.update", need, "need")
    return need


@transaction.atomic
def need_remove(*, actor: Actor, need: Need, expected_revision: int | None = None) -> None:
    plan = need.plan
    _edit_draft(actor, plan)
    _draft_item(actor, plan, expected_revision, "need.remove", need, "need")
    need.delete()


@transaction.atomic
def goal_add(
    *,
    actor: Actor,
    plan: Plan,
    shared_goal: str,
    person_words: str = "",
    target_date: date | None = None,
    expected_revision: int | None = None,
) -> Goal:
    _edit_draft(actor, plan)
    goal = Goal(
        plan=plan,
        shared_goal=shared_goal.strip(),
        person_words=person_words.strip(),
        target_date=target_date,
        order=plan.goals.count(),
    )
    goal.full_clean()
    goal.save()
    _draft_item(actor, plan, expected_revision, "goal.add", goal, "goal")
    return goal


@transaction.atomic
def goal_update(
    *,
    actor: Actor,
    goal: Goal,
    shared_goal: str,
    person_words: str = "",
    target_date: date | None = None,
    expected_revision: int | None = None,
) -> Goal:
    plan = goal.plan
    _edit_draft(actor, plan)
    goal.shared_goal, goal.person_words = shared_goal.strip(), person_words.strip()
    goal.target_date = target_date
    goal.full_clean()
    goal.save()
    _draft_item(actor, plan, expected_revision, "goal.update", goal, "goal")
    return goal


@transaction.atomic
def goal_remove(*, actor: Actor, goal: Goal, expected_revision: int | None = None) -> None:
    plan = goal.plan
    _edit_draft(actor, plan)
    _draft_item(actor, plan, expected_revision, "goal.remove", goal, "goal")
    goal.delete()


class InterventionFields(TypedDict, total=False):
    """An intervention's fields as a caller gives them. Adding, what is left out is empty;
    updating, what is left out stays."""

    description: str
    responsible_organisation: Organisation | None
    responsible_unit: Unit | None
    responsible_staff: User | None
    status: str
    start_date: date | None
    end_date: date | None
    goal: Goal | None


INTERVENTION_FIELDS = frozenset(InterventionFields.__optional_keys__)


class _InterventionValues(TypedDict):
    """Every field of the intervention to be written: given, kept, or empty (None)."""

    description: str | None
    responsible_organisation: Organisation | None
    responsible_unit: Unit | None
    responsible_staff: User | None
    status: str | None
    start_date: date | None
    end_date: date | None
    goal: Goal | None


def _check_intervention(fields: _InterventionValues, plan: Plan) -> None:
    errors: dict[str, list[str]] = {}
    org = fields.get("responsible_organisation")
    unit = fields.get("responsible_unit")
    staff = fields.get("responsible_staff")
    if org is None:
        errors["responsible_organisation"] = [_("Ange vilken organisation som ansvarar.")]
    elif unit is not None and unit.organisation_id != org.pk:
        errors["responsible_unit"] = [_("Enheten hör inte till den ansvariga organisationen.")]
    if (
        staff is not None
        and unit is not None
        and not staff.memberships.filter(unit=unit, is_active=True).exists()
    ):
        errors["responsible_staff"] = [_("Personen arbetar inte i den ansvariga enheten.")]
    elif (
        staff is not None
        and org is not None
        and not staff.memberships.filter(unit__organisation=org, is_active=True).exists()
    ):
        errors["responsible_staff"] = [_("Personen arbetar inte i den ansvariga organisationen.")]
    if fields.get("status") not in InterventionStatus.values:
        errors["status"] = [_("Ange om insatsen är planerad eller beslutad.")]
    start, end = fields.get("start_date"), fields.get("end_date")
    if start and end and end < start:
        errors["end_date"] = [_("Slutdatumet kan inte ligga före startdatumet.")]
    goal = fields.get("goal")
    if goal is not None and goal.plan_id != plan.pk:
        errors["goal"] = [_("Målet hör inte till den här planen.")]
    if not str(fields.get("description", "")).strip():
        errors["description"] = [_("Beskriv insatsen.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def intervention_add(
    *,
    actor: Actor,
    plan: Plan,
    expected_revision: int | None = None,
    **fields: Unpack[InterventionFields],
) -> Intervention:
    _edit_draft(actor, plan)
    # Every field, None where not given (the keys are the TypedDict's own).
    values = cast(_InterventionValues, {k: fields.get(k) for k in INTERVENTION_FIELDS})
    _check_intervention(values, plan)
    intervention = Intervention(plan=plan, order=plan.interventions.count(), **values)
    intervention.full_clean()
    intervention.save()
    _draft_item(actor, plan, expected_revision, "intervention.add", intervention, "intervention")
    return intervention


@transaction.atomic
def intervention_update(
    *,
    actor: Actor,
    intervention: Intervention,
    expected_revision: int | None = None,
    **fields: Unpack[InterventionFields],
) -> Intervention:
    """The plan's editors, and each organisation for its own interventions."""
    plan = intervention.plan
    _edit_draft(actor, plan, Action.INTERVENTION_EDIT, intervention)
    # Every field, the intervention's own where not given (the keys are the TypedDict's own).
    merged = cast(
        _InterventionValues,
        {k: fields.get(k, getattr(intervention, k)) for k in INTERVENTION_FIELDS},
    )
    if not authz.can(actor, Action.PLAN_EDIT, plan) and (
        merged["responsible_organisation"] != intervention.responsible_organisation
    ):
        raise ValidationError(
            {
                "responsible_organisation": [
                    _("Du kan inte flytta insatsen till en annan organisation.")
                ]
            }
        )
    _check_intervention(merged, plan)
    for name, value in merged.items():
        setattr(intervention, name, value)
    intervention.full_clean()
    intervention.save()
    _draft_item(actor, plan, expected_revision, "intervention.update", intervention, "intervention")
    return intervention


@transaction.atomic
def intervention_remove(
    *, actor: Actor, intervention: Intervention, expected_revision: int | None = None
) -> None:
    plan = intervention.plan
    _edit_draft(actor, plan, Action.INTERVENTION_EDIT, intervention)
    _draft_item(actor, plan, expected_revision, "intervention.remove", intervention, "intervention")
    intervention.delete()
