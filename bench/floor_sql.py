"""The floor's SQL, in one place: what an audited read of a plan must do at the least.

It follows Samplan's audit writer (samplan/audit/services.py, `record`): one plain insert of
the event with its content hash (samplan/audit/chain.py, `event_hash`), waiting for no other
writer; the database fills `xid` (the sealer's horizon) by its default. When `record` or the
audit table changes, change INSERT_AUDIT and `content_hash` here, and nothing else.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

SELECT_PLAN = (
    "SELECT id, person_id, state, plan_type, initiated_on, updated_at FROM plans_plan WHERE id = %s"
)

AUDIT_COLUMNS = (
    "at", "actor_id", "actor_unit_id", "actor_organisation_id", "person_id", "action",
    "outcome", "object_type", "object_id", "ground", "request_id", "detail", "hash",
)  # fmt: skip
INSERT_AUDIT = (  # constant column names, values bound as parameters
    f"INSERT INTO audit_auditevent ({', '.join(AUDIT_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * len(AUDIT_COLUMNS))})"
)
# Statements per request, as the bench reports it (and a commit).
STATEMENTS = 2


def content_hash(values: dict[str, Any]) -> str:
    """The event's content hash as samplan.audit.chain computes it."""
    content = {
        "at": values["at"].astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": values["actor_id"],
        "unit": values["actor_unit_id"],
        "organisation": values["actor_organisation_id"],
        "person": values["person_id"],
        "action": values["action"],
        "outcome": values["outcome"],
        "object_type": values["object_type"],
        "object_id": values["object_id"],
        "ground": values["ground"],
        "request_id": values["request_id"],
        "detail": values["detail"],
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def audit_row(
    *, user: int, unit: int, organisation: int, person: int, plan: int, request_id: str
) -> tuple[Any, ...]:
    values: dict[str, Any] = {
        "at": datetime.now(UTC),
        "actor_id": user,
        "actor_unit_id": unit,
        "actor_organisation_id": organisation,
        "person_id": person,
        "action": "careplan.fhir_read",
        "outcome": "ok",
        "object_type": "plans.plan",
        "object_id": str(plan),
        "ground": "initiating unit",
        "request_id": request_id,
        "detail": {},
    }
    values["hash"] = content_hash(values)
    values["detail"] = "{}"
    return tuple(values[c] for c in AUDIT_COLUMNS)
