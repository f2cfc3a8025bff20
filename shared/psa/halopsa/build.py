"""`build_halo`: the HaloPSA connector from `PSA_HALOPSA__*` (`shared.config.HaloSettings`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from shared.config import Settings
from shared.psa.building import limiter_for, require_base_url, require_secret, require_text, retry_policy
from shared.psa.fact_fields import FactFields
from shared.psa.halopsa.auth import HaloAuth, HaloTokens
from shared.psa.halopsa.connector import HaloConnector
from shared.psa.halopsa.custom_fields import HaloCustomFields
from shared.psa.http import Pace, PsaHttpClient

if TYPE_CHECKING:
    from shared.service.ports import RequestBudget

__all__ = ["build_halo"]

PREFIX = "PSA_HALOPSA"


def build_halo(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None, budget: RequestBudget | None = None
) -> HaloConnector:
    conn = settings.psa_halopsa
    base_url = require_base_url(conn.base_url, f"{PREFIX}__BASE_URL")
    client_id = require_text(conn.client_id, f"{PREFIX}__CLIENT_ID")
    secret = require_secret(settings, conn.client_secret, f"{PREFIX}__CLIENT_SECRET")
    window = conn.rate_window_seconds
    pace = Pace(
        per_minute=conn.rate_limit_requests * 60 / window,
        instances=settings.psa_max_instances,
        window_seconds=window,
    )
    limiter = limiter_for("halopsa", base_url, pace, budget)
    policy = retry_policy(conn)
    tokens = HaloTokens(
        base_url=base_url,
        client_id=client_id,
        client_secret=secret,
        limiter=limiter,
        auth_url=require_base_url(conn.auth_url, f"{PREFIX}__AUTH_URL") if conn.auth_url.strip() else "",
        tenant=conn.tenant.strip(),
        timeout=policy.timeout,
        transport=transport,
        check_url=lambda url: require_base_url(url, "the auth_url HaloPSA's /api/authinfo names"),
    )
    http = PsaHttpClient(
        vendor="halopsa",
        base_url=base_url,
        auth=HaloAuth(tokens, limiter),
        limiter=limiter,
        policy=policy,
        transport=transport,
    )
    custom = HaloCustomFields(FactFields.from_settings(conn))
    return HaloConnector(http, tokens, custom, page_size=conn.page_size, batch_size=conn.batch_size)
