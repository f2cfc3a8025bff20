"""`build_connectwise`: the ConnectWise PSA connector from `PSA_CONNECTWISE__*`
(`shared.config.ConnectWiseSettings`)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import httpx
from pydantic import SecretStr

from shared.config import Settings
from shared.psa.building import limiter_for, require_base_url, require_secret, require_text, retry_policy
from shared.psa.connectwise.connector import ConnectWiseConnector
from shared.psa.connectwise.mapping import ContactShape
from shared.psa.fact_fields import FactFields
from shared.psa.http import HeaderAuth, Pace, PsaHttpClient

if TYPE_CHECKING:
    from shared.service.ports import RequestBudget

__all__ = ["build_connectwise", "connectwise_accept"]

PREFIX = "PSA_CONNECTWISE"


def connectwise_accept(version: str) -> str:
    """The `Accept` header that pins ConnectWise's answers to one API version."""
    return f"application/vnd.connectwise.com+json; version={version}"


def build_connectwise(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None, budget: RequestBudget | None = None
) -> ConnectWiseConnector:
    conn = settings.psa_connectwise
    base_url = require_base_url(conn.base_url, f"{PREFIX}__BASE_URL")
    company = require_text(conn.company_id, f"{PREFIX}__COMPANY_ID")
    public = require_text(conn.public_key, f"{PREFIX}__PUBLIC_KEY")
    private = require_secret(settings, conn.private_key, f"{PREFIX}__PRIVATE_KEY")
    client_id = require_text(conn.client_id, f"{PREFIX}__CLIENT_ID")
    basic = base64.b64encode(f"{company}+{public}:{private.get_secret_value()}".encode()).decode("ascii")
    headers: dict[str, str | SecretStr] = {
        "Authorization": SecretStr(f"Basic {basic}"),
        "clientId": client_id,
        "Accept": connectwise_accept(conn.api_version.strip() or "2025.1"),
    }
    pace = Pace(per_minute=conn.rate_limit_per_minute, instances=settings.psa_max_instances)
    http = PsaHttpClient(
        vendor="connectwise",
        base_url=base_url,
        auth=HeaderAuth(headers),
        limiter=limiter_for("connectwise", f"{base_url} {company}+{public}", pace, budget),
        policy=retry_policy(conn),
        transport=transport,
    )
    shape = ContactShape(
        facts=FactFields.from_settings(conn),
        phone_type=conn.phone_type.strip() or "Direct",
        mobile_type=conn.mobile_type.strip() or "Cell",
        entra_id_field=conn.entra_id_field.strip(),
    )
    return ConnectWiseConnector(http, shape)
