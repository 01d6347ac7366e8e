"""The completeness check's statement, compiled once per number of plans (padded), gives what
the ORM gives for every plan, alone and in lists of every length."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from samplan.plans.completeness import _facts, _facts_query, plans_missing_items
from samplan.plans.models import Plan

pytestmark = pytest.mark.django_db

FACTS = (
    "f_consent",
    "f_version",
    "f_held_meeting",
    "f_need",
    "f_goal",
    "f_intervention",
    "f_municipality",
    "f_region",
    "f_follow_up",
    "f_follow_up_within_year",
)


def _by_orm(plans: list[Plan]) -> dict[int, tuple[bool, ...]]:
    within_a_year = timezone.localdate() + timedelta(days=365)
    ids = {f"id{i}": p.pk for i, p in enumerate(plans)}
    return {
        p.pk: tuple(bool(getattr(p, f)) for f in FACTS) for p in _facts_query(within_a_year, **ids)
    }


def test_the_compiled_check_answers_as_the_orm() -> None:
    plans = list(Plan.objects.order_by("pk"))
    assert plans
    missing = plans_missing_items(plans=plans)
    assert set(missing) == {p.pk for p in plans}
    for size in (1, 3, 5, len(plans)):
        chunk = plans[:size]
        again = plans_missing_items(plans=chunk)
        assert again == {p.pk: missing[p.pk] for p in chunk}
    # The facts themselves, plan by plan, as the ORM reads them.
    within_a_year = timezone.localdate() + timedelta(days=365)
    facts = _facts([p.pk for p in plans[:3]], within_a_year)
    assert {p.pk: tuple(bool(getattr(p, f)) for f in FACTS) for p in facts} == _by_orm(plans[:3])
    assert plans_missing_items(plans=[]) == {}
