"""`SpecChecker`: does a request conform to the vendor's published API spec?

    checker = SpecChecker.load("syncro")          # /work/shared/psa-specs/syncro.json
    checker.check("GET", "/api/v1/contacts", {"page": ["2"]}, None)   # [] : conforms

Reads OpenAPI 3.0, 3.1 and Swagger 2.0. A request path is matched with the servers' path (OpenAPI:
`https://{subdomain}.syncromsp.com/api/v1` gives `/api/v1`) or the `basePath` (Swagger) in front of
the templated spec paths, literal segments before `{templated}` ones (`/contacts/search` before
`/contacts/{id}`). The problems reported: an unknown path or method; a query parameter the operation
does not declare, given twice, or not of its simple declared type (integer, number, boolean, enum,
uuid); a required parameter missing; a JSON body failing the operation's request-body schema
(jsonschema: Draft 2020-12 for 3.1, Draft 4 for 3.0 and 2.0, formats checked), or a body where the
operation takes none. `spec_load` says which vendor quirks are normalised on loading.

Without the spec folder (`spec_dir()` is None) `load` raises under CI (`CI=true`: a CI run without the
specs must fail) and otherwise gives a checker that checks nothing (`available` False, `reason` says why).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, Draft202012Validator
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

from shared.devtools.psa_fakes.spec_load import HTTP_METHODS, VENDOR_QUIRKS, Quirks, load_document, spec_dir, spec_urn
from shared.devtools.psa_fakes.spec_params import Param, check_params, collect_params
from shared.errors import ConfigError

__all__ = ["SpecChecker", "SpecUnavailable", "spec_dir"]

logger = logging.getLogger(__name__)


class SpecUnavailable(ConfigError):
    """The vendor's spec file is not there, and CI must not run without it."""


@dataclass
class _Operation:
    method: str
    template: str
    params: list[Param]
    body_schema: dict[str, Any] | None
    body_required: bool
    validator: Validator | None = field(default=None, repr=False)


@dataclass
class _Route:
    template: str
    pattern: re.Pattern[str]
    names: list[str]
    literal_segments: int
    operations: dict[str, _Operation]


