"""FHIR search: parameters parsed strictly, querysets narrowed by the policy, pages fetched by
keyset (`_cursor` holds the last id of the previous page, so page N costs what page 1 costs),
and every read of personal data audited once per person per request."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, Model, OuterRef, Prefetch, Q, QuerySet
from django.http import QueryDict

from samplan.audit.actions import AuditAction
from samplan.authz import access
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.consent.models import Consent, InformationKind
from samplan.directory.models import Membership, Organisation, Person, Unit
from samplan.fhir import directory_resources, mapping, vocabulary
from samplan.fhir.errors import bad_parameter
from samplan.fhir.params import (
    Params,
    category_plan_types,
    instant_filter,
    int_cursor,
    int_ids,
    parse_date_param,
    parse_params,
    patient_id,
    period_filter,
    row_id,
)
from samplan.plans import lifecycle
from samplan.plans.models import (
    Goal,
    Intervention,
    Invitation,
    Meeting,
    Participant,
    Plan,
    PlanState,
    PlanVersion,
)

DEFAULT_COUNT = 20
MAX_COUNT = 100
COMMON_PARAMS = {"_count", "_cursor", "_sort", "_format"}
JSON_FORMATS = {"json", "application/json", "application/fhir+json"}
SUPPORTED_SORT = {"_id"}
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
SUPPORTED_PREFIXES = {"eq", "gt", "lt", "ge", "le"}


# Resource kinds -------------------------------------------------------------------------------


def visible_plan_ids(actor: Actor) -> QuerySet[Any]:
    # The policy's union of the unit's grounds itself, not a plan query around it: the
    # planner drives the search from the unit's plans (issue 12: the same cost at any size).
    return authz.visible_plan_ids(actor)


@dataclass
class Page:
    resources: list[Any]
    next_cursor: str | None


@dataclass
class Kind:
    """One FHIR resource type: its search parameters, its queryset and how rows become
    resources. `render` audits what it returns."""

    name: str
    params: set[str]
    queryset: Callable[[Actor, Params], QuerySet[Any]]
    render: Callable[[Actor, Sequence[Any], str], list[Any]]
    patient_scoped: bool = True
    # A stricter queryset for searches, when listing differs from reading one by id.
    search_queryset: Callable[[Actor, Params], QuerySet[Any]] | None = None
    # A read by id of its own (the CarePlan's, in fewer queries than a search of one).
    read_one: Callable[[Actor, str], Any] | None = None

    def search(self, actor: Actor, params: Params) -> Page:
        qs = (self.search_queryset or self.queryset)(actor, params)
        cursor = int_cursor(params)
        if cursor is not None:
            qs = qs.filter(pk__gt=cursor)
        rows = list(qs.order_by("pk")[: params.count + 1])
        has_more = len(rows) > params.count
        rows = rows[: params.count]
        action = f"{self.name.lower()}.fhir_search"
        if not rows and self.patient_scoped and "patient" in params.values:
            access.audit_empty_search(actor=actor, action=action, person_id=patient_id(params))
        resources = self.render(actor, rows, action)
        return Page(resources, str(rows[-1].pk) if has_more and rows else None)

    def read(self, actor: Actor, rid: str) -> Any:
        if self.read_one is not None:
            return self.read_one(actor, rid)
        pk = row_id(rid)
        action = f"{self.name.lower()}.fhir_read"
        row = None if pk is None else self.queryset(actor, Params(values={})).filter(pk=pk).first()
        if row is None:
            raise access.refuse(actor, Action.PLAN_VIEW, audit_action=action)
        return self.render(actor, [row], action)[0]


def _by_plan[M: Model](
    qs: QuerySet[M], actor: Actor, params: Params, plan_field: str
) -> QuerySet[M]:
    qs = qs.filter(**{f"{plan_field}__in": visible_plan_ids(actor)})
    pid = patient_id(params)
    if pid is not None:
        prefix = f"{plan_field}__" if plan_field != "pk" else ""
        qs = qs.filter(**{f"{prefix}person_id": pid})
    ids = int_ids(params)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs


# CarePlan

CAREPLAN_STATUS_FILTERS: dict[str, Q] = {
    "draft": Q(state__in=vocabulary.CAREPLAN_DRAFT_STATES),
    "active": Q(state__in=[PlanState.ESTABLISHED, PlanState.REVISING]),
    "on-hold": Q(state=PlanState.PAUSED),
    "completed": Q(state=PlanState.CLOSED, has_versions=True),
    "revoked": Q(state=PlanState.CLOSED, has_versions=False),
    "entered-in-error": Q(pk__in=[]),
    "unknown": Q(pk__in=[]),
}


def careplan_queryset(actor: Actor, params: Params) -> QuerySet[Plan]:
    qs = _by_plan(Plan.objects.all(), actor, params, "pk").annotate(
        has_versions=Exists(PlanVersion.objects.filter(plan=OuterRef("pk")))
    )
    statuses = [s for value in params.many("status") for s in value.split(",")]
    if statuses:
        unknown = [s for s in statuses if s not in CAREPLAN_STATUS_FILTERS]
        if unknown:
            raise bad_parameter("status", f"unknown CarePlan status {unknown[0]!r}")
        condition = Q(pk__in=[])
        for status in statuses:
            condition |= CAREPLAN_STATUS_FILTERS[status]
        qs = qs.filter(condition)
    for raw in params.many("date"):
        qs = qs.filter(period_filter(parse_date_param("date", raw)))
    for raw in params.many("_lastUpdated"):
        qs = qs.filter(instant_filter("updated_at", parse_date_param("_lastUpdated", raw)))
    category = params.one("category")
    if category is not None:
        qs = qs.filter(plan_type__in=category_plan_types(category))
    return qs


def careplan_rows(plans: QuerySet[Plan] | Sequence[Plan]) -> list[Plan]:
    """Everything a page of CarePlans shows, in a fixed number of queries."""
    from django.db.models import prefetch_related_objects

    items = list(plans)
    prefetch_related_objects(
        items,
        "goals",
        "needs",
        Prefetch(
            "interventions",
            queryset=Intervention.objects.select_related(
                "responsible_organisation", "responsible_unit"
            ),
        ),
        # With approved_at: whether the person approved the newest one (approvedForPatient).
        Prefetch("versions", PlanVersion.objects.only("id", "plan_id", "number", "approved_at")),
    )
    return items


@dataclass(frozen=True)
class ShownParts:
    """What of a plan (from careplan_rows) the consent opens to the reader."""

    kinds: frozenset[str]
    plan_content: bool
    goals: list[Goal]
    needs: list[Any]
    interventions: list[Intervention]


def shown_parts(actor: Actor, plans: Sequence[Plan]) -> dict[int, ShownParts]:
    """For each plan, its goals, needs and interventions as the reader may see them (partial
    consent: authz.information_kinds_by_plan); one query for the page."""
    kinds = authz.information_kinds_by_plan(actor, plans)
    parts = {}
    for p in plans:
        k = kinds[p.pk]
        plan_content = InformationKind.PLAN in k
        parts[p.pk] = ShownParts(
            kinds=k,
            plan_content=plan_content,
            goals=list(p.goals.all()) if plan_content else [],
            needs=list(p.needs.all()) if plan_content else [],
            interventions=[
                i for i in p.interventions.all() if authz.intervention_shown(actor, k, i)
            ],
        )
    return parts


def render_careplans(actor: Actor, plans: Sequence[Plan], action: str) -> list[Any]:
    items = careplan_rows(plans)
    access.audit_rows_read(
        actor=actor, action=action, rows=((p.person, p, str(p.pk)) for p in items)
    )
    parts = shown_parts(actor, items)
    # A read by id says which steps the reader may take now, as the plan page's buttons and
    # the REST API's allowed_steps do (the lifecycle table and the policy); a search, whose
    # pages would pay queries per plan for it, does not.
    with_steps = action == AuditAction.CAREPLAN_FHIR_READ
    return [
        mapping.care_plan(
            p,
            goals=parts[p.pk].goals,
            interventions=parts[p.pk].interventions,
            needs=parts[p.pk].needs,
            version_numbers=[v.number for v in p.versions.all()],
            plan_content=parts[p.pk].plan_content,
            allowed_steps=allowed_step_codes(actor, p) if with_steps else (),
        )
        for p in items
    ]


def allowed_step_codes(actor: Actor, plan: Plan) -> list[str]:
    return [str(step) for step in lifecycle.steps_available(actor=actor, plan=plan)]


def careplan_read(actor: Actor, rid: str) -> Any:
    """CarePlan/{id}: the plan, its visibility, active consent, newest version, goals, needs
    and interventions in one query (access.access_careplan_read, audited), shown as the
    consent opens them (one query more for a reader who does not carry the plan): three
    queries with the bearer token's and the audit row, whatever the plan holds."""
    plan = access.access_careplan_read(actor=actor, plan_id=row_id(rid))
    parts = shown_parts(actor, [plan])[plan.pk]
    latest: int | None = plan.latest_version  # type: ignore[attr-defined]
    steps = lifecycle.steps_available(
        actor=actor,
        plan=plan,
        has_active_consent=plan.has_active_consent,  # type: ignore[attr-defined]
    )
    return mapping.care_plan(
        plan,
        goals=parts.goals,
        interventions=parts.interventions,
        needs=parts.needs,
        version_numbers=[latest] if latest is not None else [],
        plan_content=parts.plan_content,
        allowed_steps=[str(step) for step in steps],
    )


