"""`build_autotask`: the Autotask connector from `PSA_AUTOTASK__*` (`shared.config.AutotaskSettings`).

The budget: `requests_per_hour` for the whole app, paced as a sliding hour (no burst) through the
schedule every instance shares in storage (`shared.psa.http.shared_pacing`): no rolling hour holds
more than the operator's share, however many instances send; without storage each instance takes
1/`PSA_MAX_INSTANCES` of it. A 500 answer with an `errors` array is a refusal of the
item (`PsaRefused`), not an outage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from shared.config import Settings
from shared.psa.autotask.connector import AutotaskConnector
from shared.psa.autotask.spending import AutotaskAuth
from shared.psa.autotask.zone import ZoneDirectory
from shared.psa.building import limiter_for, require_base_url, require_secret, require_text, retry_policy
from shared.psa.fact_fields import FactFields
from shared.psa.http import HeaderAuth, Pace, PsaHttpClient

if TYPE_CHECKING:
    from shared.service.ports import RequestBudget

__all__ = ["build_autotask", "is_refusal"]

PREFIX = "PSA_AUTOTASK"


def is_refusal(response: httpx.Response) -> bool:
    """Autotask's refusal of one item: HTTP 500 whose body has a non-empty `errors` array."""
    if response.status_code != 500:
        return False
    try:
        body: Any = response.json()
    except ValueError:
        return False
    errors = body.get("errors") if isinstance(body, dict) else None
    return isinstance(errors, list) and bool(errors)


def build_autotask(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None, budget: RequestBudget | None = None
) -> AutotaskConnector:
    conn = settings.psa_autotask
    username = require_text(conn.username, f"{PREFIX}__USERNAME")
    secret = require_secret(settings, conn.secret, f"{PREFIX}__SECRET")
    code = require_text(conn.integration_code, f"{PREFIX}__INTEGRATION_CODE")
    discovery_url = require_base_url(conn.discovery_url, f"{PREFIX}__DISCOVERY_URL")
    instances = settings.psa_max_instances
    # The operator's share is kept whole (no headroom): it is counted exactly, and the database's
    # 10,000 an hour leaves the rest to the MSP's other tools.
    pace = Pace(per_minute=conn.requests_per_hour / 60, instances=instances, window_seconds=3600, headroom=1.0)
    policy = retry_policy(conn)
    limiter = limiter_for("autotask", f"{username.lower()} {code}", pace, budget)
    discovery = PsaHttpClient(
        vendor="autotask",
        base_url=discovery_url,
        auth=HeaderAuth({}),
        limiter=limiter_for("autotask-zone", discovery_url, Pace(per_minute=60, burst=5)),
        policy=policy,
        transport=transport,
    )
    zone = ZoneDirectory(
        discovery, discovery_url, username, lambda url: require_base_url(url, "the zone URL Autotask named")
    )
    if conn.base_url.strip():  # set by the operator: no discovery
        fixed = require_base_url(conn.base_url, f"{PREFIX}__BASE_URL")
        zone = _Fixed(fixed.removesuffix("/V1.0") + "/V1.0", discovery)

    def http_for(api_url: str) -> PsaHttpClient:
        return PsaHttpClient(
            vendor="autotask",
            base_url=api_url,
            auth=AutotaskAuth(code, username, secret),
            limiter=limiter,
            policy=policy,
            transport=transport,
            refusal=is_refusal,
        )

    if budget is not None:
        note = (
            f"the app's share is {conn.requests_per_hour:,} an hour of the database's 10,000, "
            "counted across all its instances"
        )
    else:
        note = (
            f"the app's share is {conn.requests_per_hour:,} an hour of the database's 10,000, "
            f"{conn.requests_per_hour / instances:,.0f} an hour for each of up to {instances} instance(s)"
        )
    return AutotaskConnector(
        zone,
        http_for,
        FactFields.from_settings(conn),
        threads_per_endpoint=conn.threads_per_endpoint,
        budget_note=note,
        owner_resource_id=conn.owner_resource_id,
    )


class _Fixed(ZoneDirectory):
    """A zone the settings name (`PSA_AUTOTASK__BASE_URL`): nothing to look up."""

    def __init__(self, api_url: str, discovery: PsaHttpClient) -> None:
        super().__init__(discovery, "", "", str)
        self._fixed = api_url

    async def api_url(self) -> str:
        return self._fixed
