"""POST /api/webhooks/autotask: Autotask's own contact and company webhooks start a run of the client's
tenant (R8.8).

Excluded from App Service Authentication (Autotask signs in nowhere): the signature is the
authentication, `X-Hook-Signature` (HMAC-SHA1 of the exact body with PSA_AUTOTASK__WEBHOOK_SECRET,
shared/security/autotask.py), checked before anything is parsed (shared/service/psa_events.py).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request, Response

from functions.deps import CurrentApp
from functions.errors import responses
from functions.openapi import DocumentedRoute
from functions.psa_event_reply import PsaEventReply, reply
from shared.security.autotask import AUTOTASK_SIGNATURE_HEADER
from shared.security.signature import SignatureRejected
from shared.service.psa_events import accept_autotask_webhook

__all__ = ["router"]

router = APIRouter(tags=["webhooks"], route_class=DocumentedRoute)
log = logging.getLogger(__name__)


@router.post(
    "/webhooks/autotask",
    status_code=202,
    summary="Autotask's contact and company webhooks",
    description=(
        "Starts a run of the tenant mapped to the webhook's company (PSA_PROVIDER autotask only). Signed by "
        f"Autotask, not signed in: {AUTOTASK_SIGNATURE_HEADER} = 'sha1=' + base64 HMAC-SHA1 of the raw body with "
        "PSA_AUTOTASK__WEBHOOK_SECRET. 200 when nothing was started (a replay, an unmapped company, the sync's "
        "own change)."
    ),
    responses=responses(400, 401, 404, 503),
    openapi_extra={"security": []},
)
async def autotask_webhook(
    app: CurrentApp,
    request: Request,
    response: Response,
    signature: Annotated[str | None, Header(alias=AUTOTASK_SIGNATURE_HEADER)] = None,
) -> PsaEventReply:
    raw = await request.body()
    try:
        answer = await accept_autotask_webhook(app, raw, signature)
    except SignatureRejected as exc:
        log.warning("Autotask webhook refused: %s", exc)  # the reason only: never the secret or the signature
        raise HTTPException(401, f"bad signature: {exc}") from exc
    return reply(response, answer)