def careplan_base(actor: Actor, params: Params) -> QuerySet[Plan]:
    return careplan_queryset(actor, params).select_related(
        "person", "lead_organisation", "initiating_unit"
    )


# CareTeam: one per plan, same id


def careteam_queryset(actor: Actor, params: Params) -> QuerySet[Plan]:
    return _by_plan(Plan.objects.all(), actor, params, "pk").select_related(
        "person", "coordinator", "coordinator_unit", "lead_organisation"
    )


def render_careteams(actor: Actor, plans: Sequence[Plan], action: str) -> list[Any]:
    from django.db.models import prefetch_related_objects

    items = list(plans)
    prefetch_related_objects(
        items,
        Prefetch(
            "participants",
            queryset=Participant.objects.filter(left_at__isnull=True).select_related(
                "unit__organisation"
            ),
        ),
    )
    pairs = {(p.coordinator_id, p.coordinator_unit_id) for p in items if p.coordinator_id}
    memberships: dict[tuple[Any, Any], Membership] = {}
    if pairs:
        condition = Q(pk__in=[])
        for user_id, unit_pk in pairs:
            condition |= Q(user_id=user_id, unit_id=unit_pk)
        for m in Membership.objects.filter(condition):
            memberships[(m.user_id, m.unit_id)] = m
    access.audit_rows_read(
        actor=actor, action=action, rows=((p.person, p, str(p.pk)) for p in items)
    )
    return [
        mapping.care_team(
            p,
            units=[part.unit for part in p.participants.all()],
            coordinator_membership=memberships.get((p.coordinator_id, p.coordinator_unit_id)),
        )
        for p in items
    ]


