"""Every audit action the code writes is named in samplan/audit/actions.py, and every read has
words in the person's log extract. The source is walked, so a new `audit.record(action="...")`
with an unnamed action fails here, also in modules that still pass plain strings."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import samplan
from samplan.audit.actions import AuditAction
from samplan.audit.constants import READ_ACTIONS
from samplan.audit.extract import ACTION_PHRASES, action_phrase
from samplan.authz.policy import Action
from samplan.consent.models import ConsentDecision
from samplan.fhir import search

PACKAGE = Path(samplan.__file__).parent
# Functions that write an audit event with the action they are given.
WRITERS = {
    "record",
    "record_many",
    "record_denied",
    "record_invalid",
    "audit_persons_shown",
    "audit_rows_read",
    "audit_empty_search",
    "audit_invalid",
    "refuse",
    "_draft_item",
}
# Functions that read a plan and audit the read as f"plan.{purpose}".
PLAN_READERS = {"access_plan", "access_plan_child", "_plan", "plan_for", "child_of_plan"}
ACTION_SHAPE = re.compile(r"[a-z_]+(\.[a-z_]+)+")
VALUES = {a.value for a in AuditAction}
# The REST API audits refused input as "api.<METHOD> <route>" (samplan/api/errors.py): the
# one open family, by design.
OPEN_FAMILIES = ("api.",)


def _sources() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _action_args(call: ast.Call) -> Iterator[ast.expr]:
    yield from (kw.value for kw in call.keywords if kw.arg == "action")
    yield from call.args


def _f_string_pattern(node: ast.JoinedStr) -> re.Pattern[str]:
    parts = [
        re.escape(str(v.value)) if isinstance(v, ast.Constant) else "[a-z_]+" for v in node.values
    ]
    return re.compile("".join(parts))


def _check(node: ast.expr, where: str, problems: list[str], found: list[str]) -> None:
    """Literal strings, policy Actions, AuditAction members, f-strings, and both branches of
    `a if c else b`; anything else (a variable) is checked where it was set."""
    if isinstance(node, ast.IfExp):
        _check(node.body, where, problems, found)
        _check(node.orelse, where, problems, found)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        if ACTION_SHAPE.fullmatch(node.value):
            found.append(node.value)
            if node.value not in VALUES:
                problems.append(f"{where}: {node.value!r}")
    elif isinstance(node, ast.Call) and _name(node.func) == "str" and node.args:
        _check(node.args[0], where, problems, found)
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        if node.value.id == "Action":
            value = Action[node.attr].value
        elif node.value.id == "AuditAction":
            value = AuditAction[node.attr].value
        else:
            return
        found.append(value)
        if value not in VALUES:
            problems.append(f"{where}: {node.value.id}.{node.attr} = {value!r}")
    elif isinstance(node, ast.JoinedStr):
        pattern = _f_string_pattern(node)
        found.append(pattern.pattern)
        if pattern.pattern.startswith(tuple(re.escape(f) for f in OPEN_FAMILIES)):
            return
        if not any(pattern.fullmatch(v) for v in VALUES):
            problems.append(f"{where}: f-string {pattern.pattern!r} matches no AuditAction")


def test_every_action_written_in_the_source_is_named() -> None:
    problems: list[str] = []
    found: list[str] = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            where = f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and _name(node.func) in WRITERS:
                for arg in _action_args(node):
                    _check(arg, where, problems, found)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id.endswith("_ACTION") for t in node.targets
            ):
                _check(node.value, where, problems, found)
    assert not problems, "not in AuditAction:\n" + "\n".join(problems)
    # The walk found the writers (guards against a rename making this test vacuous).
    assert len(found) > 80
    assert "plan.initiate" in found
    assert "person.lookup" in found


def test_every_plan_read_purpose_is_named() -> None:
    """authz.access.access_plan audits f"plan.{purpose}": every purpose passed is a member."""
    purposes: set[str] = {"read"}  # the default
    for _path, tree in _sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _name(node.func) in PLAN_READERS):
                continue
            for arg in [*(k.value for k in node.keywords if k.arg == "purpose"), *node.args]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    purposes.add(arg.value)
    assert {"version", "edit", "fhir_everything"} <= purposes
    missing = sorted(p for p in purposes if f"plan.{p}" not in VALUES)
    assert not missing, f"plan purposes without an AuditAction: {missing}"


def test_policy_actions_and_consent_decisions_are_named() -> None:
    """`authz.require` audits a refusal under the policy's Action; consent is audited as
    f"consent.{decision}"."""
    assert {a.value for a in Action} <= VALUES
    assert {f"consent.{d}" for d in ConsentDecision.values} <= VALUES


def test_every_fhir_resource_read_is_named() -> None:
    for kind in search.KINDS.values():
        assert f"{kind.name.lower()}.fhir_read" in VALUES


def test_read_actions_come_from_the_enum() -> None:
    assert set(READ_ACTIONS) == {a for a in AuditAction if a.is_read}
    assert AuditAction.PLAN_READ in READ_ACTIONS
    assert AuditAction.PERSON_LOOKUP not in READ_ACTIONS  # it has a flag of its own
    assert AuditAction.AUDIT_REVIEW_READ not in READ_ACTIONS


@pytest.mark.parametrize("action", READ_ACTIONS)
def test_every_read_has_words_in_the_extract(action: AuditAction) -> None:
    assert action in ACTION_PHRASES
    assert action_phrase(str(action)) != str(action)


def test_a_string_that_is_no_action_is_shown_as_it_is() -> None:
    assert action_phrase("api.POST plans") == "api.POST plans"
    assert action_phrase(AuditAction.PLAN_READ) == "Läste planen"
