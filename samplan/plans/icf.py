"""ICF codes (WHO's International Classification of Functioning).

ICF's content is WHO's copyright, so Samplan checks a code's form and, where an installation
has loaded its licensed code list (SAMPLAN_ICF_FILE, one code per line, optionally followed by
a tab and a title), that the code is in it. Without a file, a small sample list shipped with
Samplan is used, which is enough for the demo and the tests.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Component letter (b body functions, s structures, d activities/participation, e environment)
# followed by a chapter digit and up to four more digits.
_FORM = re.compile(r"^[bsde][1-9]\d{0,4}$")
SAMPLE = Path(__file__).with_name("icf_sample.txt")


@cache
def code_list() -> dict[str, str]:
    path = Path(os.environ.get("SAMPLAN_ICF_FILE", "") or SAMPLE)
    codes: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, _sep, title = line.partition("\t")
        codes[code.strip().lower()] = title.strip()
    return codes


def validate(raw: str) -> str:
    """Return the normalised code ('' for none) or raise ValidationError."""
    code = raw.strip().lower()
    if not code:
        return ""
    if not _FORM.match(code):
        raise ValidationError(
            _("En ICF-kod är en bokstav (b, s, d eller e) följd av siffror, t.ex. d450."),
            code="format",
        )
    if code not in code_list():
        raise ValidationError(
            _("ICF-koden %(code)s finns inte i kodlistan.") % {"code": code}, code="unknown"
        )
    return code


def title(code: str) -> str:
    return code_list().get(code, "")
