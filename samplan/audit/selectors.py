"""Reads of the audit log for log review: narrowed to the reviewer's organisations, with the
flags that make an event worth a look. Every flag has one definition, used both to mark the
events on a page and to filter "only flagged" in the database, in a bounded number of queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import reduce
from operator import or_
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samplan.audit import partitions
from samplan.audit.actions import AuditAction
from samplan.audit.constants import READ_ACTIONS
from samplan.audit.models import AuditEvent, AuditReview, Outcome
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.directory.models import Organisation, Unit
from samplan.plans.models import Invitation, Participant, Plan

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PAGE_SIZE = 50
# Night: from 22:00 up to 06:00 Stockholm time.
NIGHT_STARTS = 22
NIGHT_ENDS = 6
# A user who reads more distinct persons than this in one day is worth a look.
MANY_PERSONS_PER_DAY = 30


class Flag(StrEnum):
    OUTSIDE_PLANS = "outside_plans"
    PROTECTED_IDENTITY = "protected_identity"
    NIGHT = "night"
    MANY_PERSONS = "many_persons"
    LOOKUP_UNFOLLOWED = "lookup_unfollowed"


FLAG_LABELS = {
    Flag.OUTSIDE_PLANS: _("Läste uppgifter om en person utan plan där användarens enhet deltar"),
    Flag.PROTECTED_IDENTITY: _("Personen har skyddade personuppgifter"),
    Flag.NIGHT: _("Åtkomst nattetid (22–06)"),
    Flag.MANY_PERSONS: _("Användaren läste ovanligt många personer samma dag"),
    Flag.LOOKUP_UNFOLLOWED: _("Slog upp en person utan att en plan eller kallelse följde"),
}


def is_night(moment: datetime) -> bool:
    """True from 22:00 to 06:00 Stockholm time (summer or winter time alike)."""
    hour = moment.astimezone(STOCKHOLM).hour
    return hour >= NIGHT_STARTS or hour < NIGHT_ENDS


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The Stockholm day as an aware [start, end) range; 23 or 25 hours at the DST shifts."""
    start = datetime.combine(day, time.min, tzinfo=STOCKHOLM)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=STOCKHOLM)
    return start, end


@dataclass(frozen=True)
class ReviewFilters:
    organisation_id: int | None = None
    person_id: int | None = None
    username: str = ""
    unit_id: int | None = None
    period_from: date | None = None
    period_to: date | None = None
    only_flagged: bool = False

    def as_json(self) -> dict[str, Any]:
        """What a recorded review stores: ids and dates, never an identity number."""
        data: dict[str, Any] = {
            "organisation": self.organisation_id,
            "person": self.person_id,
            "username": self.username,
            "unit": self.unit_id,
            "period_from": self.period_from.isoformat() if self.period_from else None,
            "period_to": self.period_to.isoformat() if self.period_to else None,
            "only_flagged": self.only_flagged,
        }
        return {k: v for k, v in data.items() if v not in (None, "", False)}


@dataclass
class ReviewRow:
    event: AuditEvent
    flags: list[Flag] = field(default_factory=list)

    @property
    def flag_labels(self) -> list[str]:
        return [str(FLAG_LABELS[f]) for f in self.flags]


@dataclass
class ReviewPage:
    rows: list[ReviewRow]
    newer: int | None  # pass as ?after=
    older: int | None  # pass as ?before=


# Scope and filters ---------------------------------------------------------------------------


def reviewer_organisations(*, actor: Actor) -> list[Organisation]:
    """The organisations whose log the actor reviews; none is refused (audited, 404)."""
    organisations = list(authz.reviewable_organisations(actor).order_by("name"))
    authz.require(actor, Action.AUDIT_REVIEW, organisations[0] if organisations else None)
    return organisations


def _is_read() -> Q:
    return Q(
        action__in=READ_ACTIONS,
        outcome=Outcome.OK,
        person__isnull=False,
        actor_unit__isnull=False,
    )