# Goal


def goal_queryset(actor: Actor, params: Params) -> QuerySet[Goal]:
    return (
        _by_plan(Goal.objects.all(), actor, params, "plan")
        .select_related("plan__person")
        .annotate(has_versions=Exists(PlanVersion.objects.filter(plan=OuterRef("plan"))))
    )


def render_goals(actor: Actor, goals: Sequence[Goal], action: str) -> list[Any]:
    # Goals are the plan's shared content: shown where the consent covers "plan".
    kinds = authz.information_kinds_by_plan(actor, {g.plan_id: g.plan for g in goals}.values())
    goals = [g for g in goals if InformationKind.PLAN in kinds[g.plan_id]]
    access.audit_rows_read(
        actor=actor, action=action, rows=((g.plan.person, g.plan, str(g.pk)) for g in goals)
    )
    return [
        mapping.goal(g, plan=g.plan, has_versions=bool(getattr(g, "has_versions", False)))
        for g in goals
    ]


# Consent


def consent_queryset(actor: Actor, params: Params) -> QuerySet[Consent]:
    return (
        _by_plan(Consent.objects.all(), actor, params, "plan")
        .select_related("plan__person", "given_by_representative")
        .prefetch_related("organisations")
    )


def render_consents(actor: Actor, consents: Sequence[Consent], action: str) -> list[Any]:
    access.audit_rows_read(
        actor=actor, action=action, rows=((c.plan.person, c.plan, str(c.pk)) for c in consents)
    )
    return [
        mapping.consent(
            c,
            person_id=c.plan.person_id,
            organisations=sorted(c.organisations.all(), key=lambda o: o.pk),
        )
        for c in consents
    ]


# Appointment


