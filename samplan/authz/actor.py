"""Who is acting: a user, through one of his or her units (the acting unit), or the system."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from samplan.core.prepared import prepared

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
    # Plans this request read through the policy's visible plans (the access helpers' plan
    # reads), so that asking again what the actor may do with it costs no query.
    visible_plan_ids: set[int] = field(default_factory=set, repr=False)

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
        return cls.with_memberships(user, memberships, unit_id=unit_id)

    @classmethod
    def with_memberships(
        cls, user: User, memberships: list[Membership], *, unit_id: int | None = None
    ) -> Actor:
        """The actor of `user`, whose active memberships (in active units, by id) are given:
        acting through the one in `unit_id`, or the first."""
        chosen = next((m for m in memberships if m.unit_id == unit_id), None)
        actor = cls(user=user, membership=chosen or (memberships[0] if memberships else None))
        actor.__dict__["memberships"] = memberships  # the cached property, already known
        return actor

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


# Stand-ins for the token's hash and the time when the bearer query is compiled.
_BEARER_STAND_INS: dict[str, tuple[Any, Any]] = {
    "token_hash": ("0" * 64, "1" * 64),
    "now": (datetime(2001, 1, 1, tzinfo=UTC), datetime(2002, 2, 2, tzinfo=UTC)),
}


def _bearer_memberships(token: str) -> tuple[User, list[Membership]] | None:
    """The token's user with his or her active memberships, in one query (the token check
    joined to the memberships), and the token noted as used. None when no membership row
    came back: an unknown token, or a user without an active unit (the caller then asks for
    the token alone)."""
    from samplan.accounts.services import api_token_condition, api_token_hash, api_token_used
    from samplan.directory.models import Membership

    through = "user__api_tokens__"
    hashed = api_token_hash(token)
    if hashed is None:
        return None

    def build(*, token_hash: str, now: datetime) -> QuerySet[Membership]:
        valid = api_token_condition(token_hash=token_hash, now=now, through=through)
        return (
            Membership.objects.filter(valid, is_active=True, unit__is_active=True)
            .select_related("user", "unit__organisation")
            .annotate(
                token_id=F(f"{through}pk"),
                token_last_used_at=F(f"{through}last_used_at"),
            )
            .order_by("pk")
        )

    # The statement compiled once per thread, run with the token's hash and the time.
    now = timezone.now()
    kept = prepared(
        ("bearer_memberships",), build, _BEARER_STAND_INS, using=Membership.objects.all().db
    )
    rows: list[Any] = (
        kept.run(token_hash=hashed, now=now)
        if kept is not None
        else list(build(token_hash=hashed, now=now))
    )
    if not rows:
        return None
    user = rows[0].user
    for row in rows:
        row.user = user
    api_token_used(rows[0].token_id, rows[0].token_last_used_at)
    memberships: list[Membership] = list(rows)
    return user, memberships


def actor_for_bearer(request: HttpRequest) -> Actor | None:
    """The actor behind `Authorization: Bearer <token>`, acting through the unit named in the
    X-Samplan-Unit header (a unit id) or the user's first unit. None when the token is not
    valid or the user does not work in the named unit. One query for a staff member's token
    (two for a token whose user has no active unit, or an unknown one)."""
    from samplan.accounts.services import api_token_authenticate

    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    raw_unit = request.headers.get(ACTING_UNIT_HEADER, "").strip()
    # A unit the user does not work in is refused, never silently replaced by another one.
    if raw_unit and not (raw_unit.isascii() and raw_unit.isdigit()):
        return None
    unit_id = int(raw_unit) if raw_unit else None
    found = _bearer_memberships(token.strip())
    if found is not None:
        actor = Actor.with_memberships(found[0], found[1], unit_id=unit_id)
    else:
        user = api_token_authenticate(token.strip())
        if user is None:
            return None
        actor = Actor.with_memberships(user, [], unit_id=unit_id)
    if unit_id is None:
        return actor
    return actor if actor.unit is not None and actor.unit.pk == unit_id else None
