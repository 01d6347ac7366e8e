"""Bad input (issue 14): a subscription to a URL that is not http(s), to a host outside the
allowed networks, with unknown criteria, or by a token without the right: a 4xx
OperationOutcome, and nothing stored."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.operationoutcome import OperationOutcome

from samplan.accounts.models import User
from samplan.accounts.services import api_token_create
from samplan.audit.models import AuditEvent, Outcome
from samplan.directory.models import Unit
from samplan.subscriptions.models import Subscription
from tests.subscriptions.conftest import FHIR_JSON, Receiver, RecordSystem

pytestmark = pytest.mark.django_db


def refused(status: int, body: Any, expected: int = 400) -> OperationOutcome:
    assert status == expected, body
    assert Subscription.objects.count() == 0
    return OperationOutcome.model_validate(body)


@pytest.mark.parametrize(
    ("endpoint", "why"),
    [
        ("ftp://127.0.0.1/notify", "http:// eller https://"),
        ("file:///etc/passwd", "http:// eller https://"),
        ("javascript:alert(1)", "http:// eller https://"),
        ("http://10.1.2.3/notify", "utanför de nätverk"),
        ("http://169.254.169.254/latest/meta-data", "utanför de nätverk"),
        ("http://[::ffff:10.0.0.1]/notify", "utanför de nätverk"),
        ("http://user:secret@127.0.0.1/notify", "inte en giltig webbadress"),
        ("http://127.0.0.1:99999/notify", "inte en giltig webbadress"),
        ("http:///notify", "inte en giltig webbadress"),
        ("http://journal.invalid/notify", "gick inte att slå upp"),
    ],
)
def test_endpoint_refused(subscriber: RecordSystem, endpoint: str, why: str) -> None:
    outcome = refused(*subscriber.subscribe(endpoint))
    issue = outcome.issue[0]
    assert why in (issue.diagnostics or "")
    assert issue.expression == ["Subscription.channel.endpoint"]


def test_a_name_resolving_to_a_forbidden_address_as_well_is_refused(
    subscriber: RecordSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    def both(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", both)
    refused(*subscriber.subscribe("http://journal.example/notify"))


def test_allowed_networks_setting_admits_a_named_network(
    subscriber: RecordSystem, receiver: Receiver, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SUBSCRIPTION_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    refused(*subscriber.subscribe(receiver.url("/loopback")))  # loopback no longer allowed

    def journal(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.20.3.4", port))]

    monkeypatch.setattr(socket, "getaddrinfo", journal)
    status, _body = subscriber.subscribe("https://journal.region.example/fhir-notify")
    assert status == 201


@pytest.mark.parametrize(
    "criteria",
    [
        "",
        "Patient",
        "CarePlan?status=active",
        "CarePlan?patient=Ove",
        "CarePlan?_lastUpdated=yesterday",
        "CarePlan?_lastUpdated=sa2026-01-01",
        "CarePlan?patient=",
        "CarePlan?",
        "Observation?code=1234",
        "CarePlan?patient=1&" + "_lastUpdated=ge2026-01-01&" * 30,
    ],
)
def test_unknown_criteria_refused(
    subscriber: RecordSystem, receiver: Receiver, criteria: str
) -> None:
    outcome = refused(*subscriber.subscribe(receiver.url("/x"), criteria=criteria))
    assert outcome.issue[0].expression == ["Subscription.criteria"]


@pytest.mark.parametrize(
    ("channel", "expression"),
    [
        ({"type": "websocket"}, "Subscription.channel.type"),
        ({"type": "email", "endpoint": "mailto:a@example.org"}, "Subscription.channel.type"),
        ({"type": "rest-hook"}, "Subscription.channel.endpoint"),
        ({"type": "rest-hook", "payload": "text/plain"}, "Subscription.channel.payload"),
        ({"type": "rest-hook", "header": ["X-Evil: a\r\nHost: b"]}, "Subscription.channel.header"),
        ({"type": "rest-hook", "header": ["no colon"]}, "Subscription.channel.header"),
        ({"type": "rest-hook", "header": ["Host: elsewhere"]}, "Subscription.channel.header"),
        ({"type": "rest-hook", "header": [f"X-{n}: v" for n in range(6)]}, None),
    ],
)
def test_bad_channel_refused(
    subscriber: RecordSystem, receiver: Receiver, channel: dict[str, Any], expression: str | None
) -> None:
    if channel.get("type") == "rest-hook" and "endpoint" not in channel and len(channel) > 1:
        channel = {**channel, "endpoint": receiver.url("/x")}
    outcome = refused(*subscriber.subscribe(receiver.url("/x"), channel=channel))
    if expression:
        assert outcome.issue[0].expression == [expression]


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"resourceType": "Patient"}',
        b'{"resourceType": "Subscription", "criteria": "CarePlan", "channel": "rest-hook"}',
    ],
)
def test_malformed_body_refused(subscriber: RecordSystem, body: bytes) -> None:
    refused(*subscriber.post(body))


def test_other_status_and_end_refused(subscriber: RecordSystem, receiver: Receiver) -> None:
    refused(*subscriber.subscribe(receiver.url("/x"), status="off"))
    refused(*subscriber.subscribe(receiver.url("/x"), end="2030-01-01T00:00:00Z"))


def test_full_resource_payload_refused(subscriber: RecordSystem, receiver: Receiver) -> None:
    channel = {
        "type": "rest-hook",
        "endpoint": receiver.url("/x"),
        "payload": "application/fhir+json",
        "_payload": {
            "extension": [
                {
                    "url": "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
                    "backport-payload-content",
                    "valueCode": "full-resource",
                }
            ]
        },
    }
    refused(*subscriber.subscribe(receiver.url("/x"), channel=channel))


def test_wrong_content_type_refused(subscriber: RecordSystem, receiver: Receiver) -> None:
    status, _body = subscriber.post("criteria=CarePlan", content_type="text/plain")
    assert status == 415
    assert Subscription.objects.count() == 0


def test_token_without_the_right_is_refused_and_audited(
    client: Client, demo_user: Callable[[str], User], receiver: Receiver
) -> None:
    """An administrator's account works in no unit: it may not subscribe (403), and the
    refusal is in the log."""
    admin = demo_user("admin.region")
    _token, clear = api_token_create(user=admin)
    system = RecordSystem(client, admin, Unit(pk=0), clear)
    response = client.generic(
        "POST",
        "/fhir/Subscription",
        '{"resourceType": "Subscription", "criteria": "CarePlan", "reason": "x", '
        f'"status": "requested", "channel": {{"type": "rest-hook", "endpoint": '
        f'"{receiver.url("/x")}"}}}}',
        content_type=FHIR_JSON,
        headers={"Authorization": f"Bearer {system.token}", "Accept": FHIR_JSON},
    )
    assert response.status_code == 403
    OperationOutcome.model_validate_json(response.content)
    assert Subscription.objects.count() == 0
    assert AuditEvent.objects.filter(
        actor=admin, action="subscription.create", outcome=Outcome.DENIED
    ).exists()


def test_no_token_is_401(client: Client, receiver: Receiver) -> None:
    response = client.generic(
        "POST",
        "/fhir/Subscription",
        "{}",
        content_type=FHIR_JSON,
        headers={"Accept": FHIR_JSON},
    )
    assert response.status_code == 401
    assert Subscription.objects.count() == 0
