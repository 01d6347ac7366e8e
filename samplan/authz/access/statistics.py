"""A manager's figures (issue 13): the statistics page, its exports and the REST resource.

Only a manager (OrganisationRoleKind.MANAGER) of the acting organisation, or of an
organisation for a manager who works in no unit, sees them; anyone else gets the audited
404. The figures cover what the policy's "Statistics" section says, with small cells outside
the own organisation protected (samplan/statistics/protection.py). The one part that names
persons, the plans "sent back and forth", lists only the plans the actor may see, audited as
a read of each person shown; the others are only counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from samplan.audit.actions import AuditAction
from samplan.authz import policy
from samplan.authz.access.reads import audit_persons_shown
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.core.orm import pk_among
from samplan.directory.models import Organisation
from samplan.plans.models import Plan
from samplan.statistics import compute as figures
from samplan.statistics.protection import Protection
from samplan.statistics.scope import Scope
from samplan.statistics.tables import Protected, Table

# The longest period asked for at once: ten years, the history a region keeps.
MAX_PERIOD_DAYS = 3700


@dataclass(frozen=True)
class StatisticsView:
    period_from: date
    period_to: date
    previous_from: date  # the period before, same length
    previous_to: date
    tables: tuple[Table, ...]  # every figure for the period, small cells protected
    previous: tuple[Table, ...]  # the same tables for the period before
    back_and_forth: tuple[Plan, ...]  # plans sent back and forth the actor may see (audited)
    back_and_forth_hidden: int | Protected  # how many more exist that the actor may not see
    organisations: tuple[Organisation, ...]  # organisations the actor may filter on
    organisation: Organisation | None  # the filter in force
    threshold: int  # the small-cell threshold in force
    # How many of the plans sent back and forth the actor may see: len(back_and_forth) when
    # they are listed, counted without reading them when not (exports and the report).
    back_and_forth_visible: int = 0


def _manager_organisation(actor: Actor) -> Organisation:
    organisation = policy.statistics_organisation(actor)
    if organisation is None:
        raise policy.refuse(actor, Action.STATISTICS_VIEW)
    return organisation


def _check_period(period_from: date, period_to: date) -> None:
    if period_from > period_to:
        raise ValidationError(
            {"period_to": [_("Periodens slut kan inte ligga före periodens början.")]}
        )
    if (period_to - period_from).days > MAX_PERIOD_DAYS:
        raise ValidationError({"period_to": [_("Perioden får vara högst tio år lång.")]})


def _month_start(day: date, months_back: int) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def previous_period(period_from: date, period_to: date) -> tuple[date, date]:
    """The period just before: as many whole months before when the period is whole calendar
    months (a quarter is compared with the quarter before, 1 April - 30 June, not with the 91
    days before), otherwise as many days before."""
    previous_to = period_from - timedelta(days=1)
    whole_months = period_from.day == 1 and (period_to + timedelta(days=1)).day == 1
    if whole_months:
        months = (period_to.year - period_from.year) * 12 + period_to.month - period_from.month + 1
        return _month_start(period_from, months), previous_to
    return previous_to - (period_to - period_from), previous_to


def _scope(
    organisation: Organisation, period_from: date, period_to: date, filter_id: int | None
) -> Scope:
    return Scope(
        organisation_id=organisation.pk,
        period_from=period_from,
        period_to=period_to,
        protection=Protection(settings.STATISTICS_SMALL_CELL),
        today=timezone.localdate(),
        filter_organisation_id=filter_id,
    )


def access_statistics(
    *,
    actor: Actor,
    period_from: date,
    period_to: date,
    organisation_id: int | None = None,
    list_plans: bool = True,
) -> StatisticsView:
    """The figures of the period and the period before. `list_plans`: the plans sent back and
    forth that the actor may see are read and listed (each person shown is audited); without
    it (a table's export, the printed report) they are only counted, and nobody is read."""
    organisation = _manager_organisation(actor)
    _check_period(period_from, period_to)
    choices = tuple(policy.statistics_filter_organisations(organisation))
    chosen = None
    if organisation_id is not None:
        chosen = next((o for o in choices if o.pk == organisation_id), None)
        if chosen is None:
            # An organisation that does not exist and one outside the manager's choice get
            # the same answer: ids cannot be probed.
            raise ValidationError({"organisation": [_("Välj en organisation i listan.")]})
    before_from, before_to = previous_period(period_from, period_to)
    now = _scope(organisation, period_from, period_to, organisation_id)
    computed = figures.compute(now)
    previous = figures.compute(_scope(organisation, before_from, before_to, organisation_id))
    found = computed.back_and_forth.plan_ids
    shown: list[Plan] = []
    visible = 0
    if found and not list_plans:
        visible = policy.visible_plans(actor).filter(pk_among(Plan, found)).count()
    elif found:
        shown = list(
            policy.visible_plans(actor)
            .filter(pk_among(Plan, found))
            .select_related("person", "lead_organisation", "initiating_unit__organisation")
            .order_by("initiated_on", "pk")
        )
    if shown:
        audit_persons_shown(
            actor=actor,
            action=AuditAction.STATISTICS_BACK_AND_FORTH,
            plans=shown,
            detail={"period": [period_from.isoformat(), period_to.isoformat()]},
        )
    visible = visible or len(shown)
    hidden = len(found) - visible
    threshold = now.protection.threshold
    return StatisticsView(
        period_from=period_from,
        period_to=period_to,
        previous_from=before_from,
        previous_to=before_to,
        tables=computed.tables,
        previous=previous.tables,
        back_and_forth=tuple(shown),
        back_and_forth_hidden=Protected(threshold) if 0 < hidden < threshold else hidden,
        organisations=choices,
        organisation=chosen,
        threshold=threshold,
        back_and_forth_visible=visible,
    )


def access_attendance(*, actor: Actor, period_from: date, period_to: date) -> Table:
    """Seed 004's table alone (the REST resource): calling organisation x invited
    organisation x quarter."""
    organisation = _manager_organisation(actor)
    _check_period(period_from, period_to)
    return figures.attendance(_scope(organisation, period_from, period_to, None))
