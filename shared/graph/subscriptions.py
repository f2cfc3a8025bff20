"""A customer tenant's change-notification subscriptions: `POST /subscriptions`, `PATCH` and `DELETE
/subscriptions/{id}`, built with msgraph-sdk's request builders, answers read raw into pydantic.

Graph checks the notification URL before it answers a create (it posts `?validationToken=` there and
needs the token back within 10 seconds), so a create fails when the app's endpoint cannot be reached.
Graph's errors arrive as the app's (`shared.graph.errors`): a refused request is `GraphPermanent`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.models.subscription import Subscription
from msgraph.graph_service_client import GraphServiceClient
from pydantic import ValidationError

from shared.errors import GraphError
from shared.models.subscriptions import GraphSubscription, SubscriptionRequest

__all__ = ["CHANGE_TYPES", "GraphSubscriptions"]

CHANGE_TYPES = "updated,deleted"  # Graph delivers a new user as "updated"
RESOURCE = "users"

Send = Callable[[RequestInformation], Awaitable[bytes | None]]


class GraphSubscriptions:
    """One tenant's subscriptions, over that tenant's request adapter; `send` translates Graph's errors."""

    def __init__(self, tenant_id: str, sdk: GraphServiceClient, send: Send) -> None:
        self.tenant_id = tenant_id
        self._sdk = sdk
        self._send = send

    async def create(self, request: SubscriptionRequest) -> GraphSubscription:
        body = Subscription(
            change_type=CHANGE_TYPES,
            notification_url=request.notification_url,
            lifecycle_notification_url=request.lifecycle_url,
            resource=RESOURCE,
            expiration_date_time=request.expires_at,
            client_state=request.client_state,
            latest_supported_tls_version="v1_2",
        )
        return self._read(await self._send(self._sdk.subscriptions.to_post_request_information(body)))

    async def renew(self, subscription_id: str, expires_at: datetime) -> GraphSubscription:
        """A later expiry; also what `reauthorizationRequired` asks for."""
        builder = self._sdk.subscriptions.by_subscription_id(subscription_id)
        info = builder.to_patch_request_information(Subscription(expiration_date_time=expires_at))
        return self._read(await self._send(info))

    async def delete(self, subscription_id: str) -> None:
        await self._send(self._sdk.subscriptions.by_subscription_id(subscription_id).to_delete_request_information())

    def _read(self, raw: bytes | None) -> GraphSubscription:
        try:
            return GraphSubscription.model_validate_json(raw or b"{}")
        except ValidationError as exc:
            message = f"unexpected subscription payload in tenant {self.tenant_id}: {exc}"
            raise GraphError(message, code="payload") from exc
