"""Where notifications may go: the allowed networks setting, and TLS that must verify."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from samplan.core import env
from samplan.subscriptions import delivery
from samplan.subscriptions.models import Delivery
from samplan.subscriptions.network import EndpointRefused, resolve
from tests.subscriptions.conftest import World
from tests.subscriptions.test_notify import establish_revision


def test_allowed_networks_are_parsed_and_a_bad_one_names_the_setting() -> None:
    name = "SAMPLAN_SUBSCRIPTION_ALLOWED_NETWORKS"
    assert env.read(name, {}) == ["127.0.0.0/8", "::1/128"]
    assert env.read(name, {name: " 10.1.2.3/16 , fd00::/8"}) == ["10.1.0.0/16", "fd00::/8"]
    with pytest.raises(env.SettingError, match=name):
        env.read(name, {name: "10.0.0.0/33"})
    with pytest.raises(env.SettingError, match=name):
        env.read(name, {name: "journal.example"})


def test_resolve_keeps_the_path_and_query_and_checks_the_address() -> None:
    target = resolve("http://127.0.0.1:8123/hook/a?x=1")
    assert (target.host, target.port, target.path, target.address) == (
        "127.0.0.1",
        8123,
        "/hook/a?x=1",
        "127.0.0.1",
    )
    assert resolve("https://[::1]/").port == 443
    with pytest.raises(EndpointRefused) as refused:
        resolve("http://127.0.0.1/#fragment")
    assert refused.value.code == "malformed"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """An https endpoint on loopback whose certificate no trusted authority signed."""
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    cert, key = _self_signed(tmp_path)
    server = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_port}/tls", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.django_db
def test_an_https_endpoint_whose_certificate_does_not_verify_is_not_sent_to(
    world: World, tls_receiver: tuple[str, list[str]]
) -> None:
    url, received = tls_receiver
    status, body = world.covered.subscribe(url)
    assert status == 201, body
    establish_revision(world)
    run = delivery.process()[1]
    assert run.failed == 1
    assert received == []
    assert Delivery.objects.get().last_error == "tls"