class SpecChecker:
    """Checks requests against one vendor's spec; see the module docstring."""

    def __init__(
        self,
        vendor: str,
        document: dict[str, Any] | None,
        *,
        quirks: Quirks | None = None,
        reason: str | None = None,
    ) -> None:
        self.vendor = vendor
        self.document = document
        self.quirks = quirks if quirks is not None else VENDOR_QUIRKS.get(vendor, Quirks())
        self.reason = reason
        self._routes: list[_Route] = []
        self._prefixes: list[re.Pattern[str]] = []
        if document is not None:
            self._build(document)

    @classmethod
    def load(cls, vendor: str, directory: Path | None = None) -> SpecChecker:
        """The checker for `<directory or spec_dir()>/<vendor>.json`; see the module docstring."""
        folder = directory if directory is not None else spec_dir()
        path = folder / f"{vendor}.json" if folder is not None else None
        if path is None or not path.is_file():
            reason = f"no spec for {vendor!r}: {path or 'the shared/psa-specs folder beside the repo'} is missing"
            if os.environ.get("CI", "").strip().lower() in ("true", "1"):
                raise SpecUnavailable(reason + " (CI must check requests against the vendor specs)")
            logger.warning("%s; requests to the %s fake are NOT checked against a spec", reason, vendor)
            return cls(vendor, None, reason=reason)
        return cls(vendor, load_document(path, vendor))

    @property
    def available(self) -> bool:
        return self.document is not None

    @property
    def swagger2(self) -> bool:
        return self.document is not None and str(self.document.get("swagger", "")).startswith("2")

    # --- checking --------------------------------------------------------------------------------

    def check(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        body: Any | None,
        headers: dict[str, str] | None = None,
    ) -> list[str]:
        """The ways a request breaks the spec; empty when it conforms (or when no spec is loaded).
        `headers`, when given, are checked for the operation's required header parameters."""
        if self.document is None:
            return []
        found = self._match(path)
        if found is None:
            return [f"{method} {path}: no such path in the {self.vendor} spec"]
        route, values = found
        operation = route.operations.get(method.upper())
        if operation is None:
            allowed = ", ".join(sorted(route.operations))
            return [f"{method} {route.template}: method not in the {self.vendor} spec (it has {allowed})"]
        problems = check_params(operation.params, query, values, headers)
        problems += self._check_body(operation, body)
        return [f"{method} {route.template}: {problem}" for problem in problems]

    def template_for(self, method: str, path: str) -> str | None:
        """The spec path template a request path matches (None: no such path or method)."""
        found = self._match(path) if self.document is not None else None
        if found is None or method.upper() not in found[0].operations:
            return None
        return found[0].template

    def body_properties(self, method: str, template: str) -> set[str] | None:
        """The top-level property names the operation's request body declares (None: not an object)."""
        route = next((r for r in self._routes if r.template == template), None)
        operation = route.operations.get(method.upper()) if route else None
        schema = self._deref(operation.body_schema) if operation and operation.body_schema else None
        if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
            return None
        return set(schema["properties"])

    def _match(self, path: str) -> tuple[_Route, dict[str, str]] | None:
        for prefix in self._prefixes:
            head = prefix.match(path)
            if head is None:
                continue
            rest = path[head.end() :] or "/"
            for route in self._routes:
                hit = route.pattern.fullmatch(rest)
                if hit is not None:
                    return route, dict(zip(route.names, hit.groups(), strict=True))
        return None

    def _check_body(self, operation: _Operation, body: Any | None) -> list[str]:
        if body is None:
            return ["a request body is required"] if operation.body_required else []
        if operation.body_schema is None:
            return ["the operation takes no request body"]
        if operation.validator is None:
            operation.validator = self._validator(operation)
        if self.quirks.case_insensitive_keys:
            body = self._fold_keys(body, operation.body_schema)
        partial = operation.method in self.quirks.partial_methods
        problems = []
        for error in operation.validator.iter_errors(body):
            if partial and error.validator == "required" and not error.absolute_path:
                continue
            problems.append(f"body {error.json_path}: {error.message}")
        return sorted(problems)

    def _validator(self, operation: _Operation) -> Validator:
        assert self.document is not None and operation.body_schema is not None
        schema = operation.body_schema
        if self.quirks.strict_bodies:
            target = self._deref(schema)
            if isinstance(target, dict) and "properties" in target and "additionalProperties" not in target:
                # beside the spec's schema, not in it: Draft 4 ignores keywords beside a $ref
                known: dict[str, Any] = {name: {} for name in target["properties"]}
                schema = {"allOf": [schema], "properties": known, "additionalProperties": False}
        cls = Draft202012Validator if str(self.document.get("openapi", "")).startswith("3.1") else Draft4Validator
        spec = DRAFT202012 if cls is Draft202012Validator else DRAFT4
        resource: Resource[Any] = spec.create_resource(self.document)
        registry: Registry[Any] = Registry().with_resource(spec_urn(self.vendor), resource)
        return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)

    def _fold_keys(self, body: Any, schema: Any) -> Any:
        """`body` with each object key renamed to the schema's property of the same name ignoring case."""
        schema = self._deref(schema)
        if not isinstance(schema, dict):
            return body
        if isinstance(body, list):
            return [self._fold_keys(item, schema.get("items")) for item in body]
        if not isinstance(body, dict):
            return body
        properties: dict[str, Any] = {}
        for part in [schema, *(self._deref(s) for s in schema.get("allOf") or [])]:
            if isinstance(part, dict) and isinstance(part.get("properties"), dict):
                properties.update(part["properties"])
        names = {name.lower(): name for name in properties}
        folded = {}
        for key, value in body.items():
            name = names.get(key.lower(), key) if isinstance(key, str) else key
            folded[name] = self._fold_keys(value, properties.get(name))
        return folded

    def _deref(self, node: Any) -> Any:
        urn = spec_urn(self.vendor) + "#"
        for _ in range(32):
            ref = node.get("$ref") if isinstance(node, dict) else None
            if not isinstance(ref, str) or not ref.startswith(urn):
                return node
            node = self._pointer(ref[len(urn) :])
        raise ValueError(f"{self.vendor} spec: $ref chain too long")

    def _pointer(self, pointer: str) -> Any:
        node: Any = self.document
        for token in pointer.lstrip("/").split("/") if pointer else []:
            token = token.replace("~1", "/").replace("~0", "~")
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    # --- building the route table ----------------------------------------------------------------

    def _build(self, document: dict[str, Any]) -> None:
        self._prefixes = [_prefix_pattern(p) for p in _base_paths(document)]
        for template, item in (document.get("paths") or {}).items():
            item = self._deref(item)
            if not isinstance(item, dict):
                continue
            operations = {}
            for method in HTTP_METHODS:
                raw = item.get(method)
                if isinstance(raw, dict):
                    operations[method.upper()] = self._operation(method.upper(), template, item, raw)
            pattern, names = _template_pattern(template)
            literal = sum(1 for segment in template.split("/") if segment and "{" not in segment)
            self._routes.append(_Route(template, pattern, names, literal, operations))
        # literal segments win over templated ones, then longer templates first
        self._routes.sort(key=lambda r: (-r.literal_segments, -len(r.template)))

    def _operation(self, method: str, template: str, item: dict[str, Any], raw: dict[str, Any]) -> _Operation:
        params = collect_params(item, raw, self._deref)
        schema: dict[str, Any] | None = None
        required = False
        if "requestBody" in raw:  # OpenAPI 3
            body = self._deref(raw["requestBody"])
            content = body.get("content") or {}
            media = next((m for m in content if "json" in m), None) or next(iter(content), None)
            if media is not None:
                schema = content[media].get("schema") or {}
            required = bool(body.get("required"))
        else:  # Swagger 2.0: an `in: body` parameter
            for param in [*(item.get("parameters") or []), *(raw.get("parameters") or [])]:
                param = self._deref(param)
                if isinstance(param, dict) and param.get("in") == "body":
                    schema, required = param.get("schema") or {}, bool(param.get("required"))
        return _Operation(method, template, params, schema, required)


def _base_paths(document: dict[str, Any]) -> list[str]:
    if "basePath" in document or str(document.get("swagger", "")).startswith("2"):
        return [str(document.get("basePath") or "")]
    paths = []
    for server in document.get("servers") or [{"url": "/"}]:
        url = str(server.get("url", "/"))
        path = re.sub(r"^[a-z][a-z0-9+.-]*://[^/]*", "", url, flags=re.IGNORECASE) if "://" in url else url
        paths.append(path)
    return sorted(set(paths), key=len, reverse=True)


def _prefix_pattern(path: str) -> re.Pattern[str]:
    path = path.rstrip("/")
    parts = re.split(r"({[^}]+})", path)
    regex = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(regex + r"(?=/|$)")


def _template_pattern(template: str) -> tuple[re.Pattern[str], list[str]]:
    names: list[str] = []
    regex = ""
    for part in re.split(r"({[^}]+})", template):
        if part.startswith("{") and part.endswith("}"):
            names.append(part[1:-1])
            regex += "([^/]+)"
        else:
            regex += re.escape(part)
    return re.compile(regex), names
