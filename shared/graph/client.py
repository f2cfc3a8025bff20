"""Microsoft Graph for any customer tenant: msgraph-sdk builds the requests and runs its middleware
(retry honouring Retry-After, redirects), and we read collection pages as raw bytes into pydantic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import nullcontext
from typing import Any, TypeVar

import httpx
from azure.core.credentials_async import AsyncTokenCredential
from kiota_abstractions.authentication import BaseBearerTokenAuthenticationProvider
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.users.delta.delta_request_builder import DeltaRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient
from msgraph_core import GraphClientFactory
from pydantic import BaseModel, ValidationError

from shared.errors import GraphError, GraphRequestRefused
from shared.graph.auth import TenantTokenProvider
from shared.graph.batch import BatchAnswer, BatchStep, send_batch
from shared.graph.errors import graph_error_for
from shared.graph.limits import RequestLimiter
from shared.graph.pages import Page
from shared.graph.subscriptions import GraphSubscriptions
from shared.models import USER_SELECT, EntraUser
from shared.models.graph_reads import (
    DelegatedAdminCustomer,
    DelegatedAdminRelationship,
    DeltaResult,
    Organization,
    RegistrationDetail,
    SecureScore,
    SubscribedSku,
)
from shared.service.ports import FixedReads

__all__ = ["GraphTenantDirectory", "GraphUserDirectory", "new_http_client"]

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

FULL_PAGE = 999  # Graph's largest page of users
SIGN_IN_PAGE = 500  # Graph caps pages that select signInActivity at 500
_ERROR_MAP: dict[str, Any] = {"XXX": ODataError}


def new_http_client(base_url: str, timeout: float = 60.0) -> httpx.AsyncClient:
    """The one HTTP client every tenant shares, with Graph's default middleware."""
    client = httpx.AsyncClient(
        base_url=base_url, timeout=timeout, limits=httpx.Limits(max_connections=50, max_keepalive_connections=20)
    )
    return GraphClientFactory.create_with_default_middleware(client=client)  # type: ignore[no-any-return]


class GraphUserDirectory:
    """Reads Microsoft Graph for every tenant the partner app may reach, over one HTTP client."""

    def __init__(self, credential: AsyncTokenCredential, base_url: str, http_client: httpx.AsyncClient) -> None:
        self._credential = credential
        self._base_url = base_url.rstrip("/")
        self._http = http_client
        self._tenants: dict[str, GraphTenantDirectory] = {}

    def tenant(self, tenant_id: str) -> GraphTenantDirectory:
        graph = self._tenants.get(tenant_id)
        if graph is None:
            provider = BaseBearerTokenAuthenticationProvider(
                TenantTokenProvider(self._credential, tenant_id, self._base_url)
            )
            adapter = GraphRequestAdapter(provider, client=self._http)
            adapter.base_url = self._base_url
            sdk = GraphServiceClient(request_adapter=adapter)
            graph = self._tenants[tenant_id] = GraphTenantDirectory(tenant_id, sdk)
        return graph

    def subscriptions(self, tenant_id: str) -> GraphSubscriptions:
        """The tenant's change-notification subscriptions (shared.graph.subscriptions), same client and token."""
        graph = self.tenant(tenant_id)
        return GraphSubscriptions(tenant_id, graph._sdk, graph._send)

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._credential.close()


