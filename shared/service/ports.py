"""The ports: what the use cases need of storage, the queue and Microsoft Graph, each a small Protocol
named for its role. Adapters are named for the technology (`TableLinkStore`, `GraphUserDirectory`, …)
and built in one place, `shared.bootstrap.build_app`; the unit tests' in-memory fakes satisfy the same
Protocols. The PSA's port is `shared.psa.port.PsaConnector`.

What the ports take and return lives in `shared.models`, or here where it holds the app's errors
(`FixedReads`), never in an adapter: the adapters import it from there (import-linter's "service"
and "adapters" contracts, pyproject.toml)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from shared.errors import GraphError
from shared.models import (
    Ambiguity,
    AmbiguityStatus,
    BudgetMark,
    ContactLink,
    DeltaCursor,
    EntraUser,
    Mapping,
    RunRecord,
    SyncSettings,
    Tenant,
    TenantOverrides,
    TenantResult,
    UserOutcome,
)
from shared.models.graph_reads import (
    DelegatedAdminCustomer,
    DelegatedAdminRelationship,
    DeltaResult,
    Organization,
    RegistrationDetail,
    SecureScore,
    SubscribedSku,
)
from shared.models.licenses import SkuUsage
from shared.models.queue import NotifyMessage, TenantMessage
from shared.models.runs import AttemptUser, RunTotals
from shared.models.secure_score import ScorePoint
from shared.models.subscriptions import ChangeMark, GraphSubscription, SubscriptionRequest, TenantSubscription
from shared.sync.snapshot import UserSnapshot

__all__ = [
    "AmbiguityStore",
    "CallbackKeys",
    "ChangeMarks",
    "CursorStore",
    "FixedReads",
    "LeaseStore",
    "LicenseUsageStore",
    "LinkStore",
    "MappingStore",
    "NotifyQueue",
    "RequestBudget",
    "RunStore",
    "ScopeLocks",
    "SecureScoreStore",
    "SubscriptionStore",
    "SyncSettingsStore",
    "TenantDirectory",
    "TenantStore",
    "TenantSubscriptions",
    "UserDirectory",
    "WebhookReceipts",
    "WorkQueue",
    "value",
]

T = TypeVar("T")


class TenantStore(Protocol):
    async def get(self, tenant_id: str) -> Tenant | None: ...
    async def list(self) -> list[Tenant]: ...
    async def save_many(self, tenants: Iterable[Tenant]) -> None: ...


class MappingStore(Protocol):
    async def get(self, tenant_id: str) -> Mapping | None: ...
    async def list(self) -> list[Mapping]: ...
    async def save(self, mapping: Mapping) -> None: ...
    async def save_many(self, mappings: Iterable[Mapping]) -> None: ...

    async def claim_client(self, client_id: str, tenant_id: str) -> str | None:
        """Claim `client_id` for `tenant_id` atomically (R1.7); the holding tenant when another has it."""
        ...

    async def release_client(self, client_id: str, tenant_id: str) -> None: ...


class LinkStore(Protocol):
    async def for_tenant(self, tenant_id: str) -> list[ContactLink]: ...
    async def get(self, tenant_id: str, user_id: str) -> ContactLink | None: ...

    async def save_many(self, links: Iterable[ContactLink]) -> int:
        """Upsert links (one tenant's); returns the storage transactions made."""
        ...

    async def save(self, link: ContactLink) -> None: ...


class AmbiguityStore(Protocol):
    async def for_tenant(self, tenant_id: str) -> list[Ambiguity]: ...
    async def get(self, tenant_id: str, user_id: str) -> Ambiguity | None: ...
    async def list(self, status: AmbiguityStatus | None = None) -> list[Ambiguity]: ...
    async def save_many(self, items: Iterable[Ambiguity]) -> int: ...


class SyncSettingsStore(Protocol):
    async def global_settings(self) -> SyncSettings: ...
    async def save_global(self, settings: SyncSettings) -> None: ...
    async def overrides(self, tenant_id: str) -> TenantOverrides: ...
    async def save_overrides(self, tenant_id: str, overrides: TenantOverrides) -> None: ...

    async def update_global(self, change: Callable[[SyncSettings], SyncSettings]) -> SyncSettings:
        """Read, change and write the global settings as one step (concurrent edits are all kept)."""
        ...

    async def update_overrides(
        self, tenant_id: str, change: Callable[[TenantOverrides], TenantOverrides]
    ) -> TenantOverrides: ...

    async def all_overrides(self) -> dict[str, TenantOverrides]:
        """Every tenant's overrides in one query (a tenant without any is absent)."""
        ...

    async def effective(self, tenant_id: str, *, run: RunRecord | None = None) -> SyncSettings:
        """The global settings with the tenant's overrides merged over them. `run`: the pass's run; a
        store may serve a large run's tenants from one read of every tenant's overrides."""
        ...


class RunStore(Protocol):
    """Runs, their tenant rows and totals, each user's outcome, and the tries' intents (issue 13).

    A run's record is written when it starts and when it completes; in between, `get`, `page` and
    `active` show it with its totals (`RunTotals`), which change only with `count_tenant`."""

    async def create(self, run: RunRecord, tenants: list[TenantResult]) -> None: ...

    async def get(self, run_id: str, *, live: bool = True) -> RunRecord | None:
        """The run, with its totals while it is going; `live` False: its type and options, which never
        change, as stored (maybe as this process read them before: its status and counters may be old)."""
        ...

    async def require(self, run_id: str) -> RunRecord: ...
    async def page(self, limit: int, after: str | None = None) -> list[RunRecord]: ...

    async def active(self) -> list[RunRecord]:
        """The runs still queued or running, with their totals."""
        ...

    async def tenant_results(self, run_id: str) -> list[TenantResult]: ...
    async def tenant_result(self, run_id: str, tenant_id: str) -> TenantResult | None: ...

    async def update_tenant(
        self, run_id: str, tenant_id: str, change: Callable[[TenantResult], TenantResult | None]
    ) -> TenantResult | None:
        """Read-modify-write a tenant's row under its ETag; `change` returning None leaves it. None when
        the run has no such tenant."""
        ...

    async def count_tenant(
        self, run_id: str, result: TenantResult, *, user_rows: int | None = None
    ) -> tuple[RunTotals, bool]:
        """In one storage transaction, write the tenant's final row and add it to the run's totals,
        unless its row is final already (counted before: nothing is written). Returns totals and whether
        this call counted it; the totals are done for the one count that completes the run (an adapter
        keeping them in shares returns a share's otherwise). The row keeps the larger `attempts` of the
        stored row and `result`; `user_rows` what `save_user_outcomes` returned for this try (0: it
        saved none; None: all the tenant's rows count)."""
        ...

    async def totals(self, run_id: str) -> RunTotals | None: ...

    async def save_user_outcomes(self, run_id: str, tenant_id: str, users: list[UserOutcome]) -> int:
        """Write the tenant's user outcomes in the run; returns the rows written, for `count_tenant`
        (rows a longer earlier try left are not read again: the final row says how many count)."""
        ...

    async def user_outcomes(self, run_id: str, tenant_id: str | None = None) -> dict[str, list[UserOutcome]]:
        """The user outcomes of the run's final tenants, as their final rows name them."""
        ...

    async def save_attempt(self, run_id: str, tenant_id: str, users: list[AttemptUser], *, first: bool = False) -> None:
        """Replace what the tenant's tries in the run did and are about to do (`shared.sync.attempts`).
        `first`: this is the run's first try of the tenant to write, so no earlier intent is stored."""
        ...

    async def attempt(self, run_id: str, tenant_id: str) -> list[AttemptUser]: ...

    async def update(self, run_id: str, change: Callable[[RunRecord], RunRecord | None]) -> RunRecord:
        """Read-modify-write the run record as stored (without its live totals) under its ETag;
        `change` returning None leaves it as it is."""
        ...


class ScopeLocks(Protocol):
    """One live run per scope (R7.5): the run that holds a scope, taken with optimistic concurrency."""

    async def holder(self, scope: str) -> tuple[str, str] | None:
        """(run id, etag) of the run holding `scope`, or None."""
        ...

    async def take(self, scope: str, run_id: str, etag: str | None) -> bool: ...


class LeaseStore(Protocol):
    """One worker per tenant at a time (R7.5): an expiring lease, taken and released by its owner."""

    async def acquire(
        self, tenant_id: str, owner: str, now: datetime, ttl: timedelta, *, take_over: str | None = None
    ) -> bool:
        """Take the lease if it is free, lapsed or `owner`'s; or held by `take_over`, an owner the
        caller knows is gone (its lease outlived it)."""
        ...

    async def holder(self, tenant_id: str) -> str | None:
        """The lease's owner, lapsed or not; None when there is no lease."""
        ...

    async def release(self, tenant_id: str, owner: str) -> None: ...


class CursorStore(Protocol):
    """Per tenant: where its last pass left off (the safety brake's hold included, R5.5), and the
    snapshot of its users for delta passes."""

    async def get(self, tenant_id: str) -> DeltaCursor | None: ...

    async def snapshot_hashes(self, tenant_id: str) -> dict[int, str]:
        """What each stored snapshot bucket holds (its hash), without reading the buckets."""
        ...

    async def load_snapshot(self, tenant_id: str, buckets: int) -> UserSnapshot: ...

    async def save(self, tenant_id: str, cursor: DeltaCursor, snapshot: UserSnapshot | None = None) -> int:
        """Write the snapshot's changed buckets, then the cursor last; returns the transactions made."""
        ...


class WorkQueue(Protocol):
    async def send(self, messages: Iterable[TenantMessage], *, delay_seconds: int = 0) -> int: ...


class WebhookReceipts(Protocol):
    """Signed webhook requests already accepted: each is accepted once, a replay is not (issue 13)."""

    async def first_time(self, key: str, at: datetime) -> bool:
        """Record the request `key` signed at `at`; False when it was recorded before."""
        ...

    async def forget(self, key: str, at: datetime) -> None:
        """Drop the record of a request that then failed, so its sender may retry it."""
        ...


class CallbackKeys(Protocol):
    """ConnectWise PSA's callback signing keys, by the key URL a callback names (issue 14)."""

    async def key(self, url: str, *, refresh: bool = False) -> str:
        """The key served at `url`; `refresh`: the cached one did not verify (it may have rotated)."""
        ...


class RequestBudget(Protocol):
    """A PSA request budget shared by every instance: one schedule row per vendor account, changed
    only under the version it was read at (`shared.psa.http.shared_pacing` claims blocks from it)."""

    async def read(self, account: str) -> BudgetMark:
        """The account's row as it is now (a blank mark when there is none yet)."""
        ...

    async def swap(self, account: str, seen: BudgetMark, tat: float) -> BudgetMark | None:
        """Write `tat` if the row is still as `seen`; None when another instance wrote first."""
        ...


class SecureScoreStore(Protocol):
    async def record(self, client_id: str, point: ScorePoint) -> None: ...
    async def history(self, client_id: str) -> list[ScorePoint]: ...


class LicenseUsageStore(Protocol):
    async def replace(self, tenant_id: str, rows: Sequence[SkuUsage]) -> None: ...
    async def list(self, tenant_id: str | None = None) -> list[SkuUsage]: ...


@dataclass(frozen=True)
class FixedReads:
    """What every full pass reads of a tenant, in one `$batch` (`TenantDirectory.fixed_reads`): the
    users (the first page in the batch, the rest followed), the subscribed SKUs, the latest Secure
    Score, the MFA report (on a tenant that may have Entra ID P1) and the delta start. Each read keeps
    its own outcome, its value or the `GraphError` its own answer maps to, so the caller decides what
    degrades (`shared.service.tenant_reads`); `value` raises the error of a read that must not fail."""

    users: list[EntraUser] | GraphError  # every user, with sign-in activity when `sign_in_activity`
    skus: list[SubscribedSku] | GraphError
    secure_score: SecureScore | GraphError | None
    registration_details: list[RegistrationDetail] | GraphError | None = None  # None: not asked
    delta_link: str | GraphError | None = None  # None: not asked
    sign_in_activity: bool = False


def value(read: T | GraphError) -> T:
    """The read's value, or its error raised."""
    if isinstance(read, GraphError):
        raise read
    return read


class TenantDirectory(Protocol):
    """One customer tenant's directory as Microsoft Graph shows it (read-only)."""

    async def delegated_admin_relationships(self) -> list[DelegatedAdminRelationship]: ...
    async def delegated_admin_customers(self) -> list[DelegatedAdminCustomer]: ...
    async def organization(self) -> Organization: ...
    async def users(self, *, sign_in_activity: bool = False) -> list[EntraUser]: ...

    async def user(self, user_id: str) -> EntraUser:
        """One user as Graph has it now."""
        ...

    async def users_delta(self, delta_link: str | None) -> DeltaResult:
        """Changes since `delta_link` (None: every user and a new link). DeltaExpired on 410."""
        ...

    async def subscribed_skus(self) -> list[SubscribedSku]: ...
    async def registration_details(self) -> list[RegistrationDetail]: ...
    async def latest_secure_score(self) -> SecureScore | None: ...

    async def fixed_reads(self, *, delta_start: str | None = None, p1: bool = True) -> FixedReads:
        """A full pass's users, SKUs, Secure Score, MFA report (when `p1`) and delta start (given a
        `$deltatoken=latest` link, read first) in one round trip; each read keeps its own error."""
        ...

    async def group_member_ids(self, group_id: str) -> set[str]: ...

    async def group_exists(self, group_id: str) -> bool:
        """Whether the tenant has this group (a group filter is checked when it is saved)."""
        ...


class TenantSubscriptions(Protocol):
    """One customer tenant's Graph change-notification subscriptions (issue 15)."""

    async def create(self, request: SubscriptionRequest) -> GraphSubscription:
        """Graph first checks the notification URL answers (`?validationToken=`); refused: GraphPermanent."""
        ...

    async def renew(self, subscription_id: str, expires_at: datetime) -> GraphSubscription: ...
    async def delete(self, subscription_id: str) -> None: ...


class UserDirectory(Protocol):
    """Every customer tenant's directory, reached through one credential and one HTTP client."""

    def tenant(self, tenant_id: str) -> TenantDirectory: ...
    def subscriptions(self, tenant_id: str) -> TenantSubscriptions: ...
    async def aclose(self) -> None: ...


class SubscriptionStore(Protocol):
    """Each confirmed tenant's subscription, or why Graph refused one; its clientState kept secret."""

    async def get(self, tenant_id: str) -> TenantSubscription | None: ...
    async def list(self) -> list[TenantSubscription]: ...
    async def save(self, subscription: TenantSubscription) -> None: ...
    async def delete(self, tenant_id: str) -> None: ...


class ChangeMarks(Protocol):
    """Per tenant, "changes not yet in a pass" (`shared.service.coalesce`); changed under an ETag."""

    async def get(self, tenant_id: str) -> ChangeMark | None: ...

    async def create(self, tenant_id: str, at: datetime) -> bool:
        """False when the tenant is marked already."""
        ...

    async def rearm(self, mark: ChangeMark, at: datetime) -> bool: ...
    async def clear(self, mark: ChangeMark) -> bool: ...


class NotifyQueue(Protocol):
    async def send(self, message: NotifyMessage, *, delay_seconds: int = 0) -> None: ...
