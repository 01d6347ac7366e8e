from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def acting(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    return {"actor": actor}
