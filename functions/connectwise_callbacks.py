"""POST /api/webhooks/connectwise: ConnectWise PSA's own contact and company callbacks start a run of
the client's tenant (R8.8).

Excluded from App Service Authentication (ConnectWise signs in nowhere): ConnectWise's signature is the
authentication, `x-content-signature` over the exact body bytes, with the key fetched from the
callback's `Metadata.key_url` on a `*.myconnectwise.net` host only (shared/security/connectwise.py,
shared/service/psa_events.py).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request, Response

from functions.deps import CurrentApp
from functions.errors import responses
from functions.openapi import DocumentedRoute
from functions.psa_event_reply import PsaEventReply, reply
from shared.security.connectwise import CONNECTWISE_SIGNATURE_HEADER
from shared.security.signature import SignatureRejected
from shared.service.psa_events import accept_connectwise_callback

__all__ = ["router"]

router = APIRouter(tags=["webhooks"], route_class=DocumentedRoute)
log = logging.getLogger(__name__)


@router.post(
    "/webhooks/connectwise",
    status_code=202,
    summary="ConnectWise PSA's contact and company callbacks",
    description=(
        "Starts a run of the tenant mapped to the callback's company (PSA_PROVIDER connectwise only). Signed by "
        f"ConnectWise, not signed in: {CONNECTWISE_SIGNATURE_HEADER} = base64 HMAC-SHA256 of the raw body keyed by "
        "the SHA-256 of the key at Metadata.key_url (a *.myconnectwise.net host). 200 when nothing was started "
        "(a replay, an unmapped company)."
    ),
    responses=responses(400, 401, 404, 502, 503),
    openapi_extra={"security": []},
)
async def connectwise_callback(
    app: CurrentApp,
    request: Request,
    response: Response,
    signature: Annotated[str | None, Header(alias=CONNECTWISE_SIGNATURE_HEADER)] = None,
) -> PsaEventReply:
    raw = await request.body()
    try:
        answer = await accept_connectwise_callback(app, raw, signature)
    except SignatureRejected as exc:
        log.warning("ConnectWise callback refused: %s", exc)  # the reason only: never a key or a signature
        raise HTTPException(401, f"bad signature: {exc}") from exc
    return reply(response, answer)
