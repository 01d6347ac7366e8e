from __future__ import annotations

import re

from django.core.exceptions import ValidationError
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
