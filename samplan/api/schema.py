"""Print the OpenAPI schema as committed in docs/api/openapi.json:

    python -m samplan.api.schema > docs/api/openapi.json

Pretty-printed with sorted keys and a trailing newline, so that a diff reads well."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

PATH_PREFIX = "/api/v1/"


def schema_dict() -> dict[str, Any]:
    from samplan.api.api import api

    return dict(api.get_openapi_schema(path_prefix=PATH_PREFIX))


def schema_text(schema: dict[str, Any] | None = None) -> str:
    return (
        json.dumps(
            schema_dict() if schema is None else schema,
            indent=2,
            sort_keys=True,
            ensure_ascii=False,
        )
        + "\n"
    )


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samplan.settings")
    import django

    django.setup()
    sys.stdout.write(schema_text())


if __name__ == "__main__":
    main()
