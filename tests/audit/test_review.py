"""Log review (HSLF-FS 2016:40 4 kap. 9 §): who may review, what is shown, what is flagged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from samplan.accounts.models import User
from samplan.audit.models import AuditEvent, AuditReview
from samplan.audit.reviews import audit_review_record
from samplan.audit.selectors import (
    MANY_PERSONS_PER_DAY,
    Flag,
    ReviewFilters,
    is_night,
    review_page,
)
from samplan.audit.services import record
from samplan.authz.actor import Actor
from samplan.authz.policy import Denied
from samplan.directory.models import Organisation, Person
from samplan.plans.models import Plan

pytestmark = pytest.mark.django_db

STOCKHOLM = ZoneInfo("Europe/Stockholm")
DAY = date(2026, 3, 10)
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=STOCKHOLM)
ONE_DAY = ReviewFilters(period_from=DAY, period_to=DAY)
DAY_QUERY = {"period_from": "2026-03-10", "period_to": "2026-03-10"}


@contextmanager
def clock(moment: datetime) -> Iterator[None]:
    """Events get the time of `moment`; audit rows cannot be updated afterwards."""
    with mock.patch.object(timezone, "now", return_value=moment):
        yield


def read(actor: Actor, person: Person, when: datetime = NOON, action: str = "person.read"):
    with clock(when):
        return record(actor=actor, action=action, obj=person, ground="staff")


@pytest.fixture
def actor_of(demo_user: Callable[[str], User]) -> Callable[[str], Actor]:
    return lambda username: Actor.for_user(demo_user(username))


@pytest.fixture
def karin(actor_of: Callable[[str], Actor]) -> Actor:
    return actor_of("karin.holm")


@pytest.fixture
def reviewer(actor_of: Callable[[str], Actor]) -> Actor:
    return actor_of("granskare.ekbacka")


@pytest.fixture
def own_plan_person(karin: Actor) -> Person:
    """A person with a plan that Karin's unit initiated."""
    plan = Plan.objects.filter(initiating_unit=karin.unit).select_related("person").first()
    assert plan is not None
    assert not plan.person.protected_identity
    return plan.person


@pytest.fixture
def stranger(karin: Actor) -> Person:
    """A person with no plan that Karin's unit initiated or takes part in."""
    person = (
        Person.objects.exclude(plans__initiating_unit=karin.unit)
        .exclude(plans__participants__unit=karin.unit)
        .filter(protected_identity=False)
        .first()
    )
    assert person is not None
    return person


def flags_of(reviewer: Actor, event: AuditEvent, filters: ReviewFilters = ONE_DAY) -> list[Flag]:
    rows = review_page(actor=reviewer, filters=filters).rows
    [row] = [r for r in rows if r.event.pk == event.pk]
    return row.flags


# Who may review, and what -----------------------------------------------------------------


