"""samplan/core/prepared.py: a queryset compiled once and run again with other values gives
what the ORM gives; a query whose SQL changes with its values is not kept."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import QuerySet

from samplan.core.prepared import NotPreparable, Prepared, prepared
from samplan.plans.models import Plan

pytestmark = pytest.mark.django_db


def _plans(*, unit: int, plan: int) -> QuerySet[Plan]:
    return (
        Plan.objects.filter(initiating_unit_id=unit, pk__gte=plan)
        .select_related("person", "initiating_unit__organisation")
        .order_by("pk")
    )


def test_runs_as_the_orm_with_other_values() -> None:
    kept = Prepared.compile(_plans, {"unit": (-1, -2), "plan": (-3, -4)}, using="default")
    for first in Plan.objects.order_by("pk")[:5]:
        expected = list(_plans(unit=first.initiating_unit_id, plan=first.pk))
        got = kept.run(unit=first.initiating_unit_id, plan=first.pk)
        assert got == expected
        assert [p.person.family_name for p in got] == [p.person.family_name for p in expected]
        assert [p.initiating_unit.organisation.name for p in got] == [
            p.initiating_unit.organisation.name for p in expected
        ]
        assert [p.updated_at for p in got] == [p.updated_at for p in expected]


def test_a_query_whose_sql_follows_its_values_is_not_kept() -> None:
    def build(*, ids: Any) -> QuerySet[Plan]:
        return Plan.objects.filter(pk__in=ids)

    with pytest.raises(NotPreparable):
        Prepared.compile(build, {"ids": ([1], [1, 2])}, using="default")
    assert prepared(("test-not-kept",), build, {"ids": ([1], [1, 2])}, using="default") is None
