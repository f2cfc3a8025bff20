"""GET/PUT /api/settings/* answer the shapes the OpenAPI document gives them, globally and with
`?tenantId=` (issue 13: the tenant form of exclusions answered {tenantId, effective, overrides} where the
document promised {patterns}; schemathesis does not reach it, as it never picks a tenant that exists)."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from shared.bootstrap import App
from shared.models import Tenant
from tests.e2e.http_support import call

TENANT = "d4db95b7-337d-540d-8a9f-13b6f9b2058a"
SECTIONS = ("field-controls", "filters", "exclusions", "safety-brake")


async def documented(path: str, method: str) -> Draft202012Validator:
    """A validator for the 200 answer of `method path` as the app's own document gives it."""
    document = (await call("GET", "/api/openapi.json")).json
    schema = document["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": document["components"]})


@pytest.mark.parametrize("section", SECTIONS)
async def test_every_settings_section_answers_as_documented_globally_and_for_a_tenant(app: App, section: str) -> None:
    await app.tenants.save_many([Tenant(tenant_id=TENANT, display_name="GreenLeaf Dental")])
    path = f"/api/settings/{section}"
    answers: list[tuple[str, Any]] = []
    for params in (None, {"tenantId": TENANT}):
        got = await call("GET", path, params=params)
        assert got.status == 200
        answers.append(("get", got.json))
        body = got.json if params is None else got.json["overrides"]
        put = await call("PUT", path, body=body, params=params)
        assert put.status == 200, put.json
        answers.append(("put", put.json))

    tenant_forms = [answer for _, answer in answers[2:]]
    assert all(set(answer) == {"tenantId", "effective", "overrides"} for answer in tenant_forms)
    for method, answer in answers:
        errors = [e.message for e in (await documented(path, method)).iter_errors(answer)]
        assert errors == [], f"{method.upper()} {path}: {answer} is not as documented: {errors}"
