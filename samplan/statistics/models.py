"""Pre-computed figures (issue 13: every statistics page under a second at region scale).

`MonthFacts` holds, per organisation (whose manager reads the figures) and calendar month,
the facts every table is rendered from (facts.py: additive counters), exactly as the live
computation would count them. `PlanFootprint` remembers, per plan, the organisations and the
span of months its rows were counted in, so that a change to the plan tells which months
to count again (aggregates.py). `RefreshCursor` is how far the plan events (the outbox) have
been read into them.
"""

from __future__ import annotations

from django.db import models

from samplan.directory.models import Organisation
from samplan.plans.models import Plan


class MonthFacts(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the month's first day
    data = models.JSONField(default=dict)  # facts.Facts.as_json()
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "month"], name="monthfacts_unique")
        ]

    def __str__(self) -> str:
        return f"facts of {self.organisation_id} for {self.month:%Y-%m}"


class PlanFootprint(models.Model):
    plan = models.OneToOneField(Plan, on_delete=models.CASCADE, primary_key=True, related_name="+")
    organisations = models.JSONField(default=list)  # ids
    first_month = models.IntegerField()  # facts.month_index
    last_month = models.IntegerField()

    def __str__(self) -> str:
        return f"footprint of plan {self.plan_id}"


class RefreshCursor(models.Model):
    """One row: the last plan event whose change the monthly facts hold."""

    position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"statistics refreshed to event {self.position}"
