"""What one computation of the figures covers: whose figures (the manager's organisation, its
plans as the policy defines them), which period, an optional organisation filter, and the
small-cell protection in force. The figures' modules read only this."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet

from samplan.authz import policy
from samplan.plans.models import Plan
from samplan.statistics.protection import Protection
from samplan.statistics.tables import Cell, Column, Table


@dataclass(frozen=True)
class Scope:
    organisation_id: int  # the manager's own organisation: its rows are exact
    period_from: date
    period_to: date
    protection: Protection
    today: date
    filter_organisation_id: int | None = None

    def own(self, organisation_id: int | None) -> bool:
        return organisation_id == self.organisation_id

    def plans(self) -> QuerySet[Plan]:
        """The plans the organisation takes part in (the policy's statistics scope)."""
        return Plan.objects.filter(policy.statistics_plan_scope(self.organisation_id))

    def plan_q(self, prefix: str) -> Q:
        """The scope on rows that hang from a plan ("plan__", "meeting__plan__")."""
        return policy.statistics_plan_scope(self.organisation_id, prefix)

    def since(self) -> datetime:
        """The period's first moment, local time."""
        return datetime.combine(self.period_from, time.min, tzinfo=local_zone())

    def until(self) -> datetime:
        """The moment after the period's last day, local time."""
        return datetime.combine(self.period_to + timedelta(days=1), time.min, tzinfo=local_zone())

    def in_period(self, field: str) -> Q:
        """A datetime field within the period (local days)."""
        return Q(**{f"{field}__gte": self.since(), f"{field}__lt": self.until()})

    def filtered(self, *fields: str) -> Q:
        """The organisation filter on any of these organisation id fields (none: all)."""
        if self.filter_organisation_id is None:
            return Q()
        q = Q()
        for field in fields:
            q |= Q(**{field: self.filter_organisation_id})
        return q

    def count(self, n: int, organisation_id: int | None) -> Cell:
        return self.protection.count(n, own=self.own(organisation_id))

    def table(
        self,
        key: str,
        title: str,
        columns: tuple[Column, ...],
        rows: Sequence[tuple[Cell, ...]],
        notes: tuple[str, ...] = (),
    ) -> Table:
        return Table(
            key=key,
            title=title,
            columns=columns,
            rows=tuple(rows),
            period_from=self.period_from,
            period_to=self.period_to,
            notes=notes,
        )


@dataclass(frozen=True)
class Names:
    """The names the tables show, read when they are rendered (so a renamed unit or
    organisation shows its name of today, as the live queries do)."""

    organisations: dict[int, str]
    units: dict[int, str]


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_date(moment: datetime) -> date:
    return moment.astimezone(local_zone()).date()


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"


def median(values: list[int]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count)."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: list[int], p: int) -> float | None:
    """The nearest-rank percentile: the smallest value with at least p % of values at or
    below it."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(math.ceil(p * len(ordered) / 100), 1) - 1])


def own_first(rows: list[Any], scope: Scope, org_of: Any) -> list[Any]:
    """Rows of the own organisation first, then the others, each in their given order."""
    return sorted(rows, key=lambda r: not scope.own(org_of(r)))
