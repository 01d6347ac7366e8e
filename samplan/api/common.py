"""What every endpoint needs: the actor, the plan through the policy, ids in a body resolved
to objects (an unknown id is a 400 at that field, never a 500), and the error responses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from ninja import Path

from samplan.authz import access
from samplan.authz.actor import Actor
from samplan.plans.models import Plan

from .schemas import MAX_ID, ErrorOut

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 413: ErrorOut}
ERRORS_WITH_CONFLICT: dict[int, Any] = {**ERRORS, 409: ErrorOut}


def path_id() -> Any:
    """A path id: 1 up to the 64-bit ids the database stores. (django-ninja declares `Path` a
    generic alias to type checkers, so a plain call lacks the type argument mypy asks for.)"""
    return Path(..., ge=1, le=MAX_ID)  # type: ignore[type-arg]


def actor_of(request: HttpRequest) -> Actor:
    actor = request.auth  # type: ignore[attr-defined]
    assert isinstance(actor, Actor)
    return actor


def plan_for(request: HttpRequest, plan_id: int, purpose: str = "read") -> Plan:
    """The plan, if the actor may see it (audited, with its ground); else the audited 404."""
    plan = access.access_plan(actor=actor_of(request), plan_id=plan_id, purpose=purpose).plan
    request.api_object = plan  # type: ignore[attr-defined]
    return plan


def child_of_plan[M: Model](request: HttpRequest, model: type[M], pk: int, purpose: str) -> M:
    """A meeting, need, goal ... reached through its plan, so the plan's visibility decides.
    A missing object and one in an invisible plan get the same 404, both audited."""
    obj, reached = access.access_plan_child(
        actor=actor_of(request), model=model, pk=pk, purpose=purpose
    )
    request.api_object = reached.plan  # type: ignore[attr-defined]
    return obj


def _unknown(field: str) -> ValidationError:
    return ValidationError({field: ["Okänt id. / Unknown id."]})


def resolve[M: Model](queryset: QuerySet[M], pk: int | None, field: str) -> M | None:
    if pk is None:
        return None
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise _unknown(field)
    return obj


def resolve_required[M: Model](queryset: QuerySet[M], pk: int, field: str) -> M:
    obj = resolve(queryset, pk, field)
    assert obj is not None
    return obj


def resolve_many[M: Model](queryset: QuerySet[M], pks: Iterable[int], field: str) -> list[M]:
    wanted = list(dict.fromkeys(pks))
    found = {obj.pk: obj for obj in queryset.filter(pk__in=wanted)}
    if len(found) != len(wanted):
        raise _unknown(field)
    return [found[pk] for pk in wanted]
