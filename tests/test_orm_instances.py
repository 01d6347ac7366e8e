"""Instances made from rows without Model.__init__ (core/orm.py `instance_maker`) are the
ORM's: the same attributes, values and types, the same state; and a model whose instances
are not plain (a receiver of post_init) is made by the ORM, its receiver called."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models
from django.db.models.signals import post_init

from samplan.accounts.models import User
from samplan.core import orm
from samplan.directory.models import Membership, Person, Unit
from samplan.plans.models import Goal, Intervention, Need, Plan

pytestmark = pytest.mark.django_db


def _attributes(obj: models.Model) -> dict[str, Any]:
    return {k: (v, type(v)) for k, v in obj.__dict__.items() if k != "_state"}


@pytest.mark.parametrize("model", [Plan, Person, Need, Goal, Intervention, Unit, User, Membership])
def test_a_plain_instance_is_the_orms(model: type[models.Model]) -> None:
    attnames = [f.attname for f in model._meta.concrete_fields]
    rows = list(model._default_manager.order_by("pk").values_list(*attnames)[:5])
    assert rows, model  # the demo world holds rows of every kind compared
    make = orm.instance_maker(model, attnames)
    for row in rows:
        made = make("default", row)
        expected = model._default_manager.get(pk=made.pk)
        assert type(made) is model
        assert _attributes(made) == _attributes(expected)
        assert (made._state.adding, made._state.db) == (False, "default")
        # It behaves as the ORM's: equal, related rows reachable, savable.
        assert made == expected
        made.save()


def test_a_model_with_a_post_init_receiver_is_made_by_the_orm() -> None:
    seen: list[Any] = []

    def receiver(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append(instance)

    attnames = [f.attname for f in Need._meta.concrete_fields]
    row = Need.objects.order_by("pk").values_list(*attnames)[0]
    post_init.connect(receiver, sender=Need)
    orm._PLAIN.pop(Need, None)
    try:
        made = orm.instance_maker(Need, attnames)("default", row)
    finally:
        post_init.disconnect(receiver, sender=Need)
        orm._PLAIN.pop(Need, None)
    assert seen == [made]


def test_a_row_of_some_columns_is_made_by_the_orm() -> None:
    """Fewer columns than the model has: the others deferred, as the ORM defers them."""
    row = Need.objects.order_by("pk").values_list("id", "plan_id")[0]
    made = orm.instance_maker(Need, ["id", "plan_id"])("default", row)
    assert made.get_deferred_fields() >= {"description"}
