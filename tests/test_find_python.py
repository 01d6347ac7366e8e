"""scripts/find-python picks the Python that requirements.lock was made for, and says so
when it has to fall back (issue 10: it used to prefer 3.13)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "find-python"


def fake_python(bin_dir: Path, version: str) -> Path:
    path = bin_dir / f"python{version}"
    path.write_text(f'#!/bin/sh\necho "{version}"\n')
    path.chmod(0o755)
    return path


def run(tmp_path: Path, *versions: str, env: dict[str, str] | None = None):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for version in versions:
        fake_python(bin_dir, version)
    # Only the tools the script uses, so that the machine's own Pythons stay out of sight.
    for tool in ("sed", "head", "dirname"):
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    return subprocess.run(
        [str(SCRIPT)],
        env={"PATH": str(bin_dir), "HOME": str(tmp_path), **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def locked_version() -> str:
    header = (SCRIPT.parents[1] / "requirements.lock").read_text().splitlines()[:3]
    return (
        next(line for line in header if "--python-version" in line)
        .split("--python-version ")[1]
        .split()[0]
    )


def test_the_lock_names_312() -> None:
    assert locked_version() == "3.12"


def test_the_locked_version_is_preferred_over_a_newer_one(tmp_path: Path) -> None:
    result = run(tmp_path, "3.13", "3.14", "3.12")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("python3.12")
    assert result.stderr == ""


def test_a_newer_one_is_used_with_a_note(tmp_path: Path) -> None:
    result = run(tmp_path, "3.13")
    assert result.returncode == 0
    assert result.stdout.strip().endswith("python3.13")
    assert "made for Python 3.12" in result.stderr


@pytest.mark.parametrize("versions", [(), ("3.11",)])
def test_none_fit_fails_saying_what_to_install(tmp_path: Path, versions: tuple[str, ...]) -> None:
    result = run(tmp_path, *versions)
    assert result.returncode == 1
    assert "needs Python 3.12" in result.stderr


def test_samplan_python_wins(tmp_path: Path) -> None:
    chosen = fake_python(tmp_path, "3.13")
    result = run(tmp_path, "3.12", env={"SAMPLAN_PYTHON": str(chosen)})
    assert result.stdout.strip() == str(chosen)
    assert "NOTE" in result.stderr
