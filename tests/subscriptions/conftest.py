"""A record system's side of FHIR Subscriptions: a receiving HTTP server on loopback (in a
thread) that records every notification, and staff with tokens in a plan's units."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.authz.actor import Actor
from samplan.directory.models import Unit
from samplan.plans.models import Participant, Plan
from tests.factories import MembershipFactory, PlanFactory, UnitFactory

FHIR_JSON = "application/fhir+json"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the server answers, by path: "ok" (200), "500", "redirect" (302 to /ok), "hang"
    (no answer until the test ends)."""

    base: str
    received: list[Received] = field(default_factory=list)
    behaviour: dict[str, str] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            behaviour = state.behaviour.get(self.path, "ok")
            if behaviour == "hang":
                state.release.wait(30)
                return
            if behaviour == "redirect":
                self.send_response(302)
                self.send_header("Location", "/ok")
            else:
                self.send_response(500 if behaviour == "500" else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    state.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class RecordSystem:
    """A record system's user: a token, acting through one unit."""

    client: Client
    user: User
    unit: Unit
    token: str

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "Accept": FHIR_JSON,
            "X-Samplan-Unit": str(self.unit.pk),
        }

    def subscribe(self, endpoint: str, **fields: Any) -> tuple[int, Any]:
        body = {
            "resourceType": "Subscription",
            "status": "requested",
            "reason": "Journalen vill veta när planen ändras",
            "criteria": "CarePlan",
            "channel": {"type": "rest-hook", "endpoint": endpoint},
        }
        body.update(fields)
        return self.post(body)

    def post(self, body: Any, content_type: str = FHIR_JSON) -> tuple[int, Any]:
        raw = body if isinstance(body, bytes | str) else json.dumps(body)
        response = self.client.generic(
            "POST", "/fhir/Subscription", raw, content_type=content_type, headers=self.headers()
        )
        return response.status_code, json.loads(response.content) if response.content else None

    def get(self, path: str) -> tuple[int, Any]:
        response = self.client.get(f"/fhir/{path}", headers=self.headers())
        return response.status_code, json.loads(response.content) if response.content else None

    def delete(self, path: str) -> int:
        return self.client.delete(f"/fhir/{path}", headers=self.headers()).status_code


@dataclass
class World:
    plan: Plan
    coordinator: Actor
    covered: RecordSystem  # a unit taking part in the plan, its organisation covered
    outside: RecordSystem  # a unit taking part in the plan, its organisation not covered


@pytest.fixture
def record_system(client: Client) -> Callable[[Unit], RecordSystem]:
    def make(unit: Unit) -> RecordSystem:
        user = MembershipFactory.create(unit=unit).user
        _token, clear = api_token_create(user=user, name="journal")
        return RecordSystem(client, user, unit, clear)

    return make


@pytest.fixture
def world(db: None, record_system: Callable[[Unit], RecordSystem]) -> World:
    """An established plan (a municipality leads, a region takes part, the consent covers
    both) and a third unit, of an organisation the consent does not cover, taking part too."""
    plan = PlanFactory.create(established=True)
    participants = Participant.objects.filter(plan=plan)
    region_unit = participants.exclude(unit=plan.initiating_unit).get().unit
    other_unit = UnitFactory.create()
    Participant.objects.create(plan=plan, unit=other_unit)
    coordinator = Actor.for_user(plan.initiating_user, unit_id=plan.initiating_unit_id)
    return World(plan, coordinator, record_system(region_unit), record_system(other_unit))


@pytest.fixture
def subscriber(db: None, record_system: Callable[[Unit], RecordSystem]) -> RecordSystem:
    """A record system's user in a unit of its own (no plan needed)."""
    return record_system(UnitFactory.create())