def _with_flag_columns(queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """Per-row flag inputs the database answers in the same query as the rows."""
    initiated = Plan.objects.filter(
        person_id=OuterRef("person_id"), initiating_unit_id=OuterRef("actor_unit_id")
    )
    # A unit that has left the plan still counts for reads made while it took part.
    participates = Participant.objects.filter(
        plan__person_id=OuterRef("person_id"), unit_id=OuterRef("actor_unit_id")
    ).filter(Q(left_at__isnull=True) | Q(left_at__gte=OuterRef("at")))
    # An invited unit reads the person to answer: a relation, as in the policy. An invitation
    # made after the read does not count.
    invited = Invitation.objects.filter(
        meeting__plan__person_id=OuterRef("person_id"),
        unit_id=OuterRef("actor_unit_id"),
        created_at__lte=OuterRef("at"),
    )
    return queryset.annotate(
        unit_initiated=Exists(initiated),
        unit_participates=ExpressionWrapper(
            Q(Exists(participates)) | Q(Exists(invited)), output_field=BooleanField()
        ),
        local_hour=ExtractHour("at", tzinfo=STOCKHOLM),
        lookup_followed=_lookup_followed(),
    )


LOOKUP_ACTION = AuditAction.PERSON_LOOKUP


def _lookup_followed() -> ExpressionWrapper[Q]:
    """A look-up is followed when the looking unit, within PERSON_LOOKUP_HOURS, started a plan
    for the person or holds an invitation to one of the person's meetings."""
    window = OuterRef("at") + timedelta(hours=settings.PERSON_LOOKUP_HOURS)
    plan = Plan.objects.filter(
        person_id=OuterRef("person_id"),
        initiating_unit_id=OuterRef("actor_unit_id"),
        created_at__gte=OuterRef("at"),
        created_at__lte=window,
    )
    invitation = Invitation.objects.filter(
        meeting__plan__person_id=OuterRef("person_id"),
        unit_id=OuterRef("actor_unit_id"),
        created_at__lte=window,
    )
    return ExpressionWrapper(Q(Exists(plan)) | Q(Exists(invitation)), output_field=BooleanField())


def _lookup_unfollowed_q() -> Q:
    """Look-ups whose window has passed with neither a plan nor an invitation."""
    closed = timezone.now() - timedelta(hours=settings.PERSON_LOOKUP_HOURS)
    return Q(
        action=LOOKUP_ACTION,
        outcome=Outcome.OK,
        person__isnull=False,
        at__lt=closed,
        lookup_followed=False,
    )


def _outside_plans_q() -> Q:
    return _is_read() & Q(unit_initiated=False, unit_participates=False)


def _night_q() -> Q:
    return Q(local_hour__gte=NIGHT_STARTS) | Q(local_hour__lt=NIGHT_ENDS)


def review_events(*, actor: Actor, filters: ReviewFilters) -> QuerySet[AuditEvent]:
    """Events by staff of the actor's reviewable organisations, filtered, with flag columns."""
    organisation_ids = list(authz.reviewable_organisations(actor).values_list("pk", flat=True))
    if filters.organisation_id is not None:
        organisation_ids = [i for i in organisation_ids if i == filters.organisation_id]
    queryset = AuditEvent.objects.filter(actor_organisation_id__in=organisation_ids)
    if filters.person_id is not None:
        queryset = queryset.filter(person_id=filters.person_id)
    if filters.username:
        queryset = queryset.filter(actor__username=filters.username)
    if filters.unit_id is not None:
        queryset = queryset.filter(actor_unit_id=filters.unit_id)
    if filters.period_from is not None:
        queryset = queryset.filter(at__gte=day_bounds(filters.period_from)[0])
    if filters.period_to is not None:
        queryset = queryset.filter(at__lt=day_bounds(filters.period_to)[1])
    queryset = _with_flag_columns(queryset)
    if filters.only_flagged:
        flagged = (
            _outside_plans_q()
            | Q(person__protected_identity=True)
            | _night_q()
            | _lookup_unfollowed_q()
        )
        busy = _busy_days(queryset)
        if busy:
            flagged |= _is_read() & _actor_days_q(busy)
        queryset = queryset.filter(flagged)
    return queryset.select_related("actor", "actor_unit", "actor_organisation", "person")


def _actor_days_q(pairs: Iterable[tuple[int, date]]) -> Q:
    clauses = []
    for actor_id, day in pairs:
        start, end = day_bounds(day)
        clauses.append(Q(actor_id=actor_id, at__gte=start, at__lt=end))
    return reduce(or_, clauses) if clauses else Q(pk__in=[])


def _busy_days(
    queryset: QuerySet[AuditEvent], pairs: Sequence[tuple[int, date]] | None = None
) -> set[tuple[int, date]]:
    """(user, Stockholm day) pairs with more distinct persons read than the threshold, in one
    aggregate query: over `queryset`'s events, or over all reads on the given pairs."""
    reads = AuditEvent.objects.filter(_is_read(), actor__isnull=False)
    if pairs is not None:
        if not pairs:
            return set()
        reads = reads.filter(_actor_days_q(pairs))
    else:
        reads = reads.filter(pk__in=queryset.values("pk"))
    rows = (
        reads.annotate(day=TruncDate("at", tzinfo=STOCKHOLM))
        .values("actor_id", "day")
        .annotate(persons=Count("person_id", distinct=True))
        .filter(persons__gt=MANY_PERSONS_PER_DAY)
        .values_list("actor_id", "day")
    )
    return {(actor_id, _as_date(day)) for actor_id, day in rows}


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def flag_rows(events: Sequence[AuditEvent]) -> list[ReviewRow]:
    """Flags for events fetched through `review_events`: one extra query for the whole page."""
    pairs = sorted(
        {
            (e.actor_id, e.at.astimezone(STOCKHOLM).date())
            for e in events
            if e.actor_id is not None and _event_is_read(e)
        }
    )
    busy = _busy_days(AuditEvent.objects.none(), pairs=pairs)
    rows = []
    for event in events:
        flags: list[Flag] = []
        read = _event_is_read(event)
        if read and not (
            getattr(event, "unit_initiated", True) or getattr(event, "unit_participates", True)
        ):
            flags.append(Flag.OUTSIDE_PLANS)
        if event.person is not None and event.person.protected_identity:
            flags.append(Flag.PROTECTED_IDENTITY)
        if is_night(event.at):
            flags.append(Flag.NIGHT)
        if read and (event.actor_id, event.at.astimezone(STOCKHOLM).date()) in busy:
            flags.append(Flag.MANY_PERSONS)
        if _lookup_unfollowed(event):
            flags.append(Flag.LOOKUP_UNFOLLOWED)
        rows.append(ReviewRow(event=event, flags=flags))
    return rows


def _lookup_unfollowed(event: AuditEvent) -> bool:
    closed = timezone.now() - timedelta(hours=settings.PERSON_LOOKUP_HOURS)
    return (
        event.action == LOOKUP_ACTION
        and event.outcome == Outcome.OK
        and event.person_id is not None
        and event.at < closed
        and not getattr(event, "lookup_followed", True)
    )


def _event_is_read(event: AuditEvent) -> bool:
    return (
        event.action in READ_ACTIONS
        and event.outcome == Outcome.OK
        and event.person_id is not None
        and event.actor_unit_id is not None
    )


def review_page(
    *,
    actor: Actor,
    filters: ReviewFilters,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> ReviewPage:
    """One page, newest first, by keyset on the event id: no COUNT, no OFFSET, so the cost
    does not grow with the length of the log."""
    queryset = review_events(actor=actor, filters=filters)
    # PostgreSQL: the table is partitioned by month (samplan/audit/partitions.py), so the
    # period's bounds on `at` prune it to the period's months, and each month's primary key
    # (id, at) is walked backwards from its newest event: a large organisation's month at
    # 20 million events reads a few pages (docs/operations.md). Elsewhere (SQLite), with a
    # period, `id + 0` (the same order) keeps the planner on the time index.
    period = filters.period_from or filters.period_to
    key = F("pk") + 0 if period and connection.vendor != "postgresql" else F("pk")
    if after is not None:
        chunk = list(queryset.filter(pk__gt=after).order_by(key.asc())[: size + 1])
        more_newer = len(chunk) > size
        events = list(reversed(chunk[:size]))
        more_older = True
    else:
        if before is not None:
            queryset = queryset.filter(pk__lt=before)
        recent = _recent_first(queryset, size) if not period else None
        chunk = recent if recent is not None else list(queryset.order_by(key.desc())[: size + 1])
        more_older = len(chunk) > size
        events = chunk[:size]
        more_newer = before is not None
    return ReviewPage(
        rows=flag_rows(events),
        newer=events[0].pk if events and more_newer else None,
        older=events[-1].pk if events and more_older else None,
    )


def _recent_first(queryset: QuerySet[AuditEvent], size: int) -> list[AuditEvent] | None:
    """PostgreSQL, no period: the newest `size + 1` events read from this month's and last
    month's partitions only, when no older event has a higher id (checked: an event appended
    with an earlier time, as `generate --append` writes them, would). None: read them all.
    Without it every month's partition is planned and searched (at 2 million events over ten
    years, ~80 ms planning and ~110 ms running, against ~60 ms on one table)."""
    if connection.vendor != "postgresql":
        return None
    recent = partitions.month_start(partitions.add_months(partitions.current_month(), -1))
    chunk = list(queryset.filter(at__gte=recent).order_by("-pk")[: size + 1])
    if len(chunk) <= size:
        return None
    if queryset.filter(at__lt=recent, pk__gt=chunk[-1].pk).exists():
        return None
    return chunk


def review_units(*, organisations: Sequence[Organisation]) -> QuerySet[Unit]:
    return Unit.objects.filter(organisation__in=organisations).select_related("organisation")


def reviews_for(*, organisations: Sequence[Organisation], limit: int = 20) -> list[AuditReview]:
    return list(
        AuditReview.objects.filter(organisation__in=organisations)
        .select_related("reviewer", "organisation")
        .order_by("-created_at", "-pk")[:limit]
    )


def flagged_count(*, actor: Actor, filters: ReviewFilters) -> int:
    flagged = ReviewFilters(**{**filters.__dict__, "only_flagged": True})
    return review_events(actor=actor, filters=flagged).count()
