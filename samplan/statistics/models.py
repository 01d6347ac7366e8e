"""Pre-computed figures (issue 13: every statistics page under a second at region scale).

`StoredFacts` holds, per organisation (whose manager reads the figures), kind of row and
calendar day, and summed per calendar month, quarter and year, the facts every table is
rendered from (facts.py: additive counters), exactly as the live computation would count
them. `PlanFootprint` remembers, per plan, the organisations and the
span of months its rows were counted in, so that a change to the plan tells which months
to count again (aggregates.py). `RefreshCursor` is how far the plan events (the outbox) have
been read into them.
"""

from __future__ import annotations

from django.db import models

from samplan.directory.models import Organisation
from samplan.plans.models import Plan


class Span(models.TextChoices):
    DAY = "d", "day"
    WEEK = "w", "week"  # Monday to Sunday, only where the whole week lies in one month
    MONTH = "m", "month"
    QUARTER = "q", "quarter"
    YEAR = "y", "year"


class StoredFacts(models.Model):
    """The facts of one kind of row (facts.SOURCES) for one organisation and one calendar
    day, month, quarter or year (the span starting at `start`); none stored: none counted."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    span = models.CharField(max_length=1, choices=Span.choices)
    start = models.DateField()
    source = models.CharField(max_length=20)
    data = models.BinaryField()  # orjson of facts.Facts.as_json(COUNTERS_OF[source])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "span", "start", "source"], name="storedfacts_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} of {self.organisation_id} for the {self.span} of {self.start}"


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