def test_reviewer_sees_own_staff_and_not_another_organisations(
    reviewer: Actor, karin: Actor, actor_of: Callable[[str], Actor], stranger: Person, login
) -> None:
    own = read(karin, stranger)
    other = read(actor_of("sara.lind"), stranger)
    ids = {r.event.pk for r in review_page(actor=reviewer, filters=ONE_DAY).rows}
    assert own.pk in ids
    assert other.pk not in ids

    response = login("granskare.ekbacka").get(reverse("audit_review"), DAY_QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Karin Holm" in html
    assert "Sara Lind" not in html
    assert stranger.full_name in html
    assert "no-store" in response["Cache-Control"]
    # Reading the review page is itself a read of personal data: an event for each person it
    # names, here the stranger, listing the rows that name him or her.
    seen = AuditEvent.objects.get(
        request_id=response["X-Request-ID"],
        actor=reviewer.user,
        action="audit.review.read",
        outcome="ok",
        person=stranger,
    )
    assert own.pk in seen.detail["events"]
    assert seen.ground == "log review"


@pytest.mark.parametrize("username", ["karin.holm", "ove.demosson", "admin.ekbacka"])
def test_others_get_404_and_the_refusal_is_audited(login, demo_user, username: str) -> None:
    client = login(username)
    before = AuditEvent.objects.count()
    assert client.get(reverse("audit_review")).status_code == 404
    refusal = AuditEvent.objects.filter(pk__gt=0).latest("pk")
    assert AuditEvent.objects.count() == before + 1
    assert refusal.actor == demo_user(username)
    assert (refusal.action, refusal.outcome) == ("audit.review", "denied")


def test_filters_by_person_user_and_unit(
    reviewer: Actor, karin: Actor, actor_of: Callable[[str], Actor], stranger, own_plan_person
) -> None:
    ali = actor_of("ali.yilmaz")
    peter = actor_of("peter.falk")  # another unit of the same municipality
    a = read(karin, stranger)
    b = read(ali, own_plan_person)
    c = read(peter, stranger)

    def ids(**kw: object) -> set[int]:
        filters = ReviewFilters(**{"period_from": DAY, "period_to": DAY, **kw})  # type: ignore[arg-type]
        return {r.event.pk for r in review_page(actor=reviewer, filters=filters).rows}

    assert {a.pk, c.pk} <= ids(person_id=stranger.pk)
    assert b.pk not in ids(person_id=stranger.pk)
    assert ids(username="ali.yilmaz") == {b.pk}
    assert peter.unit is not None
    assert ids(unit_id=peter.unit.pk) == {c.pk}
    assert ids(period_from=DAY + timedelta(days=1), period_to=DAY + timedelta(days=1)) == set()


def test_person_lookup_is_posted_and_audited(login, karin: Actor, stranger: Person) -> None:
    # The reviewer looks among the persons Ekbacka's staff have touched (authz.reviewable_persons).
    read(karin, stranger)
    client = login("granskare.ekbacka")
    response = client.post(reverse("audit_review"), {"op": "lookup", "q": stranger.identifier})
    assert response.status_code == 200
    html = response.content.decode()
    assert stranger.full_name in html
    # The link to filter by the person carries the id, not the identity number.
    assert f"person={stranger.pk}" in html
    assert f"={stranger.identifier}" not in html
    search = AuditEvent.objects.filter(action="audit.review.person_search").latest("pk")
    assert stranger.pk in search.detail["hits"]
    assert stranger.identifier not in str(search.detail)


# Flags --------------------------------------------------------------------------------------


def test_read_outside_the_users_plans_is_flagged(
    reviewer: Actor, karin: Actor, stranger: Person, own_plan_person: Person
) -> None:
    outside = read(karin, stranger)
    inside = read(karin, own_plan_person)
    assert Flag.OUTSIDE_PLANS in flags_of(reviewer, outside)
    assert flags_of(reviewer, inside) == []


def test_read_through_participation_is_not_flagged(reviewer: Actor, actor_of) -> None:
    plan = (
        Plan.objects.filter(participants__unit__organisation__name="Ekbacka kommun")
        .exclude(person__protected_identity=True)
        .first()
    )
    assert plan is not None
    participant = plan.participants.filter(unit__organisation__name="Ekbacka kommun").first()
    assert participant is not None
    member = participant.unit.memberships.filter(is_active=True).first()
    assert member is not None
    event = read(Actor.for_user(member.user, unit_id=participant.unit_id), plan.person)
    assert Flag.OUTSIDE_PLANS not in flags_of(reviewer, event)


def test_protected_identity_is_flagged(reviewer: Actor, karin: Actor, stranger: Person) -> None:
    protected = Person.objects.get(protected_identity=True, family_name="Skyddsdotter")
    event = read(karin, protected)
    assert Flag.PROTECTED_IDENTITY in flags_of(reviewer, event)
    assert Flag.PROTECTED_IDENTITY not in flags_of(reviewer, read(karin, stranger))


@pytest.mark.parametrize(
    ("moment", "night"),
    [
        (datetime(2026, 3, 10, 21, 59, tzinfo=STOCKHOLM), False),
        (datetime(2026, 3, 10, 22, 0, tzinfo=STOCKHOLM), True),
        (datetime(2026, 3, 11, 3, 0, tzinfo=STOCKHOLM), True),
        (datetime(2026, 3, 11, 5, 59, tzinfo=STOCKHOLM), True),
        (datetime(2026, 3, 11, 6, 0, tzinfo=STOCKHOLM), False),
        (datetime(2026, 3, 11, 12, 0, tzinfo=STOCKHOLM), False),
        # UTC input: 20:30 UTC is 22:30 in summer, 21:30 in winter.
        (datetime(2026, 7, 1, 20, 30, tzinfo=UTC), True),
        (datetime(2026, 1, 15, 20, 30, tzinfo=UTC), False),
        (datetime(2026, 7, 1, 4, 30, tzinfo=UTC), False),
        (datetime(2026, 1, 15, 4, 30, tzinfo=UTC), True),
    ],
)
def test_is_night(moment: datetime, night: bool) -> None:
    assert is_night(moment) is night


def test_night_access_is_flagged_and_found_by_only_flagged(
    reviewer: Actor, karin: Actor, own_plan_person: Person
) -> None:
    night = read(karin, own_plan_person, when=datetime(2026, 3, 10, 23, 15, tzinfo=STOCKHOLM))
    day = read(karin, own_plan_person)
    assert flags_of(reviewer, night) == [Flag.NIGHT]
    assert flags_of(reviewer, day) == []
    flagged = ReviewFilters(period_from=DAY, period_to=DAY, only_flagged=True)
    ids = {r.event.pk for r in review_page(actor=reviewer, filters=flagged).rows}
    assert night.pk in ids
    assert day.pk not in ids


def test_many_persons_in_one_day_is_flagged(reviewer: Actor, karin: Actor, actor_of) -> None:
    persons = list(Person.objects.order_by("pk")[: MANY_PERSONS_PER_DAY + 1])
    busy = [read(karin, p, when=NOON + timedelta(seconds=i)) for i, p in enumerate(persons)]
    calm = read(actor_of("ali.yilmaz"), persons[0])
    few = read(karin, persons[0], when=NOON + timedelta(days=1))  # the next day: one person
    assert Flag.MANY_PERSONS in flags_of(reviewer, busy[0])
    assert Flag.MANY_PERSONS in flags_of(reviewer, busy[-1])
    assert Flag.MANY_PERSONS not in flags_of(reviewer, calm)
    next_day = ReviewFilters(period_from=DAY + timedelta(days=1))
    assert Flag.MANY_PERSONS not in flags_of(reviewer, few, next_day)
    flagged = ReviewFilters(
        period_from=DAY, period_to=DAY, only_flagged=True, username="karin.holm"
    )
    ids = {r.event.pk for r in review_page(actor=reviewer, filters=flagged, size=100).rows}
    assert {e.pk for e in busy} <= ids


def test_flags_are_shown_in_words(login, karin: Actor, stranger: Person) -> None:
    read(karin, stranger, when=datetime(2026, 3, 10, 2, 30, tzinfo=STOCKHOLM))
    html = login("granskare.ekbacka").get(reverse("audit_review"), DAY_QUERY).content.decode()
    assert "Åtkomst nattetid (22–06)" in html
    assert "utan plan där användarens enhet deltar" in html
    assert "02:30" in html  # Stockholm time


# Pages and query counts -------------------------------------------------------------------


def test_query_count_does_not_grow_with_the_events_on_the_page(
    login, karin: Actor, actor_of, django_assert_max_num_queries
) -> None:
    client: Client = login("granskare.ekbacka")
    url = reverse("audit_review")
    persons = list(Person.objects.order_by("pk")[:45])
    read(karin, persons[0])
    client.get(url, DAY_QUERY)  # warm up the session
    with django_assert_max_num_queries(30) as few:
        assert client.get(url, DAY_QUERY).status_code == 200
    actors = [karin, actor_of("ali.yilmaz"), actor_of("peter.falk"), actor_of("nora.wik")]
    for i, person in enumerate(persons):
        read(actors[i % 4], person, when=NOON + timedelta(minutes=i), action="plan.read")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, DAY_QUERY)
    assert response.content.decode().count("<tr>") >= 46


