"""iCalendar (RFC 5545) meeting invitations, readable by Outlook, Google and Apple calendars."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText, vUri

from samplan.core.validators import is_safe_link

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PRODID = "-//Samplan//Samordnad individuell plan//SV"

Method = Literal["REQUEST", "CANCEL"]


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    for key, value in params.items():
        address.params[key] = value
    return address


def meeting_calendar(
    *,
    uid: str,
    sequence: int,
    start: datetime,
    end: datetime,
    summary: str,
    location: str,
    description: str,
    organizer_email: str,
    organizer_name: str,
    attendees: list[tuple[str, str]],
    method: Method,
    video_url: str = "",
    stamp: datetime | None = None,
) -> bytes:
    """One meeting as a calendar object. Keep uid across updates and raise sequence each time.

    attendees are (email, name) pairs. A cancellation must carry the same uid and a higher
    sequence than the last request, or calendars ignore it.
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported method {method!r}")
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end <= start:
        raise ValueError("end must be after start")
    if sequence < 0:
        raise ValueError("sequence must not be negative")

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)

    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", (stamp or datetime.now(UTC)).astimezone(UTC))
    # Local time with TZID, so that a meeting keeps its wall-clock time in every client.
    event.add("dtstart", start.astimezone(STOCKHOLM))
    event.add("dtend", end.astimezone(STOCKHOLM))
    event.add("summary", summary)
    if location:
        event.add("location", location)
    text = description
    # Only a link that may be clicked (https): a calendar shows URL and CONFERENCE as links.
    if video_url and is_safe_link(video_url):
        event.add("url", vUri(video_url))
        # RFC 7986 CONFERENCE for clients that show a join button; the text for the rest.
        event.add("conference", vUri(video_url), parameters={"VALUE": "URI", "FEATURE": "VIDEO"})
        label = _("Videolänk")
        text = f"{description}\n\n{label}: {video_url}".strip()
    if text:
        event.add("description", text)
    event.add("organizer", _address(organizer_email, organizer_name))
    for email, name in attendees:
        event.add(
            "attendee",
            _address(
                email,
                name,
                ROLE="REQ-PARTICIPANT",
                PARTSTAT="NEEDS-ACTION",
                RSVP="TRUE",
            ),
        )
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    # Transitions from the year before to two years after: enough for every client, and a mail
    # of a few hundred bytes rather than 70 years of rules.
    calendar.add_missing_timezones(
        first_date=date(start.year - 1, 1, 1), last_date=date(end.year + 2, 1, 1)
    )
    ical: bytes = calendar.to_ical()
    return ical
