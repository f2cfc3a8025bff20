"""Parameters of one spec operation (OpenAPI 3 `schema`-style or Swagger 2.0 inline-typed), and the
simple checks a query string, path or header value gets: declared, given once, of the declared type
(integer, number, boolean, enum, uuid), required ones present."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Param", "check_params", "collect_params"]

Deref = Callable[[Any], Any]


@dataclass(frozen=True)
class Param:
    name: str
    location: str  # "query", "path", "header" (cookie and formData are not checked)
    required: bool
    type: str | None
    format: str | None = None
    enum: tuple[Any, ...] | None = None
    item_type: str | None = None  # for arrays
    item_enum: tuple[Any, ...] | None = None
    collection_format: str = "multi"  # Swagger 2.0 arrays: csv unless said otherwise


def collect_params(path_item: Mapping[str, Any], operation: Mapping[str, Any], deref: Deref) -> list[Param]:
    """The operation's parameters over the path item's; body parameters (Swagger) are left out."""
    merged: dict[tuple[str, str], Param] = {}
    for raw in [*(path_item.get("parameters") or []), *(operation.get("parameters") or [])]:
        param = _param(deref(raw), deref)
        if param is not None:
            merged[(param.location, param.name.lower() if param.location == "header" else param.name)] = param
    return list(merged.values())


def _param(raw: Any, deref: Deref) -> Param | None:
    if not isinstance(raw, dict) or raw.get("in") not in ("query", "path", "header"):
        return None
    if "schema" in raw:  # OpenAPI 3
        schema = deref(raw["schema"]) or {}
        collection = "multi"
    else:  # Swagger 2.0: the type sits on the parameter itself
        schema = raw
        collection = str(raw.get("collectionFormat", "csv"))
    kind = _first_type(schema.get("type"))
    items = deref(schema.get("items")) or {}
    enum = schema.get("enum")
    item_enum = items.get("enum") if isinstance(items, dict) else None
    return Param(
        name=str(raw["name"]),
        location=str(raw["in"]),
        required=bool(raw.get("required")) or raw.get("in") == "path",
        type=kind,
        format=schema.get("format"),
        enum=tuple(enum) if isinstance(enum, list) else None,
        item_type=_first_type(items.get("type")) if isinstance(items, dict) else None,
        item_enum=tuple(item_enum) if isinstance(item_enum, list) else None,
        collection_format=collection,
    )


def _first_type(kind: Any) -> str | None:
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        return str(kinds[0]) if kinds else None
    return str(kind) if isinstance(kind, str) else None


def check_params(
    params: list[Param],
    query: Mapping[str, list[str]],
    path_values: Mapping[str, str],
    headers: Mapping[str, str] | None,
) -> list[str]:
    problems: list[str] = []
    declared = {p.name: p for p in params if p.location == "query"}
    for name, values in query.items():
        base = name[:-2] if name.endswith("[]") else name  # Rails-style arrays: id[]=1&id[]=2
        param = declared.get(name) or declared.get(base)
        if param is None:
            problems.append(f"query parameter {name!r} is not in the spec")
            continue
        if param.type == "array":
            items = _split(values, param.collection_format)
            problems += [f"query parameter {name!r}: {p}" for v in items if (p := _value_problem(v, _item(param)))]
        elif len(values) > 1:
            problems.append(f"query parameter {name!r} given {len(values)} times")
        else:
            problem = _value_problem(values[0], param)
            if problem:
                problems.append(f"query parameter {name!r}: {problem}")
    given = {n[:-2] if n.endswith("[]") else n for n in query}
    for param in declared.values():
        if param.required and param.name not in given:
            problems.append(f"required query parameter {param.name!r} is missing")
    for param in params:
        if param.location == "path" and param.name in path_values:
            problem = _value_problem(path_values[param.name], param)
            if problem:
                problems.append(f"path parameter {param.name!r}: {problem}")
    if headers is not None:
        present = {name.lower() for name in headers}
        for param in params:
            if param.location == "header" and param.required and param.name.lower() not in present:
                problems.append(f"required header {param.name!r} is missing")
    return problems


def _split(values: list[str], collection_format: str) -> list[str]:
    separator = {"csv": ",", "ssv": " ", "tsv": "\t", "pipes": "|"}.get(collection_format)
    if separator is None:
        return values
    return [part for value in values for part in value.split(separator)]


def _item(param: Param) -> Param:
    return Param(param.name, param.location, False, param.item_type, None, param.item_enum)


_INTEGER = re.compile(r"-?\d+")


def _value_problem(value: str, param: Param) -> str | None:
    if param.enum is not None and value not in {_as_text(e) for e in param.enum}:
        return f"{value!r} is not one of {[_as_text(e) for e in param.enum]}"
    if param.type == "integer" and not _INTEGER.fullmatch(value):
        return f"{value!r} is not an integer"
    if param.type == "number":
        try:
            float(value)
        except ValueError:
            return f"{value!r} is not a number"
    if param.type == "boolean" and value not in ("true", "false"):
        return f"{value!r} is not a boolean (true or false)"
    if param.format == "uuid":
        try:
            uuid.UUID(value)
        except ValueError:
            return f"{value!r} is not a uuid"
    return None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
