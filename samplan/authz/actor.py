"""Who is acting: a user, through one of his or her units (the acting unit), or the system."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

if TYPE_CHECKING:
    from samplan.accounts.models import User
    from samplan.directory.models import Membership, Organisation, Unit

ACTING_UNIT_SESSION_KEY = "samplan_acting_unit"


@dataclass
class Actor:
    user: User | None
    membership: Membership | None = None
    is_system: bool = False
    _role_cache: dict[str, set[int]] = field(default_factory=dict, repr=False)
    # Persons found visible during this request (authz.policy.person_visible).
    visible_person_ids: set[int] = field(default_factory=set, repr=False)

    @classmethod
    def system(cls) -> Actor:
        return cls(user=None, is_system=True)

    @classmethod
    def for_user(cls, user: User, *, unit_id: int | None = None) -> Actor:
        memberships = list(
            user.memberships.filter(is_active=True, unit__is_active=True)
            .select_related("unit__organisation")
            .order_by("pk")
        )
        chosen = next((m for m in memberships if m.unit_id == unit_id), None)
        return cls(user=user, membership=chosen or (memberships[0] if memberships else None))

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None and self.user.is_authenticated and self.user.is_active

    @property
    def unit(self) -> Unit | None:
        return self.membership.unit if self.membership else None

    @property
    def organisation(self) -> Organisation | None:
        return self.membership.unit.organisation if self.membership else None

    @property
    def is_staff_member(self) -> bool:
        return self.is_authenticated and self.membership is not None

    @property
    def is_superuser(self) -> bool:
        return bool(self.is_authenticated and self.user and self.user.is_superuser)

    def organisations_with_role(self, kind: str) -> set[int]:
        if kind not in self._role_cache:
            if not self.is_authenticated or self.user is None:
                self._role_cache[kind] = set()
            else:
                self._role_cache[kind] = set(
                    self.user.organisation_roles.filter(
                        kind=kind, organisation__is_active=True
                    ).values_list("organisation_id", flat=True)
                )
        return self._role_cache[kind]

    @cached_property
    def memberships(self) -> list[Membership]:
        if not self.is_authenticated or self.user is None:
            return []
        return list(
            self.user.memberships.filter(is_active=True, unit__is_active=True)
            .select_related("unit__organisation")
            .order_by("pk")
        )


def request_actor(request: HttpRequest) -> Actor:
    """The actor that ActingUnitMiddleware attached to the request."""
    actor: Actor = request.actor  # type: ignore[attr-defined]
    return actor


def actor_for_request(request: HttpRequest) -> Actor:
    def build() -> Actor:
        user = request.user
        if not user.is_authenticated:
            return Actor(user=None)
        unit_id = request.session.get(ACTING_UNIT_SESSION_KEY)
        return Actor.for_user(user, unit_id=unit_id)

    return SimpleLazyObject(build)  # type: ignore[return-value]


ACTING_UNIT_HEADER = "X-Samplan-Unit"


def actor_for_bearer(request: HttpRequest) -> Actor | None:
    """The actor behind `Authorization: Bearer <token>`, acting through the unit named in the
    X-Samplan-Unit header (a unit id) or the user's first unit. None when the token is not
    valid or the user does not work in the named unit."""
    from samplan.accounts.services import api_token_authenticate

    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    user = api_token_authenticate(token.strip())
    if user is None:
        return None
    raw_unit = request.headers.get(ACTING_UNIT_HEADER, "").strip()
    if not raw_unit:
        return Actor.for_user(user)
    # A unit the user does not work in is refused, never silently replaced by another one.
    if not (raw_unit.isascii() and raw_unit.isdigit()):
        return None
    actor = Actor.for_user(user, unit_id=int(raw_unit))
    return actor if actor.unit is not None and actor.unit.pk == int(raw_unit) else None
