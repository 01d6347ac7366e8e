"""The coverage floor only goes up: `make lint` fails if `[tool.coverage.report] fail_under`
in pyproject.toml is lower than in any earlier commit of the file. `make test-sqlite` then
holds the suite to that floor (branch coverage)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _floor(text: str) -> float | None:
    value = tomllib.loads(text).get("tool", {}).get("coverage", {}).get("report", {})
    floor = value.get("fail_under")
    return float(floor) if floor is not None else None


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def main() -> int:
    current = _floor((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    if current is None:
        print("FAIL: pyproject.toml has no [tool.coverage.report] fail_under.")
        return 1
    try:
        commits = _git("log", "--format=%H", "--", "pyproject.toml").split()
    except (OSError, subprocess.CalledProcessError):
        print(f"coverage floor {current:g}% (no git history here to compare with)")
        return 0
    highest, where = current, ""
    for commit in commits:
        try:
            earlier = _floor(_git("show", f"{commit}:pyproject.toml"))
        except (subprocess.CalledProcessError, tomllib.TOMLDecodeError):
            continue
        if earlier is not None and earlier > highest:
            highest, where = earlier, commit[:10]
    if highest > current:
        print(f"FAIL: the coverage floor was {highest:g}% in {where}; it is {current:g}% now.")
        print("The floor only goes up: raise the coverage instead.")
        return 1
    print(f"coverage floor {current:g}%: not lower than in any of {len(commits)} commits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