def appointment_queryset(actor: Actor, params: Params) -> QuerySet[Meeting]:
    qs = _by_plan(Meeting.objects.all(), actor, params, "plan").select_related("plan__person")
    return qs.prefetch_related(
        Prefetch("invitations", queryset=Invitation.objects.select_related("unit__organisation"))
    )


def render_appointments(actor: Actor, meetings: Sequence[Meeting], action: str) -> list[Any]:
    access.audit_rows_read(
        actor=actor, action=action, rows=((m.plan.person, m.plan, str(m.pk)) for m in meetings)
    )
    return [
        mapping.appointment(m, person_id=m.plan.person_id, invitations=list(m.invitations.all()))
        for m in meetings
    ]


# Patient


def patient_queryset(actor: Actor, params: Params) -> QuerySet[Person]:
    qs = authz.visible_persons(actor)
    ids = int_ids(params)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    identifier = params.one("identifier")
    if identifier is not None:
        system, sep, value = identifier.rpartition("|")
        if sep and system:
            kind = vocabulary.SYSTEM_KINDS.get(system)
            if kind is None:
                return qs.none()
            qs = qs.filter(identifier_kind=kind)
        value = value.strip()
        qs = qs.filter(Q(identifier=value) | Q(identifier=re.sub(r"[\s+-]", "", value)))
    return qs


def render_patients(actor: Actor, persons: Sequence[Person], action: str) -> list[Any]:
    access.audit_rows_read(actor=actor, action=action, rows=((p, None, str(p.pk)) for p in persons))
    # Loaded through patient_queryset (authz.visible_persons): the contact check below need
    # not ask the database again for each of them.
    actor.visible_person_ids.update(p.pk for p in persons)
    # Contact details where the relation opens them (partial consent), asked for the page.
    opened = authz.contact_opened_ids(actor, [p.pk for p in persons])
    return [
        directory_resources.patient(p, show_contact=not p.protected_identity and p.pk in opened)
        for p in persons
    ]


def patient_search_queryset(actor: Actor, params: Params) -> QuerySet[Person]:
    if not params.many("_id") and not params.many("identifier"):
        # The pages offer no list of everyone; neither does the API.
        raise bad_parameter("identifier", "a Patient search needs _id or identifier")
    return patient_queryset(actor, params)


# PractitionerRole


def _organization_ref(name: str, raw: str) -> tuple[str, int]:
    match = re.fullmatch(r"(?:Organization/)?(org|unit)-(\d{1,18})", raw, flags=re.ASCII)
    if not match:
        raise bad_parameter(name, "expected Organization/org-{id} or Organization/unit-{id}")
    return match.group(1), int(match.group(2))


def practitionerrole_queryset(actor: Actor, params: Params) -> QuerySet[Membership]:
    qs = Membership.objects.filter(
        unit__organisation__in=authz.visible_organisations(actor)
    ).select_related("user", "unit")
    ids = int_ids(params)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    org = params.one("organization")
    if org is not None:
        kind, pk = _organization_ref("organization", org)
        qs = qs.filter(unit_id=pk) if kind == "unit" else qs.filter(unit__organisation_id=pk)
    return qs


def render_practitionerroles(actor: Actor, rows: Sequence[Membership], action: str) -> list[Any]:
    # Staff directory entries: no personal data of a person (den enskilde), so not audited.
    return [directory_resources.practitioner_role(m) for m in rows]


KINDS: dict[str, Kind] = {
    "CarePlan": Kind(
        "CarePlan",
        {"_id", "patient", "status", "date", "_lastUpdated", "category"},
        careplan_base,
        render_careplans,
        read_one=careplan_read,
    ),
    "CareTeam": Kind("CareTeam", {"_id", "patient"}, careteam_queryset, render_careteams),
    "Goal": Kind("Goal", {"_id", "patient"}, goal_queryset, render_goals),
    "Consent": Kind("Consent", {"_id", "patient"}, consent_queryset, render_consents),
    "Appointment": Kind(
        "Appointment", {"_id", "patient"}, appointment_queryset, render_appointments
    ),
    "Patient": Kind(
        "Patient",
        {"_id", "identifier"},
        patient_queryset,
        render_patients,
        patient_scoped=False,
        search_queryset=patient_search_queryset,
    ),
    "PractitionerRole": Kind(
        "PractitionerRole",
        {"_id", "organization"},
        practitionerrole_queryset,
        render_practitionerroles,
        patient_scoped=False,
    ),
}


