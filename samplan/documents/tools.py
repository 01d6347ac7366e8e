"""The system tools the accessible formats need, found on PATH and run without a shell.

A missing tool raises `ToolMissing` naming the Debian package that provides it, so a page can
say what to install while the other formats keep working (scripts/sysdeps.sh installs them)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Each tool, and the Debian package it comes from.
TOOL_PACKAGES = {
    "lou_translate": "liblouis-bin",
    "espeak-ng": "espeak-ng",
    "opusenc": "opus-tools",
}

# Where liblouis looks for its tables when LOUIS_TABLEPATH does not say otherwise.
_LOUIS_TABLE_DIRS = ("/usr/share/liblouis/tables", "/usr/local/share/liblouis/tables")

DEFAULT_TIMEOUT = 60.0


class ToolMissing(RuntimeError):
    """A system tool (or its data) is not installed: `package` is the Debian package to add."""

    def __init__(self, package: str, tool: str | None = None) -> None:
        self.package = package
        self.tool = tool or package
        super().__init__(f"{self.tool} is not installed (Debian package {package})")


class ToolFailed(RuntimeError):
    """A system tool ran but failed or timed out."""

    def __init__(self, tool: str, detail: str) -> None:
        self.tool = tool
        super().__init__(f"{tool} failed: {detail}")


def tool_path(tool: str) -> str:
    """The tool's full path, or `ToolMissing` with its package."""
    path = shutil.which(tool)
    if path is None:
        raise ToolMissing(TOOL_PACKAGES.get(tool, tool), tool)
    return path


def louis_table_path(table: str) -> Path:
    """A liblouis table's file, or `ToolMissing("liblouis-data")`."""
    dirs = [d for d in os.environ.get("LOUIS_TABLEPATH", "").split(",") if d]
    for directory in (*dirs, *_LOUIS_TABLE_DIRS):
        candidate = Path(directory) / table
        if candidate.is_file():
            return candidate
    raise ToolMissing("liblouis-data", table)


@dataclass(frozen=True)
class ToolStatus:
    """Whether a format's tools are present; `missing_package` names what to install."""

    available: bool
    missing_package: str | None = None


def check_tools(*tools: str) -> ToolStatus:
    for tool in tools:
        if shutil.which(tool) is None:
            return ToolStatus(False, TOOL_PACKAGES.get(tool, tool))
    return ToolStatus(True)


def run_tool(
    args: Sequence[str], *, stdin: bytes | None = None, timeout: float = DEFAULT_TIMEOUT
) -> bytes:
    """Run a tool (args[0] a name on PATH) without a shell; its standard output, or
    `ToolMissing` / `ToolFailed`. The environment is cut down to what the tools need."""
    executable = tool_path(args[0])
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    if "LOUIS_TABLEPATH" in os.environ:
        env["LOUIS_TABLEPATH"] = os.environ["LOUIS_TABLEPATH"]
    try:
        done = subprocess.run(  # noqa: S603 - a fixed tool, list arguments, no shell
            [executable, *args[1:]],
            input=stdin,
            capture_output=True,
            timeout=timeout,
            check=False,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolFailed(args[0], f"timed out after {timeout:g} s") from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip()[:500]
        raise ToolFailed(args[0], f"exit status {done.returncode}: {detail}")
    return done.stdout