def test_pages_by_keyset(reviewer: Actor, karin: Actor) -> None:
    persons = list(Person.objects.order_by("pk")[:7])
    events = [read(karin, p, when=NOON + timedelta(minutes=i)) for i, p in enumerate(persons)]
    first = review_page(actor=reviewer, filters=ONE_DAY, size=3)
    assert [r.event.pk for r in first.rows] == [e.pk for e in reversed(events[-3:])]
    assert first.newer is None
    assert first.older is not None
    second = review_page(actor=reviewer, filters=ONE_DAY, size=3, before=first.older)
    assert [r.event.pk for r in second.rows] == [e.pk for e in reversed(events[1:4])]
    back = review_page(actor=reviewer, filters=ONE_DAY, size=3, after=second.newer)
    assert [r.event.pk for r in back.rows] == [r.event.pk for r in first.rows]


# Recording a review -----------------------------------------------------------------------


def test_review_is_recorded(login, reviewer: Actor, karin: Actor, stranger: Person) -> None:
    read(karin, stranger)
    ekbacka = Organisation.objects.get(name="Ekbacka kommun")
    client = login("granskare.ekbacka")
    url = reverse("audit_review") + "?period_from=2026-03-10&period_to=2026-03-10&only_flagged=on"
    response = client.post(
        url,
        {
            "op": "record",
            "organisation": ekbacka.pk,
            "period_from": "2026-03-10",
            "period_to": "2026-03-10",
            "conclusion": "Läsningen utanför planerna utreds med enhetschefen.",
        },
    )
    assert response.status_code == 302
    review = AuditReview.objects.get()
    assert review.reviewer == reviewer.user
    assert review.organisation == ekbacka
    assert review.flagged_count >= 1
    assert review.filters["only_flagged"] is True
    assert AuditEvent.objects.filter(action="audit.review.record", object_id=str(review.pk))
    html = client.get(response["Location"]).content.decode()
    assert "Läsningen utanför planerna utreds med enhetschefen." in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"period_to": "2026-03-01"}, "period_to", "Slutdatumet kan inte ligga före startdatumet."),
        ({"conclusion": "   "}, "conclusion", "Detta fält måste fyllas i."),
    ],
)
def test_review_with_errors_saves_nothing(login, changes, field: str, message: str) -> None:
    ekbacka = Organisation.objects.get(name="Ekbacka kommun")
    data = {
        "op": "record",
        "organisation": ekbacka.pk,
        "period_from": "2026-03-10",
        "period_to": "2026-03-10",
        "conclusion": "Inget att anmärka.",
        **changes,
    }
    response = login("granskare.ekbacka").post(reverse("audit_review"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert field in response.context["record_form"].errors
    assert not AuditReview.objects.exists()


def test_review_of_another_organisation_is_refused(reviewer: Actor) -> None:
    region = Organisation.objects.get(name="Region Sjöland")
    with pytest.raises(Denied):
        audit_review_record(
            actor=reviewer,
            organisation=region,
            period_from=DAY,
            period_to=DAY,
            filters={},
            conclusion="Försök",
        )
    assert not AuditReview.objects.exists()
    assert AuditEvent.objects.filter(
        actor=reviewer.user, action="audit.review", outcome="denied"
    ).exists()


def test_without_a_period_the_newest_ids_come_first_even_if_backdated(
    reviewer: Actor, karin: Actor
) -> None:
    """On PostgreSQL the first page without a period is read from the last two months'
    partitions when no older event has a higher id; an event written later with an older time
    (as `generate --append` writes them) has a higher id and must still come first."""
    persons = list(Person.objects.order_by("pk")[:60])
    now = timezone.now()
    recent = [read(karin, p, when=now - timedelta(minutes=60 - i)) for i, p in enumerate(persons)]
    page = review_page(actor=reviewer, filters=ReviewFilters(), size=5)
    assert [r.event.pk for r in page.rows] == [e.pk for e in reversed(recent[-5:])]
    backdated = read(karin, persons[0], when=now - timedelta(days=400))
    page = review_page(actor=reviewer, filters=ReviewFilters(), size=5)
    assert [r.event.pk for r in page.rows] == [backdated.pk] + [e.pk for e in reversed(recent[-4:])]
