"""A conformance check against Inera's profiles without the Java validator.

The constraints are read from tests/fhir/profiles/inera-ehds-tk-0.3.1.json, which the project
wrote from the guide's published StructureDefinitions (Inera EHDS Tjänstekontrakt 0.3.1): every
element's cardinality, its type where it is a primitive, required bindings with their codes,
the identifier and extension slices (fixed system or url, their cardinality and required
parts), the references' target types, the profiles' invariants, and which elements are
must-support. `check` walks one emitted resource and reports each violation by path; elements
that are must-support but absent are reported apart, since the profile allows them to be
absent when the sender has no data."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).parent / "profiles" / "inera-ehds-tk-0.3.1.json"
GUIDE: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
PROFILES: dict[str, dict[str, Any]] = GUIDE["profiles"]
VALUE_SETS: dict[str, dict[str, Any]] = GUIDE["valueSets"]

# FHIR R4 primitive formats (https://hl7.org/fhir/R4/datatypes.html).
_DATE = r"([0-9]{4})(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?"
_TIME = (
    r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
    r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
)
PRIMITIVES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str) and v.strip() != "",
    "markdown": lambda v: isinstance(v, str) and v.strip() != "",
    "code": lambda v: isinstance(v, str) and re.fullmatch(r"[^\s]+( [^\s]+)*", v) is not None,
    "id": lambda v: isinstance(v, str) and re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", v) is not None,
    "uri": lambda v: isinstance(v, str) and re.fullmatch(r"\S+", v) is not None,
    "boolean": lambda v: isinstance(v, bool),
    "date": lambda v: isinstance(v, str) and re.fullmatch(_DATE, v) is not None,
    "dateTime": lambda v: (
        isinstance(v, str) and re.fullmatch(rf"{_DATE}(T{_TIME})?", v) is not None
    ),
    "instant": lambda v: (
        isinstance(v, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T" + _TIME, v) is not None
    ),
    "http://hl7.org/fhirpath/System.String": lambda v: isinstance(v, str),
}
# Where a profile names a target profile, the resource type a reference must point to.
TARGET_TYPES = {
    "https://fhir.inera.se/ig/ehds-tk/StructureDefinition/inera-ehds-patient": "Patient",
}


def _target_type(profile_url: str) -> str:
    url = profile_url.split("|")[0]
    return TARGET_TYPES.get(url, url.rsplit("/", 1)[-1])


@dataclass
class Report:
    violations: list[str] = field(default_factory=list)
    missing_must_support: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _children(node: Any, name: str) -> Iterator[tuple[str, Any]]:
    """The values of `name` in one element (with the actual name, for a choice type [x]);
    a primitive given only as its extension (`_name`) counts as present."""
    if not isinstance(node, dict):
        return
    if name.endswith("[x]"):
        prefix = name[:-3]
        for key, value in node.items():
            if key.startswith(prefix) and key[len(prefix) : len(prefix) + 1].isupper():
                for item in _as_list(value):
                    yield key, item
        return
    values = _as_list(node.get(name))
    extended = _as_list(node.get(f"_{name}"))
    for n in range(max(len(values), len(extended))):
        yield name, values[n] if n < len(values) else None


def _instances(resource: dict[str, Any], path: str) -> list[tuple[str, Any]]:
    """Every instance of an element path ("CarePlan.activity.detail"), with its location."""
    root, *parts = path.split(".")
    found: list[tuple[str, Any]] = [(root, resource)]
    for part in parts:
        found = [
            (f"{where}.{key}", value)
            for where, node in found
            for key, value in _children(node, part)
        ]
    return found


def _check_binding(where: str, value: Any, value_set: str, report: Report) -> None:
    vs = VALUE_SETS[value_set]
    codes = set(vs["codes"])
    if isinstance(value, str):
        if value not in codes:
            report.violations.append(f"{where}: {value!r} is not in {value_set}")
        return
    codings = value.get("coding", []) if isinstance(value, dict) else []
    if not any(c.get("system") == vs["system"] and c.get("code") in codes for c in codings):
        report.violations.append(
            f"{where}: no coding from {value_set} ({vs['system']}) (required binding)"
        )


def _check_element(resource: dict[str, Any], element: dict[str, Any], report: Report) -> None:
    path: str = element["path"]
    parent_path, name = path.rsplit(".", 1)
    for where, parent in _instances(resource, parent_path):
        values = list(_children(parent, name))
        count = len(values)
        if count < element["min"]:
            report.violations.append(f"{where}.{name}: {count} present, at least {element['min']}")
        if element["max"] != "*" and count > int(element["max"]):
            report.violations.append(f"{where}.{name}: {count} present, at most {element['max']}")
        if count == 0 and element.get("mustSupport"):
            report.missing_must_support.append(path)
        types = element.get("types", [])
        for key, value in values:
            at = f"{where}.{key}"
            if value is None:  # only the primitive's extension
                continue
            if len(types) == 1 and types[0] in PRIMITIVES and not PRIMITIVES[types[0]](value):
                report.violations.append(f"{at}: {value!r} is not a valid {types[0]}")
            elif len(types) == 1 and types[0] not in PRIMITIVES and not isinstance(value, dict):
                report.violations.append(f"{at}: {value!r} is not a {types[0]}")
            if element.get("binding"):
                _check_binding(at, value, element["binding"], report)


def _check_slice(resource: dict[str, Any], piece: dict[str, Any], report: Report) -> None:
    label = f"{piece['path']}:{piece['name']}"
    items = [v for _w, v in _instances(resource, piece["path"]) if isinstance(v, dict)]
    discriminator = piece["discriminator"]
    if "url" in discriminator:
        members = [e for e in items if e.get("url") == discriminator["url"]]
    else:
        members = [i for i in items if i.get("system") == discriminator["system"]]
    if len(members) < piece["min"]:
        report.violations.append(f"{label}: {len(members)} present, at least {piece['min']}")
    if piece["max"] != "*" and len(members) > int(piece["max"]):
        report.violations.append(f"{label}: {len(members)} present, at most {piece['max']}")
    if not members and piece.get("mustSupport"):
        report.missing_must_support.append(label)
    for member in members:
        if "url" in discriminator:
            value_key = "value" + piece["valueType"][0].upper() + piece["valueType"][1:]
            others = [k for k in member if k.startswith("value") and k != value_key]
            if value_key not in member or others:
                report.violations.append(f"{label}: the value must be a {piece['valueType']}")
            elif not PRIMITIVES[piece["valueType"]](member[value_key]):
                report.violations.append(f"{label}: {member[value_key]!r} is not valid")
            if piece.get("subExtensionsMax") == 0 and member.get("extension"):
                report.violations.append(f"{label}: takes no extensions of its own")
            continue
        for part in piece.get("required", []):
            if not member.get(part):
                report.violations.append(f"{label}.{part}: missing")
        for part, value_set in piece.get("bindings", {}).items():
            if part in member:
                _check_binding(f"{label}.{part}", member[part], value_set, report)


def _invariant(key: str, node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    if key == "cpl-3":  # detail.empty() or reference.empty()
        return not (node.get("detail") and node.get("reference"))
    if key == "ips-pat-1":  # family.exists() or given.exists() or text.exists()
        return bool(node.get("family") or node.get("given") or node.get("text"))
    if key == "pat-1":  # name, telecom, address or organization
        return any(node.get(k) for k in ("name", "telecom", "address", "organization"))
    raise KeyError(f"the checker does not know invariant {key}")


def check(resource: dict[str, Any]) -> Report:
    """Check one resource (CarePlan or Patient) against Inera's profile for its type."""
    profile = PROFILES[resource["resourceType"]]
    report = Report()
    if profile["url"] not in (resource.get("meta") or {}).get("profile", []):
        report.violations.append(f"meta.profile does not declare {profile['url']}")
    for element in profile["elements"]:
        _check_element(resource, element, report)
    for piece in profile["slices"]:
        _check_slice(resource, piece, report)
    for path, targets in profile["targetProfiles"].items():
        allowed = {_target_type(t) for t in targets}
        for where, ref in _instances(resource, path):
            reference = ref.get("reference", "") if isinstance(ref, dict) else ""
            if reference and reference.split("/")[0] not in allowed:
                report.violations.append(
                    f"{where}: {reference} is not a {' or '.join(sorted(allowed))}"
                )
    for invariant in profile["invariants"]:
        for where, node in _instances(resource, invariant["path"]):
            if not _invariant(invariant["key"], node):
                report.violations.append(f"{where}: {invariant['key']} {invariant['human']}")
    return report


def profiled(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The resources in a response that a profile applies to: the resource itself or a
    Bundle's entries."""
    if body.get("resourceType") == "Bundle":
        resources = [e["resource"] for e in body.get("entry", []) if "resource" in e]
    else:
        resources = [body]
    for resource in resources:
        if resource.get("resourceType") in PROFILES:
            yield resource


def assert_conforms(body: dict[str, Any]) -> None:
    for resource in profiled(body):
        report = check(resource)
        where = f"{resource['resourceType']}/{resource.get('id')}"
        assert report.ok, f"{where} does not conform to Inera's profile: {report.violations}"
