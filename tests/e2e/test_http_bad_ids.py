"""Every route with an id in its path refuses a malformed id with the 400 its OpenAPI operation documents
(issue 13: `DELETE /mappings/{tenantId}` and the `/clients/{clientId}/…` routes answered 400s the document
did not give them), naming the id, before anything is looked up."""

from __future__ import annotations

import re

import pytest

from shared.bootstrap import App
from tests.e2e.http_support import call

# Too long for any id, and a control character in one: both refused by the path's own schema.
BAD_IDS = ("x" * 300, "a%01b")


async def operations_with_ids() -> list[tuple[str, str, list[str], dict[str, object]]]:
    document = (await call("GET", "/api/openapi.json")).json
    return [
        (path, method, re.findall(r"\{(\w+)\}", path), op["responses"])
        for path, ops in document["paths"].items()
        if "{" in path
        for method, op in ops.items()
    ]


async def test_the_routes_the_issue_named_are_among_those_checked(app: App) -> None:
    checked = {(path, method) for path, method, _, _ in await operations_with_ids()}
    assert ("/api/mappings/{tenantId}", "delete") in checked
    assert {p for p, _ in checked if p.startswith("/api/clients/{clientId}/")} >= {
        "/api/clients/{clientId}/contacts",
        "/api/clients/{clientId}/secure-score",
    }


@pytest.mark.parametrize("bad", BAD_IDS)
async def test_a_malformed_path_id_is_a_documented_400_naming_it(app: App, bad: str) -> None:
    failures = []
    for path, method, names, responses in await operations_with_ids():
        url = re.sub(r"\{\w+\}", bad, path)
        reply = await call(method.upper(), url, body=None if method in ("get", "delete") else {})
        if "400" not in responses:
            failures.append(f"{method.upper()} {path}: no 400 documented")
        if reply.status != 400:
            failures.append(f"{method.upper()} {path}: {reply.status}, not 400")
        elif method in ("get", "delete") and reply.error["field"] not in names:
            failures.append(f"{method.upper()} {path}: the 400 names {reply.error['field']}, not {names}")
    assert failures == []
