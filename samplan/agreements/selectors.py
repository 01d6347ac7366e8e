"""Reads of the agreements register, SIP leads and fixed SIP times (no personal data; narrowed
by the policy where it says who may see what), and the agreement that covers a dispute."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from samplan.agreements.models import Agreement, ResponsibilityDispute, SipLead, SipTime
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.directory.models import Organisation, Unit


def agreements_visible(*, actor: Actor) -> QuerySet[Agreement]:
    return (
        authz.visible_agreements(actor)
        .prefetch_related(Prefetch("parties", queryset=Organisation.objects.order_by("name")))
        .order_by("-valid_from", "title", "pk")
    )


def agreement_detail(*, actor: Actor, agreement_id: int) -> Agreement | None:
    return (
        agreements_visible(actor=actor)
        .prefetch_related("contacts__organisation")
        .filter(pk=agreement_id)
        .first()
    )


def covering_agreement(
    *, organisation_ids: Iterable[int], on: date, need_groups: Sequence[str] = ()
) -> Agreement | None:
    """The agreement that covers a dispute between units of these organisations: every one of
    them a party, valid on the day, and (if the plan names need groups, and the agreement
    target groups) a target group in common. The most specific first: one naming target
    groups before one for everyone, then the most recent."""
    wanted = set(organisation_ids)
    if not wanted:
        return None
    candidates = (
        Agreement.objects.valid_on(on)
        .filter(parties__in=wanted)
        .distinct()
        .prefetch_related("parties")
        .order_by("-valid_from", "-pk")
    )
    matching = [
        a
        for a in candidates
        if wanted <= {p.pk for p in a.parties.all()}
        and (not a.target_groups or not need_groups or set(a.target_groups) & set(need_groups))
    ]
    matching.sort(key=lambda a: not (a.target_groups and need_groups))  # stable: keeps recency
    return matching[0] if matching else None


@dataclass
class DisputeRow:
    """A dispute as the plan page shows it: read with its units in one query."""

    pk: int
    subject: str
    recorded_at: datetime
    recorded_unit: str
    agreement_title: str
    resolved_at: datetime | None
    resolution: str
    unit_ids: list[int] = field(default_factory=list)
    units: list[str] = field(default_factory=list)  # "unit (organisation)"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def days(self, now: datetime) -> int:
        return ((self.resolved_at or now) - self.recorded_at).days


def dispute_rows_for_plan(*, plan_id: int) -> list[DisputeRow]:
    """A plan's disputes, open ones first, with their units: one query (a row per unit)."""
    rows = (
        ResponsibilityDispute.objects.filter(plan_id=plan_id)
        .order_by("resolved_at", "-recorded_at", "-pk", "units__name")
        .values_list(
            "pk",
            "subject",
            "recorded_at",
            "recorded_unit__name",
            "agreement__title",
            "resolved_at",
            "resolution",
            "units__pk",
            "units__name",
            "units__organisation__name",
        )
    )
    disputes: dict[int, DisputeRow] = {}
    for pk, subject, at, unit, title, resolved, resolution, uid, uname, oname in rows:
        row = disputes.get(pk)
        if row is None:
            row = disputes[pk] = DisputeRow(
                pk, subject, at, unit, title or "", resolved, resolution
            )
        if uid is not None:
            row.unit_ids.append(uid)
            row.units.append(f"{uname} ({oname})")
    return list(disputes.values())


def sip_leads_of(*, organisation: Organisation) -> QuerySet[SipLead]:
    return SipLead.objects.filter(organisation=organisation).select_related("user")


def sip_times_of(*, organisation: Organisation) -> QuerySet[SipTime]:
    return (
        SipTime.objects.filter(organisation=organisation)
        .prefetch_related(Prefetch("units", queryset=Unit.objects.order_by("name")))
        .order_by("valid_to", "weekday", "start", "pk")
    )


@dataclass(frozen=True)
class SipSlot:
    """One date of a fixed SIP time, as offered to a coordinator calling a meeting."""

    sip_time: SipTime
    starts_at: datetime
    ends_at: datetime

    @property
    def key(self) -> str:
        """The form's value: the SIP time and the date."""
        return f"{self.sip_time.pk}:{timezone.localtime(self.starts_at):%Y-%m-%d}"


SLOT_WEEKS = 4


def _aware(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at), timezone.get_current_timezone())


def sip_slots_for_units(
    *,
    units: Iterable[Unit],
    now: datetime | None = None,
    weeks: int = SLOT_WEEKS,
    limit: int = 8,
) -> list[SipSlot]:
    """The next dates of the fixed SIP times that suit every invited unit: SIP times whose
    units include all of them, valid on the date, starting after `now`. One query for the
    times (with their units)."""
    unit_ids = {u.pk for u in units}
    if not unit_ids:
        return []
    now = now or timezone.now()
    today = timezone.localdate(now)
    last = today + timedelta(weeks=weeks)
    times = (
        SipTime.objects.filter(valid_from__lte=last)
        .exclude(valid_to__lt=today)
        .filter(units__in=unit_ids)
        .distinct()
        .prefetch_related("units")
        .select_related("organisation")
    )
    suitable = [t for t in times if unit_ids <= {u.pk for u in t.units.all()}]
    slots: list[SipSlot] = []
    for sip_time in suitable:
        day = today + timedelta(days=(sip_time.weekday - today.weekday()) % 7)
        while day <= last:
            starts = _aware(day, sip_time.start)
            if starts > now and sip_time.is_valid_on(day):
                slots.append(SipSlot(sip_time, starts, _aware(day, sip_time.end)))
            day += timedelta(days=7)
    slots.sort(key=lambda s: (s.starts_at, s.sip_time.pk))
    return slots[:limit]


def sip_slot_get(*, key: str, units: Iterable[Unit], now: datetime | None = None) -> SipSlot | None:
    """The slot a form sent back, if it still suits every unit (else None)."""
    for slot in sip_slots_for_units(units=units, now=now, limit=1000):
        if slot.key == key:
            return slot
    return None


def sip_slot_fits(
    *, sip_time: SipTime, starts_at: datetime, ends_at: datetime, units: Iterable[Unit]
) -> bool:
    """Whether a meeting at this time is one of the SIP time's dates (its weekday, start and
    end, a day it is valid on) and every invited unit keeps it free. One query (its units)."""
    start = timezone.localtime(starts_at)
    end = timezone.localtime(ends_at)
    day = start.date()
    return (
        day.weekday() == sip_time.weekday
        and start.time().replace(tzinfo=None) == sip_time.start
        and end.date() == day
        and end.time().replace(tzinfo=None) == sip_time.end
        and sip_time.is_valid_on(day)
        and {u.pk for u in units} <= set(sip_time.units.values_list("pk", flat=True))
    )
