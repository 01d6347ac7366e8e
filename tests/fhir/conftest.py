"""Helpers for the FHIR tests: a bearer client that validates every resource it receives with
fhir.resources' R4B models and checks CarePlan and Patient against Inera's profiles, and a real
HTTP server sharing the test's database connection."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import WSGIServer
from django.db import connections
from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.directory.models import Person
from samplan.plans.models import Plan
from tests.fhir.conformance import assert_conforms

FHIR_JSON = "application/fhir+json"


def validate(data: dict[str, Any]) -> Any:
    """Parse with the R4B model of the resource's type (raises if the resource is not valid
    FHIR), and check every CarePlan and Patient in it against Inera's profiles
    (tests/fhir/conformance.py): every response the FHIR tests receive goes through both."""
    model = get_fhir_model_class(data["resourceType"]).model_validate(data)
    assert_conforms(data)
    return model


@dataclass
class FhirApi:
    client: Client
    token: str
    unit: int | None = None

    def headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": FHIR_JSON}
        if self.unit is not None:
            headers["X-Samplan-Unit"] = str(self.unit)
        return headers

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = self.client.get(f"/fhir/{path}", params or {}, headers=self.headers())
        body = json.loads(response.content)
        assert response["Content-Type"].startswith(FHIR_JSON)
        validate(body)
        return response.status_code, body

    def get_url(self, url: str) -> tuple[int, Any]:
        response = self.client.get(url, headers=self.headers())
        body = json.loads(response.content)
        validate(body)
        return response.status_code, body

    def post(self, body: bytes | str, content_type: str = FHIR_JSON) -> tuple[int, Any]:
        response = self.client.generic(
            "POST", "/fhir/", body, content_type=content_type, headers=self.headers()
        )
        data = json.loads(response.content)
        validate(data)
        return response.status_code, data


@pytest.fixture
def token_for(demo_user: Callable[[str], User]) -> Callable[[str], str]:
    def make(username: str) -> str:
        _token, clear = api_token_create(user=demo_user(username))
        return clear

    return make


@pytest.fixture
def fhir(client: Client, token_for: Callable[[str], str]) -> Callable[..., FhirApi]:
    def as_user(username: str, unit: int | None = None) -> FhirApi:
        return FhirApi(client, token_for(username), unit)

    return as_user


@pytest.fixture
def ove_plan(db: None) -> Plan:
    return Plan.objects.get(person__given_name="Ove", person__family_name="Demosson")


@pytest.fixture
def person(db: None) -> Callable[[str], Person]:
    def get(given_name: str) -> Person:
        return Person.objects.get(given_name=given_name)

    return get


def entries(bundle: dict[str, Any], resource_type: str | None = None) -> list[dict[str, Any]]:
    return [
        e["resource"]
        for e in bundle.get("entry", [])
        if resource_type is None or e["resource"]["resourceType"] == resource_type
    ]


def next_link(bundle: dict[str, Any]) -> str | None:
    return next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fhir_server(db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real HTTP server in a thread, answering with the test's own database connection.

    pytest-django's live_server needs transactional_db, whose flush at the end deletes every
    table: the audit table's triggers refuse DELETE (SQLite) and TRUNCATE (PostgreSQL), and
    the flush would also remove the session-wide demo world. Instead the server thread is
    handed the test thread's connection (as Django's LiveServerThread does for in-memory
    SQLite), so it sees the demo world and the test's own rows inside the test transaction,
    which is rolled back as usual. Requests are synchronous, so the two threads never use the
    connection at once. Django closes "obsolete" connections at the start and end of each
    request (close_old_connections); inside the test transaction that would close the shared
    PostgreSQL connection, so that check is a no-op on it while the server runs. (Disconnecting
    the signal handlers is not enough: the test client reconnects them after each request.)
    """
    connection = connections["default"]
    httpd = WSGIServer(("127.0.0.1", 0), _QuietHandler, ipv6=False, allow_reuse_address=False)
    httpd.set_app(WSGIHandler())
    connection.inc_thread_sharing()
    monkeypatch.setattr(connection, "close_if_unusable_or_obsolete", lambda: None)

    def serve() -> None:
        connections["default"] = connection
        httpd.serve_forever(poll_interval=0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/fhir/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
        connection.dec_thread_sharing()
