"""What the demo world holds, by key: read by the builder of the registry (world.py) and by
the builder of the plans (plans.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from samplan.directory.models import Membership, Organisation, Person, Unit


@dataclass
class DemoWorld:
    organisations: dict[str, Organisation] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    staff: dict[str, Membership] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)
    plans: dict[str, Any] = field(default_factory=dict)
