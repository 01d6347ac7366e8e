"""The import file's columns and the words it may use for plan types, states and reasons.

The format is documented in docs/import.md. Headers are matched without regard to case,
accents, spaces, hyphens or underscores ("Plan-id", "PLAN_ID" and "plan id" are one column).
"""

from __future__ import annotations

import unicodedata

from django.db.models import TextChoices

from samplan.plans.models import ClosureReason, InitiativeReason, PlanType

REQUIRED = ("plan_id", "personnummer", "fornamn", "efternamn", "plantyp", "status", "initierad")
OPTIONAL = (
    "rubrik",
    "skal",
    "beskrivning",
    "upprattad",
    "avslutad",
    "avslutsorsak",
    "lss_beslut",
    "befintlig_plan",
    "deltagare",
    "mal",
    "insatser",
)
COLUMNS = REQUIRED + OPTIONAL
# Columns that must have a value on every line (names are needed only for a new person).
REQUIRED_VALUES = ("plan_id", "personnummer", "plantyp", "status", "initierad")

# Separators inside a cell: between the items of a multi-valued cell, and between the parts
# of an intervention.
ITEM_SEPARATOR = "|"
PART_SEPARATOR = ";"


def fold(text: str) -> str:
    """Lower case, no accents, no spaces, hyphens or underscores: for matching words."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in bare if c not in " -_.")


def header_key(text: str) -> str:
    """The column a header names ("Plan-id" -> "plan_id"), or the folded header if unknown."""
    folded = fold(text)
    return _HEADERS.get(folded, folded)


_HEADERS = {fold(c): c for c in COLUMNS}


def _words(mapping: dict[str, str], choices: type[TextChoices]) -> dict[str, str]:
    """A lookup from folded words to codes: each code, its Swedish label and the synonyms."""
    words = {fold(str(value)): str(value) for value in choices.values}
    words.update({fold(str(label)): str(value) for value, label in choices.choices})
    words.update({fold(word): code for word, code in mapping.items()})
    return words


PLAN_TYPES = _words(
    {
        "samordnad individuell plan": PlanType.SIP,
        "samordnad plan": PlanType.SIP,
        "lss": PlanType.LSS_IP,
        "individuell plan": PlanType.LSS_IP,
        "individuell plan enligt lss": PlanType.LSS_IP,
        "habiliteringsplan": PlanType.HABILITATION,
        "rehabiliteringsplan": PlanType.REHABILITATION,
    },
    PlanType,
)

# The old tool's state -> what Samplan makes of it. Samplan records no consent, meeting or
# version it did not see: every open plan becomes a draft (initiated), a closed one is closed.
DRAFT = "draft"
CLOSED = "closed"
STATES = {
    fold(word): outcome
    for word, outcome in {
        "initierad": DRAFT,
        "påbörjad": DRAFT,
        "ny": DRAFT,
        "utkast": DRAFT,
        "samtycke": DRAFT,
        "samtycke lämnat": DRAFT,
        "kallad": DRAFT,
        "kallelse skickad": DRAFT,
        "möte hållet": DRAFT,
        "upprättad": DRAFT,
        "pågående": DRAFT,
        "aktiv": DRAFT,
        "reviderad": DRAFT,
        "under revidering": DRAFT,
        "uppföljd": DRAFT,
        "vilande": DRAFT,
        "pausad": DRAFT,
        "avslutad": CLOSED,
        "stängd": CLOSED,
        "initiated": DRAFT,
        "consented": DRAFT,
        "invited": DRAFT,
        "meeting_held": DRAFT,
        "established": DRAFT,
        "revising": DRAFT,
        "paused": DRAFT,
        "closed": CLOSED,
    }.items()
}

INITIATIVE_REASONS = _words({}, InitiativeReason)
CLOSURE_REASONS = _words(
    {
        "mål uppnådda": ClosureReason.GOALS_REACHED,
        "målen uppnådda": ClosureReason.GOALS_REACHED,
        "flyttat": ClosureReason.MOVED,
        "flytt": ClosureReason.MOVED,
        "samtycke återkallat": ClosureReason.CONSENT_REVOKED,
        "ej samtycke": ClosureReason.CONSENT_REFUSED,
        "inget samtycke": ClosureReason.CONSENT_REFUSED,
        "avböjer": ClosureReason.DECLINED,
        "avböjt": ClosureReason.DECLINED,
        "avliden": ClosureReason.DECEASED,
        "avled": ClosureReason.DECEASED,
    },
    ClosureReason,
)
INTERVENTION_STATUSES = {
    fold("planerad"): "planned",
    fold("planned"): "planned",
    fold("beslutad"): "decided",
    fold("decided"): "decided",
}
