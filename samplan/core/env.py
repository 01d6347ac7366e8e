"""Reading Samplan's settings from the environment.

Every setting an operator can give is declared here, with its type and allowed values, so
that a typo or an unknown value stops start-up with a message that names the setting
(in Swedish and English), rather than being silently ignored.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

PREFIX = "SAMPLAN_"


class SettingError(ImproperlyConfigured):
    def __init__(self, name: str, value: str, expected_sv: str, expected_en: str) -> None:
        self.name = name
        super().__init__(
            f"Ogiltigt värde för {name}: {value!r} (förväntat: {expected_sv}). / "
            f"Invalid value for {name}: {value!r} (expected: {expected_en})."
        )


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    parse: Callable[[str, str], Any]
    help: str


def parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise SettingError(name, raw, "true eller false", "true or false")


def parse_hsa_id(name: str, raw: str) -> str:
    """An HSA-id (SE, the ten digits of an organisation number, a hyphen, letters or digits),
    or empty."""
    import re

    value = raw.strip()
    if value and not re.fullmatch(r"SE\d{10}-[A-Za-z0-9]{1,20}", value):
        raise SettingError(
            name,
            raw,
            "ett HSA-id, t.ex. SE0000000000-S0001",
            "an HSA-id, e.g. SE0000000000-S0001",
        )
    return value


def parse_positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise SettingError(name, raw, "ett positivt heltal", "a positive whole number")
    return value


def parse_list(name: str, raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def choice(*allowed: str) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        value = raw.strip().lower()
        if value not in allowed:
            listed = ", ".join(allowed)
            raise SettingError(name, raw, f"något av {listed}", f"one of {listed}")
        return value

    return parse


def parse_text(name: str, raw: str) -> str:
    return raw


def parse_networks(name: str, raw: str) -> list[str]:
    """Comma-separated CIDR networks (IPv4 or IPv6), returned in their normal form."""
    import ipaddress

    networks = []
    for item in parse_list(name, raw):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise SettingError(
                name, raw, "nätverk i CIDR-form, t.ex. 10.0.0.0/8", "CIDR networks, e.g. 10.0.0.0/8"
            ) from None
    return networks


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting("SAMPLAN_DEBUG", "false", parse_bool, "Django debug mode; never in production."),
        Setting("SAMPLAN_SECRET_KEY", "", parse_text, "Secret key; generated in the data folder."),
        Setting("SAMPLAN_DATA_DIR", "data", parse_text, "Folder for the SQLite file, mail, keys."),
        Setting("SAMPLAN_ALLOWED_HOSTS", "127.0.0.1,localhost", parse_list, "Host names served."),
        Setting("SAMPLAN_CSRF_TRUSTED_ORIGINS", "", parse_list, "Origins trusted for forms."),
        Setting("SAMPLAN_SECURE_COOKIES", "false", parse_bool, "Cookies only over HTTPS."),
        Setting("SAMPLAN_LANGUAGE", "sv", choice("sv", "en"), "Default UI language."),
        Setting("SAMPLAN_LOG_LEVEL", "info", choice("debug", "info", "warning", "error"), "Logs."),
        Setting("SAMPLAN_LOGIN_FAILURE_LIMIT", "5", parse_positive_int, "Failures before lock."),
        Setting("SAMPLAN_LOCKOUT_MINUTES", "15", parse_positive_int, "How long a lock lasts."),
        Setting("SAMPLAN_EMAIL", "file", choice("console", "file", "smtp"), "Mail backend."),
        Setting("SAMPLAN_EMAIL_FROM", "samplan@localhost", parse_text, "Sender of mail."),
        Setting("SAMPLAN_SMTP_HOST", "localhost", parse_text, "SMTP server."),
        Setting("SAMPLAN_SMTP_PORT", "25", parse_positive_int, "SMTP port."),
        Setting("SAMPLAN_SMTP_USER", "", parse_text, "SMTP user."),
        Setting("SAMPLAN_SMTP_PASSWORD", "", parse_text, "SMTP password."),
        Setting("SAMPLAN_SMTP_TLS", "false", parse_bool, "STARTTLS to the SMTP server."),
        Setting("SAMPLAN_SESSION_IDLE_MINUTES", "30", parse_positive_int, "Idle session timeout."),
        Setting("SAMPLAN_SESSION_MAX_HOURS", "10", parse_positive_int, "Absolute session life."),
        Setting("SAMPLAN_ICF_FILE", "", parse_text, "Licensed ICF code list (one per line)."),
        Setting(
            "SAMPLAN_STATISTICS_SMALL_CELL",
            "5",
            parse_positive_int,
            "Managers' figures: counts below this, outside the own units, are hidden.",
        ),
        Setting(
            "SAMPLAN_STATISTICS_DATABASE_URL",
            "",
            parse_text,
            "A read-only replica (postgres://...) the managers' figures are read from.",
        ),
        Setting(
            "SAMPLAN_FHIR_SOURCE_HSA_ID",
            "",
            parse_hsa_id,
            "HSA-id of this Samplan as the system that produces its FHIR CarePlans (meta.source, "
            "Inera's sourceSystemHSAId).",
        ),
        Setting(
            "SAMPLAN_MEETING_DEADLINE_DAYS",
            "10",
            parse_positive_int,
            "Working days from initiative to the first meeting before it is flagged.",
        ),
        Setting(
            "SAMPLAN_LOOKUP_HOURS",
            "48",
            parse_positive_int,
            "Hours a person look-up stays open, and within which a plan or invitation must "
            "follow it before the log review flags it.",
        ),
        Setting(
            "SAMPLAN_EXTERNAL_LINK_DAYS",
            "30",
            parse_positive_int,
            "Days an external invitee's signed link works after the mail that carried it.",
        ),
        Setting(
            "SAMPLAN_AUDIT_KEY_FILE",
            "",
            parse_text,
            "Ed25519 key that signs the audit log's seals (PEM, outside the database); "
            "default: made on first use in the data folder.",
        ),
        Setting(
            "SAMPLAN_AUDIT_TRUSTED_KEYS",
            "",
            parse_list,
            "Public keys (hex) of earlier seal keys, so that `audit verify` checks older seals.",
        ),
        Setting(
            "SAMPLAN_AUDIT_SEAL_WINDOW_SECONDS",
            "60",
            parse_positive_int,
            "Seconds an audit event may stay unsealed before `audit verify` reports it.",
        ),
        Setting(
            "SAMPLAN_AUDIT_RETENTION_MONTHS",
            "120",
            parse_positive_int,
            "Months audit events are kept (default ten years): `audit retain` removes only "
            "whole months older than this.",
        ),
        Setting(
            "SAMPLAN_SUBSCRIPTION_ALLOWED_NETWORKS",
            "127.0.0.0/8,::1/128",
            parse_networks,
            "Networks (CIDR, comma-separated) a FHIR Subscription's endpoint may be on; every "
            "address its host resolves to must be inside one.",
        ),
        Setting(
            "SAMPLAN_SUBSCRIPTION_TIMEOUT_SECONDS",
            "5",
            parse_positive_int,
            "Seconds a notification may take to connect and to be answered.",
        ),
        Setting(
            "SAMPLAN_SUBSCRIPTION_ERROR_AFTER_HOURS",
            "24",
            parse_positive_int,
            "Hours a subscription's endpoint may keep failing before the subscription is set "
            "to error and its notifications are no longer retried.",
        ),
    ]
}


def read(name: str, environ: Mapping[str, str] | None = None) -> Any:
    env = os.environ if environ is None else environ
    setting = SETTINGS[name]
    return setting.parse(name, env.get(name, setting.default))


def check_unknown(environ: Mapping[str, str] | None = None) -> None:
    """Refuse SAMPLAN_* variables that are not settings: a typo must not pass unnoticed."""
    env = os.environ if environ is None else environ
    unknown = sorted(k for k in env if k.startswith(PREFIX) and k not in SETTINGS)
    # SAMPLAN_PYTHON is read by the Makefile, not by the application.
    unknown = [k for k in unknown if k != "SAMPLAN_PYTHON"]
    if unknown:
        names = ", ".join(unknown)
        raise ImproperlyConfigured(
            f"Okänd inställning: {names}. / Unknown setting: {names}. "
            f"Known settings: {', '.join(sorted(SETTINGS))}."
        )
