"""The demo world's managers (issue 13): one in each municipality and one in the region, with
the manager role (OrganisationRoleKind.MANAGER) and no unit, so that they see the figures of
their organisation and no person. `samplan demo --json` lists them with role "manager"."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from samplan.authz.actor import Actor
from samplan.demo.shape import DemoWorld
from samplan.directory import services
from samplan.directory.models import OrganisationRoleKind

# username, first name, last name, organisation key
MANAGERS = [
    ("chef.region", "Maria", "Chefsdotter", "region"),
    ("chef.ekbacka", "Inga", "Norlund", "ekbacka"),
    ("chef.strandvik", "Sten", "Chefsson", "strandvik"),
]
ROLE = "manager"


def demo_logins(organisation_names: dict[str, str]) -> list[tuple[str, str, str, str, str]]:
    """(username, name, organisation, unit, role) of each demo manager, for the login list."""
    return [
        (username, f"{first} {last}", organisation_names[org_key], "–", ROLE)
        for username, first, last, org_key in MANAGERS
    ]


def add_managers(world: DemoWorld) -> None:
    """The managers, with the demo password (the hash the other demo accounts share)."""
    system = Actor.system()
    user_model = get_user_model()
    password = user_model.objects.get(username="admin").password
    for username, first, last, org_key in MANAGERS:
        user = user_model.objects.create_user(
            username=username,
            password=None,
            first_name=first,
            last_name=last,
            email=f"{username}@example.org",
        )
        user.password = password
        user.save(update_fields=["password"])
        services.organisation_role_grant(
            actor=system,
            organisation=world.organisations[org_key],
            user=user,
            kind=OrganisationRoleKind.MANAGER,
        )
