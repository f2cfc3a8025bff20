"""POST /api/webhooks/psa: the PSA says something changed; a signed request starts a sync.

Anonymous at the platform (the PSA holds no function key): the HMAC signature is the authentication,
checked over the exact body bytes before anything is parsed. See shared/security/signature.py.
"""

from __future__ import annotations

import logging

import azure.functions as func
from pydantic import BaseModel, Field

from functions.http import error_response, json_response, parse_body, serve
from functions.runs import RunStarted
from shared.bootstrap import App
from shared.security import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureRejected, verify
from shared.service.webhook import start_for_psa_event

bp = func.Blueprint()
log = logging.getLogger(__name__)


class PsaEventBody(BaseModel):
    # Extra keys are ignored: a PSA's payload carries more than the sync needs.
    event: str = Field(min_length=1, max_length=100)
    tenant_id: str | None = Field(default=None, alias="tenantId", min_length=1, max_length=100)
    client_id: str | None = Field(default=None, alias="clientId", min_length=1, max_length=256)


@bp.route(route="webhooks/psa", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def psa_webhook(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        secret = app.settings.webhook_secret.get_secret_value() if app.settings.webhook_secret else ""
        if not secret:
            log.error("PSA webhook refused: WEBHOOK_SECRET is not configured")
            return error_response(503, "the webhook is not configured: set the WEBHOOK_SECRET app setting")
        raw = req.get_body()
        try:
            verify(
                secret,
                req.headers.get(TIMESTAMP_HEADER),
                req.headers.get(SIGNATURE_HEADER),
                raw,
                now=app.clock().timestamp(),
            )
        except SignatureRejected as exc:
            log.warning("PSA webhook refused: %s", exc)  # the reason only: never the secret or the signature
            return error_response(401, f"bad signature: {exc}")
        event = parse_body(req, PsaEventBody)
        run, started = await start_for_psa_event(app, event.event, tenant_id=event.tenant_id, client_id=event.client_id)
        accepted = RunStarted(run_id=run.run_id, status=run.status, joined=not started)
        return json_response(accepted, 202, headers={"Location": f"/api/runs/{run.run_id}"})

    return await serve(handle)
