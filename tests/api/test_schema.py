"""The committed OpenAPI schema is the served one, and the docs page loads nothing from
elsewhere and runs no inline script (the site's Content-Security-Policy holds)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client, modify_settings

from samplan.api.schema import schema_text

pytestmark = pytest.mark.django_db

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.json"
REGENERATE = "python -m samplan.api.schema > docs/api/openapi.json"


def test_served_schema_matches_the_committed_one(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    served = response.json()
    committed = json.loads(COMMITTED.read_text())
    assert served == committed, (
        f"The API's schema has changed; review the change and regenerate with: {REGENERATE}"
    )
    assert COMMITTED.read_text() == schema_text(served), f"Regenerate with: {REGENERATE}"


def test_every_operation_requires_the_bearer_token(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["components"]["securitySchemes"]["BearerActor"]["scheme"] == "bearer"
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            assert operation.get("security") == [{"BearerActor": []}], (method, path)
            assert "401" in operation["responses"], (method, path)
            assert "422" not in operation["responses"], (method, path)


def test_docs_page_is_served_locally_under_the_csp(client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "script-src 'self'" in csp
    assert "http://" not in html
    assert "https://" not in html
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        # Either a same-origin file, or data that no browser executes.
        assert 'src="/static/ninja/' in attrs or 'type="application/json"' in attrs, attrs
        if "src=" in attrs:
            assert not body.strip()
    assert '"validatorUrl": null' in html
    assert '"url": "/api/v1/openapi.json"' in html


@modify_settings(INSTALLED_APPS={"append": "ninja"})
def test_swagger_files_are_found_with_ninja_installed() -> None:
    for name in ("swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css"):
        assert finders.find(f"ninja/{name}"), name


def test_the_schema_does_not_depend_on_the_pythons_status_phrases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Python 3.13 renamed some HTTP status phrases (413 "Content Too Large", 422
    "Unprocessable Content"); the schema names its own (samplan.api.api.STATUS_DESCRIPTIONS),
    so the committed file holds under every interpreter."""
    import ninja.openapi.schema as ninja_schema

    from samplan.api.api import STATUS_DESCRIPTIONS, api

    renamed = {
        **ninja_schema.responses,
        413: "Content Too Large",
        422: "Unprocessable Content",
        404: "Something Else",
    }
    monkeypatch.setattr(ninja_schema, "responses", renamed)
    monkeypatch.setattr(api, "_schemas", {}, raising=False)
    served = json.loads(schema_text(api.get_openapi_schema(path_prefix="/api/v1/")))
    committed = json.loads(COMMITTED.read_text())
    descriptions = {
        (path, method, status): response["description"]
        for path, methods in served["paths"].items()
        for method, operation in methods.items()
        for status, response in operation["responses"].items()
    }
    assert set(descriptions.values()) <= set(STATUS_DESCRIPTIONS.values())
    assert descriptions == {
        (path, method, status): response["description"]
        for path, methods in committed["paths"].items()
        for method, operation in methods.items()
        for status, response in operation["responses"].items()
        if (path, method, status) in descriptions
    }
