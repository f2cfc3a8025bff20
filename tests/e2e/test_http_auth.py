"""Sign-in at the HTTP edge: the platform's principal header and the app roles (reader reads, admin does
everything), 401 without a principal, 403 without the role; the development identity only on loopback
with LOCAL_DEV_IDENTITY, never under App Service."""

from __future__ import annotations

import re
from typing import Any

import pytest

from functions.api import create_api
from functions.auth import principal_header
from shared.bootstrap import App, set_app
from tests.e2e.http_support import ADMIN, READER, call

NOBODY = principal_header("guest@msp.example")  # signed in, no app role
GUID = "00000000-0000-0000-0000-000000000000"


async def operations() -> list[tuple[str, str]]:
    """Every operation of the document that needs sign-in, with its path's ids filled in."""
    document: dict[str, Any] = (await call("GET", "/api/openapi.json", principal=None)).json
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", GUID, path))
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if op.get("security") != []
    ]


async def test_every_signed_in_operation_is_401_without_a_principal_and_403_without_a_role(app: App) -> None:
    signed_in = await operations()
    assert len(signed_in) >= 24
    for method, path in signed_in:
        anonymous = await call(method, path, principal=None)
        assert (anonymous.status, anonymous.error["code"]) == (401, "unauthorized"), (method, path)
        assert anonymous.headers["WWW-Authenticate"] == "Bearer"
        no_role = await call(method, path, principal=NOBODY)
        assert (no_role.status, no_role.error["code"]) == (403, "forbidden"), (method, path)


# GETs for admins only: what they hand out changes things (a consent link registers a tenant).
ADMIN_READS = {"/api/consent/link"}


async def test_a_reader_reads_and_is_refused_every_change(app: App) -> None:
    for method, path in await operations():
        reply = await call(method, path, principal=READER, body={})
        if method == "GET" and path not in ADMIN_READS:
            assert reply.status != 403, (method, path)
        else:
            assert reply.status == 403, (method, path)
            assert "admin" in reply.error["message"]
    assert (await call("GET", "/api/tenants", principal=READER)).json == []


async def test_an_admin_changes_things(app: App) -> None:
    started = await call("POST", "/api/runs", body={"type": "all-tenants"}, principal=ADMIN)
    saved = await call("PUT", "/api/settings/safety-brake", body={"minContacts": 3, "percent": 10}, principal=ADMIN)

    assert started.status == 202
    assert (saved.status, saved.json) == (200, {"minContacts": 3, "percent": 10})


async def test_a_forged_or_broken_principal_header_is_401(app: App) -> None:
    reply = await call("GET", "/api/tenants", principal="eyJub3QiOiAianNvbg")

    assert reply.status == 401
    assert "X-MS-CLIENT-PRINCIPAL" in reply.error["message"]


async def test_the_webhook_and_the_document_need_no_sign_in(app: App) -> None:
    assert (await call("GET", "/api/openapi.json", principal=None)).status == 200
    assert (await call("POST", "/api/webhooks/psa", body={"event": "x"}, principal=None)).status == 503  # no secret


@pytest.mark.parametrize(("loopback", "setting", "status"), [(True, True, 200), (True, False, 401), (False, True, 401)])
async def test_the_development_identity_needs_loopback_and_the_setting(
    app: App, loopback: bool, setting: bool, status: int
) -> None:
    app.settings = app.settings.model_copy(update={"local_dev_identity": setting})
    api = create_api(loopback=loopback)

    read = await call("GET", "/api/tenants", principal=None, api=api)
    change = await call(
        "PUT", "/api/settings/safety-brake", body={"minContacts": 4, "percent": 5}, principal=None, api=api
    )

    assert read.status == status
    assert change.status == status  # the development identity is an admin


async def test_under_app_service_the_development_identity_setting_stops_the_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The process's App is built from the environment: App Service's, with the local-only setting added.
    monkeypatch.setenv("WEBSITE_SITE_NAME", "func-entrasync-abc")
    monkeypatch.setenv("LOCAL_DEV_IDENTITY", "true")
    set_app(None)
    api = create_api(loopback=True)  # even if a runner claimed loopback there

    for principal in (None, ADMIN):
        reply = await call("GET", "/api/tenants", principal=principal, api=api)
        assert reply.status == 503
        assert "LOCAL_DEV_IDENTITY" in reply.error["message"]


@pytest.mark.parametrize(("auth_enabled", "status"), [(False, 503), (True, 200)])
async def test_on_app_service_the_principal_header_is_believed_only_behind_app_service_authentication(
    app: App, auth_enabled: bool, status: int
) -> None:
    # With authentication off, anyone could write X-MS-CLIENT-PRINCIPAL: the app refuses to believe it.
    app.settings = app.settings.model_copy(
        update={"website_site_name": "func-entrasync-abc", "website_auth_enabled": auth_enabled}
    )

    reply = await call("GET", "/api/tenants", principal=ADMIN)

    assert reply.status == status
    if status == 503:
        assert "WEBSITE_AUTH_ENABLED" in reply.error["message"]
