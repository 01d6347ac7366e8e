from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event

from samplan.notify.ics import meeting_calendar

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def invitation(start: datetime, **overrides: object) -> bytes:
    fields: dict[str, object] = {
        "uid": "meeting-17@samplan.example",
        "sequence": 0,
        "start": start,
        "end": start + timedelta(hours=1),
        "summary": "SIP-möte",
        "location": "Ekbacka kommunhus, rum 3",
        "description": "Samordnad individuell plan.",
        "organizer_email": "karin.holm@example.org",
        "organizer_name": "Karin Holm",
        "attendees": [("sara.lind@example.org", "Sara Lind"), ("lisa@example.org", "Lisa, Grahn")],
        "method": "REQUEST",
    }
    fields.update(overrides)
    return meeting_calendar(**fields)  # type: ignore[arg-type]


def event_of(raw: bytes) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(raw)
    return calendar, calendar.events[0]


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        # Summer time ends on 25 October 2026.
        (datetime(2026, 10, 23, 10, tzinfo=STOCKHOLM), datetime(2026, 10, 23, 8, tzinfo=UTC)),
        (datetime(2026, 10, 26, 10, tzinfo=STOCKHOLM), datetime(2026, 10, 26, 9, tzinfo=UTC)),
    ],
)
def test_start_in_stockholm_time(local: datetime, utc: datetime) -> None:
    raw = invitation(local)
    calendar, event = event_of(raw)
    assert f"DTSTART;TZID=Europe/Stockholm:{local:%Y%m%dT%H%M%S}".encode() in raw
    assert event.get("DTSTART").params["TZID"] == "Europe/Stockholm"
    assert event.start == utc
    assert event.end == utc + timedelta(hours=1)
    # The VTIMEZONE itself (what Outlook uses) gives the right offset, not only the tz name.
    [vtimezone] = calendar.timezones
    assert vtimezone["TZID"] == "Europe/Stockholm"
    own_rules = vtimezone.to_tz(lookup_tzid=False)
    assert local.replace(tzinfo=own_rules).astimezone(UTC) == utc


def test_utc_input_is_written_as_stockholm_time() -> None:
    raw = invitation(datetime(2026, 10, 26, 9, tzinfo=UTC))
    assert b"DTSTART;TZID=Europe/Stockholm:20261026T100000" in raw


def test_request_lists_organizer_and_attendees() -> None:
    calendar, event = event_of(invitation(datetime(2026, 10, 23, 10, tzinfo=STOCKHOLM)))
    assert calendar["METHOD"] == "REQUEST"
    assert event["STATUS"] == "CONFIRMED"
    assert event.organizer == "mailto:karin.holm@example.org"
    assert event.organizer is not None
    assert event.organizer.params["CN"] == "Karin Holm"
    attendees = {str(a): a.params for a in event.attendees}
    assert set(attendees) == {"mailto:sara.lind@example.org", "mailto:lisa@example.org"}
    assert attendees["mailto:lisa@example.org"]["CN"] == "Lisa, Grahn"
    assert attendees["mailto:sara.lind@example.org"]["RSVP"] == "TRUE"
    assert event["SUMMARY"] == "SIP-möte"
    assert event["LOCATION"] == "Ekbacka kommunhus, rum 3"


def test_update_keeps_uid_and_raises_sequence() -> None:
    start = datetime(2026, 10, 23, 10, tzinfo=STOCKHOLM)
    _, first = event_of(invitation(start))
    _, moved = event_of(invitation(start + timedelta(days=3), sequence=1))
    assert moved["UID"] == first["UID"]
    assert moved.sequence > first.sequence


def test_cancellation() -> None:
    calendar, event = event_of(
        invitation(datetime(2026, 10, 23, 10, tzinfo=STOCKHOLM), sequence=2, method="CANCEL")
    )
    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["UID"] == "meeting-17@samplan.example"
    assert event["SEQUENCE"] == 2


def test_video_link_is_given_to_clients_and_readers() -> None:
    url = "https://video.example.org/rum/abc"
    _, event = event_of(invitation(datetime(2026, 10, 23, 10, tzinfo=STOCKHOLM), video_url=url))
    assert event["URL"] == url
    assert event.description is not None
    assert url in event.description
    assert event["CONFERENCE"] == url


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        invitation(datetime(2026, 10, 23, 10))
