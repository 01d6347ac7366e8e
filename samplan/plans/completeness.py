"""The completeness check: which of the items that SoL/HSL 16:4 and SOSFS 2008:20 require a
plan still lacks. A read, used by establishing, the plan page and the worklists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import router
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from samplan.consent.models import Consent
from samplan.core.prepared import prepared
from samplan.directory.models import (
    OrganisationKind,
)
from samplan.plans.models import (
    FollowUp,
    Goal,
    Intervention,
    Meeting,
    Need,
    Participant,
    Plan,
    PlanType,
    PlanVersion,
)


@dataclass(frozen=True)
class MissingItem:
    key: str
    message: str


MISSING_MESSAGES = {
    "consent": gettext_lazy("Gällande samtycke från personen"),
    "meeting": gettext_lazy("Ett hållet SIP-möte"),
    "needs": gettext_lazy("Personens behov, förutsättningar och intressen"),
    "goals": gettext_lazy("Mål för de samordnade insatserna"),
    "interventions": gettext_lazy("Planerade och beslutade insatser"),
    "principals": gettext_lazy("Både kommun och region deltar i planen"),
    "lead_organisation": gettext_lazy("Vilken huvudman som har det övergripande ansvaret"),
    "coordinator": gettext_lazy("Samordnarens namn"),
    "coordinator_contact": gettext_lazy("Samordnarens kontaktuppgifter (telefon och e-post)"),
    "time_plan": gettext_lazy("En tidsplan för samordningen"),
    "evaluation_plan": gettext_lazy("Vad som ska följas upp eller utvärderas"),
    "follow_up": gettext_lazy("En inplanerad uppföljning med datum"),
    "lss_yearly_review": gettext_lazy("Uppföljning inom ett år (individuell plan enligt LSS)"),
    "existing_plan": gettext_lazy("Vilken befintlig plan som kompletteras"),
}


def plan_missing_items(*, plan: Plan) -> list[MissingItem]:
    """Every required item the plan still lacks (SoL/HSL 16:4 and SOSFS 2008:20)."""
    return plans_missing_items(plans=[plan])[plan.pk]


def _exists(model: type[Model], **lookups: Any) -> Exists:
    return Exists(model._default_manager.filter(plan=OuterRef("pk"), **lookups))


def _facts_query(within_a_year: date, **ids: int) -> QuerySet[Plan]:
    """The plans with the facts the check reads, one EXISTS subquery each."""
    return Plan.objects.filter(pk__in=list(ids.values())).annotate(
        f_consent=Exists(Consent.objects.active().filter(plan=OuterRef("pk"))),
        f_version=_exists(PlanVersion),
        f_held_meeting=_exists(Meeting, held_at__isnull=False),
        f_need=_exists(Need),
        f_goal=Exists(Goal.objects.filter(plan=OuterRef("pk")).exclude(shared_goal="")),
        f_intervention=_exists(Intervention),
        f_municipality=_exists(
            Participant,
            left_at__isnull=True,
            unit__organisation__kind=OrganisationKind.MUNICIPALITY,
        ),
        f_region=_exists(
            Participant, left_at__isnull=True, unit__organisation__kind=OrganisationKind.REGION
        ),
        f_follow_up=_exists(FollowUp, done_at__isnull=True),
        f_follow_up_within_year=_exists(
            FollowUp, done_at__isnull=True, due_date__lte=within_a_year
        ),
    )


# The statement is compiled once per number of plans, rounded up to one of these (the list
# of ids padded by repeating its last): ten EXISTS subqueries cost more to build and compile
# than the database spends answering them (issue 12).
_ID_COUNTS = (1, 2, 4, 8, 16, 32, 64)
_DATE_STAND_INS = (date(1901, 1, 1), date(1902, 2, 2))


def _facts(ids: list[int], within_a_year: date) -> list[Plan]:
    count = next((n for n in _ID_COUNTS if n >= len(ids)), None)
    if ids and count is not None:
        slots: dict[str, tuple[Any, Any]] = {"within_a_year": _DATE_STAND_INS}
        slots.update({f"id{i}": (-1 - i, -1001 - i) for i in range(count)})
        using = router.db_for_read(Plan)
        statement = prepared(("plans.completeness", count), _facts_query, slots, using=using)
        # None where the database adapts dates (SQLite): the ORM below, as before.
        if statement is not None:
            padded = ids + [ids[-1]] * (count - len(ids))
            values = {f"id{i}": pk for i, pk in enumerate(padded)}
            facts: list[Plan] = statement.run(within_a_year=within_a_year, **values)
            return facts
    return list(_facts_query(within_a_year, **{f"id{i}": pk for i, pk in enumerate(ids)}))


def plans_missing_items(*, plans: Iterable[Plan]) -> dict[int, list[MissingItem]]:
    """The completeness check for many plans in one query (the worklists show it for every
    draft); each plan's facts come from EXISTS subqueries."""
    ids = [p.pk for p in plans]
    within_a_year = timezone.localdate() + timedelta(days=365)
    facts = _facts(ids, within_a_year)
    result: dict[int, list[MissingItem]] = {}
    for plan in facts:
        f = plan.__dict__
        missing = [
            key
            for key, lacking in (
                ("consent", not f["f_consent"]),
                ("meeting", not f["f_version"] and not f["f_held_meeting"]),
                ("needs", not f["f_need"]),
                ("goals", not f["f_goal"]),
                ("interventions", not f["f_intervention"]),
                ("principals", not (f["f_municipality"] and f["f_region"])),
                ("lead_organisation", plan.lead_organisation_id is None),
                ("coordinator", plan.coordinator_id is None),
                (
                    "coordinator_contact",
                    plan.coordinator_id is not None
                    and not (plan.coordinator_phone and plan.coordinator_email),
                ),
                ("time_plan", not plan.time_plan.strip()),
                ("evaluation_plan", not plan.evaluation_plan.strip()),
                ("follow_up", not f["f_follow_up"]),
                (
                    "lss_yearly_review",
                    plan.plan_type == PlanType.LSS_IP and not f["f_follow_up_within_year"],
                ),
                (
                    "existing_plan",
                    plan.plan_type in (PlanType.HABILITATION, PlanType.REHABILITATION)
                    and not plan.existing_plan_reference.strip(),
                ),
            )
            if lacking
        ]
        result[plan.pk] = [MissingItem(key, str(MISSING_MESSAGES[key])) for key in missing]
    return result
