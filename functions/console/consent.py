"""Onboarding a tenant without GDAP: the admin-consent link, and the callback Microsoft sends the
administrator's browser to (anonymous: the signed, expiring state is its authentication)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from functions.auth import Principal, Role, authorize
from functions.deps import CurrentApp
from functions.errors import responses
from shared.errors import ValidationFailed
from shared.models.base import WireModel
from shared.service.consent import GRAPH_PERMISSIONS, GraphPermission, complete_consent, consent_link

__all__ = ["ConsentLinkBody", "router"]

# The link is for signed-in operators; the callback is anonymous (the administrator's browser, often
# of another organization): its signed, expiring state is its authentication.
signed_in = APIRouter(dependencies=[Depends(authorize)], responses=responses(401, 403, 503))
anonymous = APIRouter()


async def _admin(principal: Annotated[Principal, Depends(authorize)]) -> Principal:
    # A GET, but what it hands out registers a tenant: for admins only, not readers.
    if Role.ADMIN not in principal.roles:
        raise HTTPException(403, f"{principal.name} lacks the app role a consent link needs: 'admin'")
    return principal


class ConsentLinkBody(WireModel):
    url: str  # Microsoft's admin-consent page for the app; send it to the tenant's administrator
    redirect_uri: str  # where Microsoft sends the administrator back (a redirect URI of the app registration)
    expires_at: datetime  # the link's state is refused after this


@signed_in.get("/permissions", summary="The Graph permissions the app asks for, in plain words (all read-only)")
async def permissions() -> list[GraphPermission]:
    return list(GRAPH_PERMISSIONS)


@signed_in.get(
    "/link",
    summary="An admin-consent link for a tenant without GDAP (send it to the tenant's administrator); its "
    "signed state expires after 15 minutes. Admins only. 503 when GRAPH_CLIENT_ID or CONSENT_STATE_SECRET is not set",
    dependencies=[Depends(_admin)],
)
async def link(request: Request, app: CurrentApp) -> ConsentLinkBody:
    redirect_uri = str(request.url_for("consent_callback"))
    made = consent_link(app.settings, redirect_uri, app.clock())
    return ConsentLinkBody(url=made.url, redirect_uri=redirect_uri, expires_at=made.expires_at)


@anonymous.get(
    "/callback",
    name="consent_callback",
    summary="Microsoft's admin-consent redirect: checks the state, registers and discovers the tenant, "
    "then redirects to the console showing it",
    status_code=303,
    response_class=RedirectResponse,
    responses={
        303: {"description": "To the console: /?consented=<tenantId>, or /?consentError=<Microsoft's reason>"},
        **responses(400, 503),
    },
    openapi_extra={"security": []},  # anonymous: the administrator's browser; the signed state is the check
)
async def callback(
    request: Request,
    app: CurrentApp,
    state: Annotated[str | None, Query(max_length=512)] = None,
    tenant: Annotated[str | None, Query(max_length=64)] = None,
    admin_consent: Annotated[str | None, Query(max_length=16)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
    error_description: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response:
    try:
        result = await complete_consent(
            app,
            state=state,
            tenant_id=tenant,
            admin_consent=admin_consent,
            error=error,
            error_description=error_description,
        )
    except ValidationFailed as exc:
        if "text/html" not in request.headers.get("accept", ""):
            raise
        return _refused_page(str(exc))
    if result.tenant is None:
        return RedirectResponse("/?" + urlencode({"consentError": result.refusal or "consent was not given"}), 303)
    return RedirectResponse("/?" + urlencode({"consented": result.tenant.tenant_id}), 303)


router = APIRouter(prefix="/api/consent", tags=["consent"])
router.include_router(signed_in)
router.include_router(anonymous)


def _refused_page(message: str) -> HTMLResponse:
    # A person's browser lands here: say what happened in words, and where to go, instead of JSON.
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Consent not recorded</title></head>'
        f"<body><main><h1>Consent not recorded</h1><p>{escape(message)}</p>"
        '<p>Nothing was registered. <a href="/">Back to the console</a></p></main></body></html>'
    )
    return HTMLResponse(page, status_code=400)
