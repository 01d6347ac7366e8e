"""Bad settings stop start-up with a message that names the setting."""

import os
import subprocess
import sys

import pytest

from samplan.core import env


def run_check(**extra: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SAMPLAN_")}
    environ.pop("DATABASE_URL", None)
    environ.update(extra)
    return subprocess.run(
        [sys.executable, "-m", "samplan.cli", "check"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SAMPLAN_DEBUG", "maybe"),
        ("SAMPLAN_LANGUAGE", "fi"),
        ("SAMPLAN_LOGIN_FAILURE_LIMIT", "-3"),
        ("SAMPLAN_EMAIL", "pigeon"),
    ],
)
def test_unknown_value_stops_start_up_naming_the_setting(name: str, value: str) -> None:
    result = run_check(**{name: value}, SAMPLAN_DATA_DIR="/tmp/samplan-settings-test")
    assert result.returncode != 0
    assert f"Ogiltigt värde för {name}" in result.stderr
    assert f"Invalid value for {name}" in result.stderr


def test_misspelt_setting_is_refused() -> None:
    result = run_check(SAMPLAN_DEBGU="true", SAMPLAN_DATA_DIR="/tmp/samplan-settings-test")
    assert result.returncode != 0
    assert "SAMPLAN_DEBGU" in result.stderr


def test_unsupported_database_url_names_the_setting() -> None:
    result = run_check(DATABASE_URL="mysql://root@localhost/x")
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_valid_settings_start() -> None:
    result = run_check(SAMPLAN_DEBUG="false", SAMPLAN_DATA_DIR="/tmp/samplan-settings-test")
    assert result.returncode == 0, result.stderr


def test_parsers() -> None:
    assert env.read("SAMPLAN_DEBUG", {"SAMPLAN_DEBUG": "yes"}) is True
    assert env.read("SAMPLAN_ALLOWED_HOSTS", {"SAMPLAN_ALLOWED_HOSTS": "a.se, b.se"}) == [
        "a.se",
        "b.se",
    ]
    assert env.read("SAMPLAN_LOCKOUT_MINUTES", {}) == 15
