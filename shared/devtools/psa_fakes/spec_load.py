"""Finding a vendor's spec file and normalising its documented quirks (psa-specs/SOURCES.md).

The files in `psa-specs/` are verbatim vendor extracts and must not be edited, so every quirk is
fixed here, on the loaded copy:

- every operation's non-standard `extensions` key (Alga's generator) is dropped;
- OpenAPI 3.0 `nullable: true` (and Swagger's `x-nullable`) becomes a `"null"` type, so jsonschema
  accepts null where the spec allows it;
- local `$ref`s (`#/components/...`, `#/definitions/...`) become absolute (`urn:psa-spec:<vendor>#/...`),
  so any schema in the document can be validated on its own against one registry;
- a `path` parameter that is not in its path template (ConnectWise's `transferContactId`) becomes an
  optional `query` parameter;
- C#-style type names in parameters (Halo's `bool`, `int`, `double`, `DateTime`, `List<int>`, `obj`)
  map to JSON Schema types;
- a .NET `object` value rendered as a JSON object type takes any JSON value, as the vendors' payloads
  send it (`_ANY_VALUE`: ConnectWise's `PatchOperation.value` and `CustomFieldValue.value`, Autotask's
  query `Filter.value`, which the spec types as its `ValueItem` binding wrapper).

`additionalProperties` is kept as the spec says; vendor rules that the spec does not state (Alga's
strict bodies, partial PUTs) are `Quirks`, applied by the checker.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["HTTP_METHODS", "VENDOR_QUIRKS", "Quirks", "load_document", "spec_dir", "spec_urn"]

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_SKIP = frozenset({"example", "examples", "x-example"})  # sample payloads: data, not schema
_CSHARP_TYPES: dict[str, dict[str, Any]] = {
    "bool": {"type": "boolean"},
    "int": {"type": "integer"},
    "long": {"type": "integer"},
    "double": {"type": "number"},
    "float": {"type": "number"},
    "decimal": {"type": "number"},
    "DateTime": {"type": "string", "format": "date-time"},
    "List<int>": {"type": "array", "items": {"type": "integer"}},
    "obj": {},
}


# JSON pointers (before `$ref`s are made absolute) of schemas that take any JSON value, per vendor.
_ANY_VALUE: dict[str, tuple[str, ...]] = {
    "connectwise": (
        "/components/schemas/PatchOperation/properties/value",
        "/components/schemas/CustomFieldValue/properties/value",
    ),
    "autotask": ("/definitions/Filter/properties/value",),
}


@dataclass(frozen=True)
class Quirks:
    """Vendor behaviour the published spec does not state, applied on top of it."""

    strict_bodies: bool = False  # a top-level request object rejects keys it does not declare
    partial_methods: frozenset[str] = frozenset()  # a body sent with these methods may omit required keys
    case_insensitive_keys: bool = False  # JSON keys match the schema's property names ignoring case


VENDOR_QUIRKS: dict[str, Quirks] = {
    # Alga's zod body schemas are `.strict()` and its update schemas are `createSchema.partial()`
    # (server/src/lib/api/schemas/contact.ts, common.ts), but the generated spec says neither.
    "alga": Quirks(strict_bodies=True, partial_methods=frozenset({"PUT"})),
    # Autotask's definitions are PascalCase (`FirstName`); its REST payloads are camelCase.
    "autotask": Quirks(case_insensitive_keys=True),
}


def spec_dir() -> Path | None:
    """`<repo>/../shared/psa-specs`, the team's spec extracts beside the repo; None when absent."""
    repo_root = Path(__file__).resolve().parent.parents[2]
    directory = repo_root.parent / "shared" / "psa-specs"
    return directory if directory.is_dir() else None


def spec_urn(vendor: str) -> str:
    return f"urn:psa-spec:{vendor}"


def load_document(path: Path, vendor: str) -> dict[str, Any]:
    """The spec file, parsed and normalised (see the module docstring)."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    urn = spec_urn(vendor)
    for template, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                operation.pop("extensions", None)
        _move_stray_path_parameters(template, item)
    for pointer in _ANY_VALUE.get(vendor, ()):
        *parents, last = pointer.strip("/").split("/")
        holder = document
        for key in parents:
            holder = holder.get(key) or {}
        if last in holder:
            holder[last] = {}
    _normalise(document, urn)
    return document


def _move_stray_path_parameters(template: str, item: dict[str, Any]) -> None:
    names = set(re.findall(r"{([^}]+)}", template))
    holders = [item, *(item[m] for m in HTTP_METHODS if isinstance(item.get(m), dict))]
    for holder in holders:
        for parameter in holder.get("parameters") or []:
            if isinstance(parameter, dict) and parameter.get("in") == "path" and parameter.get("name") not in names:
                parameter["in"], parameter["required"] = "query", False


def _normalise(node: Any, urn: str) -> None:
    if isinstance(node, list):
        for item in node:
            _normalise(item, urn)
        return
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        node["$ref"] = urn + ref
    kind = node.get("type")
    if isinstance(kind, str) and kind in _CSHARP_TYPES:
        del node["type"]
        node.update(_CSHARP_TYPES[kind])
    if node.get("nullable") is True or node.get("x-nullable") is True:
        _allow_null(node)
    for key, value in node.items():
        if key not in _SKIP:
            _normalise(value, urn)


def _allow_null(node: dict[str, Any]) -> None:
    node.pop("nullable", None)
    node.pop("x-nullable", None)
    kind = node.get("type")
    if isinstance(kind, str):
        node["type"] = [kind, "null"]
    elif isinstance(kind, list):
        if "null" not in kind:
            kind.append("null")
    else:
        inner = dict(node)
        node.clear()
        node["anyOf"] = [inner, {"type": "null"}]
        return
    enum = node.get("enum")
    if isinstance(enum, list) and None not in enum:
        enum.append(None)
