"""POST /api/webhooks/psa: the PSA says something changed; a signed request starts a sync.

Excluded from App Service Authentication (the PSA signs in nowhere): the HMAC signature is the
authentication, checked over the exact body bytes before anything is parsed. See
shared/security/signature.py.
"""

from __future__ import annotations

import logging
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response
from pydantic import AfterValidator, BaseModel, Field

from functions.deps import CurrentApp
from functions.errors import responses
from functions.inputs import JsonBody
from functions.openapi import DocumentedRoute
from functions.runs import RunStarted, started
from functions.text import printable
from shared.errors import ConfigError
from shared.models.base import WireModel
from shared.security import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureRejected, verify
from shared.service.webhook import accept_psa_event

__all__ = ["PsaEventBody", "SignedJsonBody", "router"]

router = APIRouter(tags=["webhooks"], route_class=DocumentedRoute)
log = logging.getLogger(__name__)
B = TypeVar("B", bound=BaseModel)


class PsaEventBody(BaseModel):
    # Extra keys are ignored: a PSA's payload carries more than the sync needs.
    event: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(printable)]  # it is logged
    tenant_id: str | None = Field(default=None, alias="tenantId", min_length=1, max_length=100)
    client_id: str | None = Field(default=None, alias="clientId", min_length=1, max_length=256)


class SignedJsonBody(JsonBody[B]):
    """A signed request's body: the secret must be configured (else 503), the signature must match the
    exact bytes (else 401), and only then is the body validated (else 400)."""

    async def __call__(  # type: ignore[override]
        self,
        request: Request,
        app: CurrentApp,
        timestamp: Annotated[str | None, Header(alias=TIMESTAMP_HEADER, description="unix seconds")] = None,
        signature: Annotated[
            str | None, Header(alias=SIGNATURE_HEADER, description="'sha256=' + hex HMAC-SHA256")
        ] = None,
    ) -> B:
        secret = app.settings.webhook_secret.get_secret_value() if app.settings.webhook_secret else ""
        if not secret:
            raise ConfigError("the webhook is not configured: set the WEBHOOK_SECRET app setting")
        raw = await request.body()
        try:
            request.state.signed_at = verify(secret, timestamp, signature, raw, now=app.clock().timestamp())
        except SignatureRejected as exc:
            log.warning("PSA webhook refused: %s", exc)  # the reason only: never the secret or the signature
            raise HTTPException(401, f"bad signature: {exc}") from exc
        return await super().__call__(request)


class WebhookReplay(WireModel):
    """200: this signed request was accepted before; nothing more was started (do not retry it)."""

    replay: bool = True
    message: str = "this signed request was already accepted; nothing more was started"


@router.post(
    "/webhooks/psa",
    status_code=202,
    summary="The PSA's change notification",
    description=(
        "Starts a tenant run (tenantId, or a mapped clientId) or an all-tenants run. Signed, not signed in: "
        f"{TIMESTAMP_HEADER} = unix seconds, {SIGNATURE_HEADER} = 'sha256=' + hex HMAC-SHA256 of "
        "timestamp + '.' + raw body with WEBHOOK_SECRET; refused if more than 5 minutes old."
    ),
    responses={
        200: {"model": WebhookReplay, "description": "A replay of an accepted request: nothing was started"},
        **responses(400, 401, 404, 409, 503),
    },
    openapi_extra={"security": []},
)
async def psa_webhook(
    app: CurrentApp,
    request: Request,
    response: Response,
    event: Annotated[PsaEventBody, Depends(SignedJsonBody(PsaEventBody))],
) -> RunStarted | WebhookReplay:
    answer = await accept_psa_event(
        app,
        event.event,
        signed_at=request.state.signed_at,
        body=await request.body(),
        tenant_id=event.tenant_id,
        client_id=event.client_id,
    )
    if answer.run is None:
        response.status_code = 200
        return WebhookReplay()
    return started(response, answer.run, answer.started)
