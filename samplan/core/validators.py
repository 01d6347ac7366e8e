from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def no_control_characters(value: str) -> None:
    """Names and one-line texts must not carry CR, LF, NUL and the like: they forge log
    lines and break exports."""
    if value and _CONTROL.search(value):
        raise ValidationError(
            _("Texten innehåller otillåtna tecken (radbrytning eller styrtecken)."),
            code="control_characters",
        )


_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
_WEB_URL = URLValidator(schemes=["https", "http"])


def is_safe_link(value: str) -> bool:
    """True for a link that Samplan may show as clickable; see validate_web_link."""
    if not isinstance(value, str) or not value:
        return False
    try:
        _WEB_URL(value)
        parts = urlsplit(value)
    except (ValidationError, ValueError):
        return False
    if parts.scheme == "https":
        return True
    return bool(settings.DEBUG) and parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS


def validate_web_link(value: str) -> None:
    """A link to somewhere else that Samplan shows as clickable (a meeting's video link): an
    absolute `https://` URL with a host, and nothing else.

    The one exception: while settings.DEBUG is on (a developer's machine, never production),
    `http://` to this machine itself (127.0.0.1, localhost, [::1]) is accepted, for a local
    video service. `javascript:` and `data:` would run script in Samplan's origin when clicked,
    plain `http://` elsewhere sends the invitee's meeting over an unencrypted connection, and
    `ftp:`, `file:` and the rest are not meeting links. The same rule decides, when a page or
    a calendar object is rendered, whether a stored link is shown as a link at all.
    """
    if value and not is_safe_link(value):
        raise ValidationError(_("Länken måste börja med https://."), code="https_only")


# Ids are signed 64-bit integers in SQLite and PostgreSQL alike; a larger number in a URL or
# a form is no id of ours, and the database would refuse it with an error, not an empty answer.
MAX_ID = 2**63 - 1

# The calendar a plan and its log live in: a year outside is a typing error or a probe, and
# day arithmetic at year 1 or 9999 overflows. The REST API's dates use the same years.
FIRST_YEAR, LAST_YEAR = 1900, 2200


def date_in_range(value: date) -> None:
    """Dates typed in a form or a search: years FIRST_YEAR to LAST_YEAR."""
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _("Ange ett datum mellan år %(first)s och %(last)s."),
            code="date_range",
            params={"first": FIRST_YEAR, "last": LAST_YEAR},
        )
