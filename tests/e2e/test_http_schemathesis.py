"""Schemathesis against the app's own OpenAPI document, in process over ASGI, on a real App (northwind
on the Graph simulator and fresh Azurite tables, mapped, one run done): every operation, with inputs
that fit the document and inputs that break it, signed in as an admin (and the webhook signed) so the
operations really run. Asserts no answer is a 5xx and no answer breaks the document: status codes,
content types, headers and bodies as documented. Bounded: a few examples per operation and mode; CI
replays a fixed set (CI=true), a local run explores anew."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from pydantic import SecretStr
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from functions.auth import PRINCIPAL_HEADER
from shared.devtools.environment import SimulatedEnvironment
from shared.models import RunType
from shared.security import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.e2e.http_support import ADMIN, API
from tests.integration.helpers import GREENLEAF, JORDAN, map_northwind, run_sync

pytestmark = pytest.mark.integration

# Per operation and generation mode: ~30 operations x 2 modes in about a minute here. A longer hunt:
# SCHEMATHESIS_EXAMPLES=200 make test PYTEST_ARGS=tests/e2e/test_http_schemathesis.py
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SECRET = "schemathesis-webhook-secret"
WEBHOOK = "/api/webhooks/psa"


@pytest.fixture
async def populated(env: SimulatedEnvironment) -> SimulatedEnvironment:
    """Tenants, mappings, clients, a finished run with its outcomes, an open review item (Jordan Lee
    in GreenLeaf): real answers, and real ids for the path parameters."""
    await map_northwind(env)
    await run_sync(env, RunType.INITIAL)
    env.app.settings = env.app.settings.model_copy(update={"webhook_secret": SecretStr(SECRET)})
    return env


async def send(request: dict[str, Any]) -> httpx.Response:
    headers = {**request.get("headers", {}), PRINCIPAL_HEADER: ADMIN}
    content = request.get("data")
    if "json" in request:
        content = json.dumps(request["json"]).encode()
    if isinstance(content, str):
        content = content.encode()
    if request["url"].endswith(WEBHOOK):  # signed as the PSA would, so the body is validated too
        stamp = int(time.time())
        headers |= {TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: sign(SECRET, stamp, content or b"")}
    transport = httpx.ASGITransport(app=API, raise_app_exceptions=False)  # a crash is a 500 to check
    async with httpx.AsyncClient(transport=transport) as client:
        return await client.request(
            request["method"],
            request["url"],
            params=request.get("params"),
            headers=headers,
            content=content,
        )


def explore(
    operation: Any,
    mode: GenerationMode,
    call: Callable[[dict[str, Any]], httpx.Response],
    ids: dict[str, str] | None = None,
) -> list[str]:
    """Run `operation`'s generated cases through `call`, with the path's ids fixed to `ids` if given;
    the failures, described (no shrinking: bounded)."""
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=bool(os.environ.get("CI")),
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=ids))
    def run(case: schemathesis.Case) -> None:
        request = case.as_transport_kwargs(base_url="http://localhost")
        response = call(request)
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, FailureGroup) as exc:  # every failure is collected, then reported together
            found = " ".join(str(exc).split())[:500]
            failures.append(f"{mode.value} {case.method} {request['url']} -> {response.status_code}: {found}")

    try:
        run()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # an operation with no input has nothing to break
    return failures


async def test_every_operation_answers_as_documented_and_never_with_a_5xx(populated: SimulatedEnvironment) -> None:
    loop = asyncio.get_running_loop()
    document = (await send({"method": "GET", "url": "http://localhost/api/openapi.json"})).json()
    schema = schemathesis.openapi.from_dict(document)

    def call(request: dict[str, Any]) -> httpx.Response:
        # Hypothesis runs in a worker thread; the app and its storage clients stay on this loop.
        return asyncio.run_coroutine_threadsafe(send(request), loop).result(timeout=120)

    (run,) = await populated.app.runs.page(1)
    known = {"tenantId": GREENLEAF, "userId": JORDAN, "clientId": "c-greenleaf", "runId": run.run_id}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 26
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += await asyncio.to_thread(explore, operation, mode, call)
        names = re.findall(r"\{(\w+)\}", operation.path)
        if names:  # again with ids that exist, so the operation gets past its lookups
            ids = {name: known[name] for name in names}
            failures += await asyncio.to_thread(explore, operation, GenerationMode.POSITIVE, call, ids)

    assert failures == [], "\n".join(failures)
