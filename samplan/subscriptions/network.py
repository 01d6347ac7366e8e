"""Where a notification may be sent: an http(s) URL whose host resolves only to addresses on
the networks SAMPLAN_SUBSCRIPTION_ALLOWED_NETWORKS names (the demo: loopback only).

The host is resolved when the subscription is made and again before every notification, and
the notification is sent to the address that was checked, never resolved a second time: a
name that later points elsewhere (DNS rebinding) reaches nothing outside the allowed
networks."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

MAX_URL_LENGTH = 500


class EndpointRefused(ValueError):
    """The endpoint may not be used. `code` says why, in a word (no host names, no secrets)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Target:
    scheme: str  # http or https
    host: str  # as written (for Host and TLS server name)
    port: int
    path: str  # path and query
    address: str  # the checked address to connect to


def parse_endpoint(url: str) -> SplitResult:
    """The URL's parts, or EndpointRefused: not http(s), no host, credentials in the URL, a
    fragment, too long or not ASCII."""
    if len(url) > MAX_URL_LENGTH or not url.isascii() or any(c.isspace() for c in url):
        raise EndpointRefused("malformed")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise EndpointRefused("malformed") from None
    if parts.scheme not in {"http", "https"}:
        raise EndpointRefused("scheme")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise EndpointRefused("malformed")
    if parts.fragment:
        raise EndpointRefused("malformed")
    return parts


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n) for n in settings.SUBSCRIPTION_ALLOWED_NETWORKS]


def _allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in allowed_networks())


def resolve(url: str) -> Target:
    """Check the URL and resolve its host: every address it resolves to must be allowed (a
    name with one allowed and one forbidden address is refused). EndpointRefused otherwise."""
    parts = parse_endpoint(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise EndpointRefused("unresolved") from None
    addresses = sorted({str(info[4][0]) for info in infos})
    if not addresses:
        raise EndpointRefused("unresolved")
    if not all(_allowed(a) for a in addresses):
        raise EndpointRefused("network")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, host, port, path, addresses[0])