class GraphTenantDirectory:
    """Graph as one tenant's token sees it. Every method returns our models, never the SDK's."""

    def __init__(
        self,
        tenant_id: str,
        sdk: GraphServiceClient,
        report_limiter: RequestLimiter | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.tenant_id = tenant_id
        self._sdk = sdk
        self.report_limiter = report_limiter or RequestLimiter()  # the MFA report's per-tenant quota
        self._sleep = sleep  # between tries of a batch's throttled requests

    async def delegated_admin_relationships(self) -> list[DelegatedAdminRelationship]:
        """The partner's active GDAP relationships (call on the partner tenant)."""
        builder = self._sdk.tenant_relationships.delegated_admin_relationships
        params = builder.DelegatedAdminRelationshipsRequestBuilderGetQueryParameters(filter="status eq 'active'")
        info = builder.to_get_request_information(RequestConfiguration(query_parameters=params))
        return await self._collect(info, DelegatedAdminRelationship)

    async def delegated_admin_customers(self) -> list[DelegatedAdminCustomer]:
        builder = self._sdk.tenant_relationships.delegated_admin_customers
        return await self._collect(builder.to_get_request_information(), DelegatedAdminCustomer)

    async def organization(self) -> Organization:
        orgs = await self._collect(self._sdk.organization.to_get_request_information(), Organization)
        if not orgs:
            raise GraphError(f"tenant {self.tenant_id} returned no organization", code="empty")
        return orgs[0]

    async def users(self, *, sign_in_activity: bool = False, select: Sequence[str] = USER_SELECT) -> list[EntraUser]:
        """Every user of the tenant (a full pass). signInActivity needs Entra ID P1 and smaller pages."""
        return await self._collect(self._users_request(sign_in_activity, select), EntraUser)

    async def user(self, user_id: str, *, select: Sequence[str] = USER_SELECT) -> EntraUser:
        """One user (an operator resolving an ambiguity acts on the user as Graph has it now)."""
        builder = self._sdk.users.by_user_id(user_id)
        params = builder.UserItemRequestBuilderGetQueryParameters(select=list(select))
        info = builder.to_get_request_information(RequestConfiguration(query_parameters=params))
        raw = await self._send(info)
        try:
            return EntraUser.model_validate_json(raw or b"{}")
        except ValidationError as exc:
            raise GraphError(f"unexpected user payload in tenant {self.tenant_id}: {exc}", code="payload") from exc

    async def users_delta(self, delta_link: str | None, *, select: Sequence[str] = USER_SELECT) -> DeltaResult:
        """Changes since `delta_link` (or every user, with a new link, when None).

        Raises DeltaExpired when Graph no longer knows the link (410 / syncStateNotFound).
        """
        if delta_link:
            info = self._sdk.users.delta.with_url(delta_link).to_get_request_information()
        else:
            params = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(select=list(select))
            info = self._sdk.users.delta.to_get_request_information(RequestConfiguration(query_parameters=params))
        users: list[EntraUser] = []
        while True:
            page = await self._page(info, EntraUser)
            users.extend(page.value)
            if page.next_link:
                info = self._sdk.users.delta.with_url(page.next_link).to_get_request_information()
                continue
            if not page.delta_link:
                raise GraphError(f"delta for tenant {self.tenant_id} ended without a deltaLink", code="delta")
            return DeltaResult(users, page.delta_link)

    async def subscribed_skus(self) -> list[SubscribedSku]:
        return await self._collect(self._sdk.subscribed_skus.to_get_request_information(), SubscribedSku)

    async def registration_details(self) -> list[RegistrationDetail]:
        """MFA registration per user (Entra ID P1; 403 without it)."""
        return await self._collect(self._registration_request(), RegistrationDetail, self.report_limiter)

    async def latest_secure_score(self) -> SecureScore | None:
        page = await self._page(self._secure_score_request(), SecureScore)
        return page.value[0] if page.value else None

    async def fixed_reads(self, *, delta_start: str | None = None, p1: bool = True) -> FixedReads:
        """A full pass's reads in one `$batch` (`shared.service.ports.FixedReads`): the first page of users (with
        sign-in activity when `p1`), the subscribed SKUs, the latest Secure Score, the MFA report's first
        page (when `p1`: a tenant without Entra ID P1 answers it 403) and, given `delta_start` (a
        `$deltatoken=latest` link), the delta start, which every other request depends on: Graph runs it
        first, so a change made while the users are read is in the next delta pass. Pages after the first
        are read one by one. Raises for the batch itself (token, network, the batch refused); a read's
        own failure is its field's value."""
        root = ("delta",) if delta_start else ()
        delta = self._sdk.users.delta.with_url(delta_start).to_get_request_information() if delta_start else None
        steps = [BatchStep("delta", delta)] if delta else []
        steps += [
            BatchStep("users", self._users_request(p1, USER_SELECT), root),
            BatchStep("skus", self._sdk.subscribed_skus.to_get_request_information(), root),
            BatchStep("score", self._secure_score_request(), root),
        ]
        if p1:
            steps.append(BatchStep("mfa", self._registration_request(), root))
        async with self.report_limiter.slot() if p1 else nullcontext():  # the report's quota counts inner requests
            answers = await send_batch(
                self._sdk.request_adapter, self._send, steps, where=f"tenant {self.tenant_id}", sleep=self._sleep
            )
        score = self._first_page(answers["score"], SecureScore)
        return FixedReads(
            users=await self._all_pages(answers["users"], EntraUser),
            skus=await self._all_pages(answers["skus"], SubscribedSku),
            secure_score=score if isinstance(score, GraphError) else (score.value[0] if score.value else None),
            registration_details=(
                await self._all_pages(answers["mfa"], RegistrationDetail, self.report_limiter) if p1 else None
            ),
            delta_link=self._delta_link(answers["delta"]) if delta_start else None,
            sign_in_activity=p1,
        )

    async def group_member_ids(self, group_id: str) -> set[str]:
        """Ids of the users in a group, nested groups included. GraphRequestRefused naming the group
        when Graph does not know it (deleted, or not a group id)."""
        builder = self._sdk.groups.by_group_id(group_id).transitive_members.graph_user
        params = builder.GraphUserRequestBuilderGetQueryParameters(select=["id"], top=FULL_PAGE)
        info = builder.to_get_request_information(RequestConfiguration(query_parameters=params))
        try:
            return {user.id for user in await self._collect(info, EntraUser)}
        except GraphRequestRefused as exc:
            raise GraphRequestRefused(
                f"group {group_id} in the filters cannot be read in tenant {self.tenant_id} (deleted, or not a "
                f"group id): Graph answered {exc.status} {exc.code}; fix the group filter",
                status=exc.status,
                code=exc.code,
            ) from exc

    async def group_exists(self, group_id: str) -> bool:
        """Whether the tenant has this group (a filter is checked when it is saved)."""
        builder = self._sdk.groups.by_group_id(group_id)
        params = builder.GroupItemRequestBuilderGetQueryParameters(select=["id"])
        info = builder.to_get_request_information(RequestConfiguration(query_parameters=params))
        try:
            await self._send(info)
        except GraphRequestRefused as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def _users_request(self, sign_in_activity: bool, select: Sequence[str]) -> RequestInformation:
        fields = [*select, "signInActivity"] if sign_in_activity else list(select)
        params = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            select=fields, top=SIGN_IN_PAGE if sign_in_activity else FULL_PAGE
        )
        return self._sdk.users.to_get_request_information(RequestConfiguration(query_parameters=params))

    def _registration_request(self) -> RequestInformation:
        return self._sdk.reports.authentication_methods.user_registration_details.to_get_request_information()

    def _secure_score_request(self) -> RequestInformation:
        builder = self._sdk.security.secure_scores
        params = builder.SecureScoresRequestBuilderGetQueryParameters(top=1)
        return builder.to_get_request_information(RequestConfiguration(query_parameters=params))

    def _first_page(self, answer: BatchAnswer, model: type[M]) -> Page[M] | GraphError:
        if not answer.ok:
            return answer.error(f"{_BATCHED[answer.id]} in tenant {self.tenant_id}")
        try:
            return Page[model].model_validate(answer.content() or {})  # type: ignore[valid-type]
        except ValidationError as exc:
            return GraphError(f"unexpected Graph payload for tenant {self.tenant_id}: {exc}", code="payload")

    async def _all_pages(
        self, answer: BatchAnswer, model: type[M], limiter: RequestLimiter | None = None
    ) -> list[M] | GraphError:
        """The batch's first page and the pages after it, or the error that stopped them."""
        page = self._first_page(answer, model)
        if isinstance(page, GraphError):
            return page
        if not page.next_link:
            return list(page.value)
        try:
            return [*page.value, *await self._collect(_follow(page.next_link), model, limiter)]
        except GraphError as exc:
            return exc

    def _delta_link(self, answer: BatchAnswer) -> str | GraphError:
        page = self._first_page(answer, EntraUser)
        if isinstance(page, GraphError) or page.delta_link:
            return page if isinstance(page, GraphError) else str(page.delta_link)
        return GraphError(f"the delta start for tenant {self.tenant_id} had no deltaLink", code="delta")

    async def _collect(
        self, info: RequestInformation, model: type[M], limiter: RequestLimiter | None = None
    ) -> list[M]:
        items: list[M] = []
        while True:
            async with limiter.slot() if limiter else nullcontext():
                page = await self._page(info, model)
            items.extend(page.value)
            if not page.next_link:
                return items
            info = _follow(page.next_link)

    async def _send(self, info: RequestInformation) -> bytes | None:
        adapter = self._sdk.request_adapter
        try:
            raw: bytes | None = await adapter.send_primitive_async(info, "bytes", _ERROR_MAP)
        except ODataError as exc:
            raise _translate(exc, self.tenant_id, info) from exc
        except httpx.HTTPError as exc:
            raise GraphError(f"Graph unreachable for tenant {self.tenant_id}: {exc!r}", code="network") from exc
        return raw

    async def _page(self, info: RequestInformation, model: type[M]) -> Page[M]:
        raw = await self._send(info)
        if raw is None:
            return Page[model]()  # type: ignore[valid-type]
        try:
            return Page[model].model_validate_json(raw)  # type: ignore[valid-type]
        except ValidationError as exc:
            raise GraphError(f"unexpected Graph payload for tenant {self.tenant_id}: {exc}", code="payload") from exc


# What each request of `fixed_reads` is, for its errors.
_BATCHED = {
    "delta": "/users/delta",
    "users": "/users",
    "skus": "/subscribedSkus",
    "score": "/security/secureScores",
    "mfa": "/reports/authenticationMethods/userRegistrationDetails",
}


def _follow(link: str) -> RequestInformation:
    # nextLink / deltaLink are absolute URLs Graph made: send them as they are.
    info = RequestInformation(Method.GET)
    info.url = link
    return info


def _translate(exc: ODataError, tenant_id: str, info: RequestInformation) -> GraphError:
    code = exc.error.code if exc.error else None
    message = exc.error.message if exc.error and exc.error.message else str(exc)
    return graph_error_for(exc.response_status_code, code, message, f"{_path(info)} in tenant {tenant_id}")


def _path(info: RequestInformation) -> str:
    try:
        return httpx.URL(info.url).path
    except Exception:  # the URL template may not resolve; the message is only for people
        return "?"