# Organization: two tables under one id scheme ----------------------------------------------


ORGANIZATION_PARAMS = {"_id", "identifier", "name", "partof"}


def organization_search(actor: Actor, params: Params) -> Page:
    """Organisations first (org-N), then units (unit-N), each by primary key; the cursor is the
    last id of either kind."""
    orgs: QuerySet[Organisation] = authz.visible_organisations(actor)
    units: QuerySet[Unit] = Unit.objects.filter(organisation__in=orgs).select_related(
        "organisation"
    )
    raw_ids = [part for value in params.many("_id") for part in value.split(",")]
    if raw_ids:
        parsed = [_organization_ref("_id", r) for r in raw_ids]
        orgs = orgs.filter(pk__in=[pk for kind, pk in parsed if kind == "org"])
        units = units.filter(pk__in=[pk for kind, pk in parsed if kind == "unit"])
    identifier = params.one("identifier")
    if identifier is not None:
        system, _sep, value = identifier.rpartition("|")
        if system in ("", vocabulary.ORG_NUMBER_SYSTEM):
            digits = re.sub(r"\D", "", value)
            as_stored = f"{digits[-10:-4]}-{digits[-4:]}" if len(digits) >= 10 else value
            by_number = Q(org_number=as_stored)
        else:
            by_number = Q(pk__in=[])
        by_hsa = Q(hsa_id=value) if system in ("", vocabulary.HSA_SYSTEM) else Q(pk__in=[])
        orgs = orgs.filter(by_number | by_hsa)
        units = units.filter(by_hsa)
    name = params.one("name")
    if name is not None:
        orgs = orgs.filter(name__istartswith=name)
        units = units.filter(name__istartswith=name)
    partof = params.one("partof")
    if partof is not None:
        kind, pk = _organization_ref("partof", partof)
        orgs = orgs.none()
        units = units.filter(organisation_id=pk) if kind == "org" else units.none()
    cursor_kind, cursor_pk = None, 0
    if params.cursor is not None:
        cursor_kind, cursor_pk = _organization_ref("_cursor", params.cursor)
    found: list[Any] = []
    if cursor_kind != "unit":
        found += list(orgs.filter(pk__gt=cursor_pk).order_by("pk")[: params.count + 1])
    if len(found) <= params.count:
        start = cursor_pk if cursor_kind == "unit" else 0
        found += list(units.filter(pk__gt=start).order_by("pk")[: params.count + 1 - len(found)])
    has_more = len(found) > params.count
    found = found[: params.count]
    resources = [
        directory_resources.organization(o)
        if isinstance(o, Organisation)
        else directory_resources.unit_organization(o)
        for o in found
    ]
    next_cursor = None
    if has_more and found:
        last = found[-1]
        next_cursor = (
            vocabulary.org_id(last.pk)
            if isinstance(last, Organisation)
            else vocabulary.unit_id(last.pk)
        )
    return Page(resources, next_cursor)


def organization_read(actor: Actor, rid: str) -> Any:
    match = re.fullmatch(r"(org|unit)-(\d{1,18})", rid, flags=re.ASCII)
    orgs = authz.visible_organisations(actor)
    if match and match.group(1) == "org":
        org = orgs.filter(pk=int(match.group(2))).first()
        if org is not None:
            return directory_resources.organization(org)
    elif match:
        unit = (
            Unit.objects.filter(organisation__in=orgs, pk=int(match.group(2)))
            .select_related("organisation")
            .first()
        )
        if unit is not None:
            return directory_resources.unit_organization(unit)
    raise access.refuse(
        actor, Action.ORGANISATION_VIEW, audit_action=AuditAction.ORGANIZATION_FHIR_READ
    )


SEARCH_PARAMS: dict[str, set[str]] = {
    **{name: kind.params for name, kind in KINDS.items()},
    "Organization": ORGANIZATION_PARAMS,
}


def search(actor: Actor, resource_type: str, query: QueryDict) -> Page:
    if resource_type == "Organization":
        return organization_search(actor, parse_params(query, ORGANIZATION_PARAMS))
    kind = KINDS[resource_type]
    return kind.search(actor, parse_params(query, kind.params))
