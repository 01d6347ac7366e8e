"""Shared helpers for the agreements tests: the demo world's actors and objects by name."""

from __future__ import annotations

from samplan.accounts.models import User
from samplan.authz.actor import Actor
from samplan.directory.models import Organisation, Unit
from samplan.plans.models import Plan


def actor(username: str) -> Actor:
    return Actor.for_user(User.objects.get(username=username))


def org(key: str) -> Organisation:
    names = {
        "region": "Region Sjöland",
        "ekbacka": "Ekbacka kommun",
        "strandvik": "Strandviks kommun",
        "fk": "Försäkringskassan",
    }
    return Organisation.objects.get(name=names[key])


def unit(name: str) -> Unit:
    return Unit.objects.get(name=name)


def ove_plan() -> Plan:
    """Ove's established plan (sent back and forth): Ekbacka's social psychiatry initiated it
    and coordinates it; the region's psychiatry takes part."""
    return Plan.objects.get(person__given_name="Ove", person__family_name="Demosson")
