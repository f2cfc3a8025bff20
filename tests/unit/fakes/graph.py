"""An in-memory Microsoft Graph: `FakeGraph` (a `UserDirectory`) of `FakeTenant`s (`TenantDirectory`),
each fed from a list of `EntraUser` with its licences, MFA report, Secure Score, groups and delta
changes, and with switchable faults: not consented (`TenantNotConsented`), no Entra ID P1 (403 for the
MFA report and sign-in activity: `GraphForbidden`), an expired delta link (410: `DeltaExpired`), and
any error on the next calls of a method (`fail`). `calls` counts the calls of each method."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from shared.errors import DeltaExpired, GraphError, GraphForbidden, TenantNotConsented
from shared.models import EntraUser
from shared.models.graph_reads import (
    DelegatedAdminCustomer,
    DelegatedAdminRelationship,
    DeltaResult,
    Organization,
    RegistrationDetail,
    SecureScore,
    SubscribedSku,
)
from shared.service.ports import FixedReads, TenantDirectory, UserDirectory
from tests.unit.fakes.subscriptions import FakeSubscriptions

__all__ = ["FakeGraph", "FakeTenant"]

_LINK = "https://graph.fake/delta/"
T = TypeVar("T")


class FakeTenant:
    """One customer tenant. Change its users with `change` (or `remove`), which a delta link taken
    before sees on its next read; `by_id` is the tenant's users as Graph has them now."""

    def __init__(
        self,
        tenant_id: str,
        users: Iterable[EntraUser] = (),
        *,
        skus: Iterable[SubscribedSku] = (),
        mfa: Iterable[RegistrationDetail] = (),
        secure_score: SecureScore | None = None,
        groups: dict[str, set[str]] | None = None,
        organization: Organization | None = None,
        relationships: Iterable[DelegatedAdminRelationship] = (),
        customers: Iterable[DelegatedAdminCustomer] = (),
    ) -> None:
        self.tenant_id = tenant_id
        self.by_id: dict[str, EntraUser] = {u.id: u for u in users}
        self.skus = list(skus)
        self.mfa = list(mfa)
        self.secure_score = secure_score
        self.groups = groups or {}
        self.org = organization or Organization(id=tenant_id, display_name=tenant_id)
        self.relationships = list(relationships)
        self.customers = list(customers)
        # faults
        self.consented = True
        self.p1 = True
        self.secure_score_readable = True
        self.delta_expired = False
        self._failures: dict[str, list[GraphError]] = {}
        self.faults_fired: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._log: list[EntraUser] = []  # every change, in order; a delta link is a position in it

    # test controls
    def change(self, user: EntraUser) -> None:
        """The user as Graph has it now; a delta read sees `user` as its delta object (as given: it
        may carry only some properties, or `@removed`)."""
        if user.removed is not None:
            self.by_id.pop(user.id, None)
        else:
            base = self.by_id.get(user.id)
            present = {name: getattr(user, name) for name in user.model_fields_set}
            self.by_id[user.id] = base.model_copy(update=present) if base is not None else user
        self._log.append(user)

    def fail(self, method: str, error: GraphError, times: int = 1) -> None:
        """The next `times` calls of `method` raise `error`."""
        self._failures.setdefault(method, []).extend([error] * times)

    def _call(self, method: str) -> None:
        self.calls[method] += 1
        if not self.consented:
            self.faults_fired["not-consented"] += 1
            raise TenantNotConsented(f"AADSTS700016: the app is not consented in tenant {self.tenant_id}", status=401)
        pending = self._failures.get(method)
        if pending:
            self.faults_fired[method] += 1
            raise pending.pop(0)

    def _forbidden(self, what: str) -> GraphForbidden:
        self.faults_fired[f"403 {what}"] += 1
        return GraphForbidden(f"{what} needs Entra ID P1 in tenant {self.tenant_id}", status=403)

    # TenantDirectory
    async def delegated_admin_relationships(self) -> list[DelegatedAdminRelationship]:
        self._call("delegated_admin_relationships")
        return list(self.relationships)

    async def delegated_admin_customers(self) -> list[DelegatedAdminCustomer]:
        self._call("delegated_admin_customers")
        return list(self.customers)

    async def organization(self) -> Organization:
        self._call("organization")
        return self.org

    async def users(self, *, sign_in_activity: bool = False) -> list[EntraUser]:
        self._call("users")
        if sign_in_activity and not self.p1:
            raise self._forbidden("signInActivity")
        users = [self.by_id[k] for k in sorted(self.by_id)]
        return users if sign_in_activity else [u.model_copy(update={"sign_in_activity": None}) for u in users]

    async def user(self, user_id: str) -> EntraUser:
        self._call("user")
        user = self.by_id.get(user_id)
        if user is None:
            raise GraphError(f"user {user_id} not found in tenant {self.tenant_id}", status=404)
        return user.model_copy(update={"sign_in_activity": None})

    async def users_delta(self, delta_link: str | None) -> DeltaResult:
        self._call("users_delta")
        here = f"{_LINK}{self.tenant_id}/{len(self._log)}"
        if delta_link is None:
            return DeltaResult(users=[self.by_id[k] for k in sorted(self.by_id)], delta_link=here)
        if "$deltatoken=latest" in delta_link:
            return DeltaResult(users=[], delta_link=here)
        if self.delta_expired or not delta_link.startswith(f"{_LINK}{self.tenant_id}/"):
            self.faults_fired["410"] += 1
            raise DeltaExpired("the delta link expired (syncStateNotFound)", status=410, code="syncStateNotFound")
        since = int(delta_link.rsplit("/", 1)[1])
        return DeltaResult(users=list(self._log[since:]), delta_link=here)

    async def subscribed_skus(self) -> list[SubscribedSku]:
        self._call("subscribed_skus")
        return list(self.skus)

    async def registration_details(self) -> list[RegistrationDetail]:
        self._call("registration_details")
        if not self.p1:
            raise self._forbidden("the MFA report")
        return list(self.mfa)

    async def latest_secure_score(self) -> SecureScore | None:
        self._call("latest_secure_score")
        if not self.secure_score_readable:
            self.faults_fired["403 secureScores"] += 1
            raise GraphForbidden("SecurityEvents.Read.All is missing", status=403)
        return self.secure_score

    async def fixed_reads(self, *, delta_start: str | None = None, p1: bool = True) -> FixedReads:
        """The reads one by one, each one's error kept as its outcome (as in Graph's one `$batch`), the
        delta start first; when it fails, the others are answered 424 as in Graph. Raises (the batch
        itself failing) without consent or for `fail("fixed_reads", ...)`."""
        self._call("fixed_reads")
        delta = await _kept(lambda: self.users_delta(delta_start)) if delta_start else None
        if isinstance(delta, GraphError):
            failed = GraphError("424 FailedDependency: the delta start failed", status=424, code="FailedDependency")
            return FixedReads(failed, failed, failed, failed if p1 else None, delta, p1)
        return FixedReads(
            users=await _kept(lambda: self.users(sign_in_activity=p1)),
            skus=await _kept(self.subscribed_skus),
            secure_score=await _kept(self.latest_secure_score),
            registration_details=await _kept(self.registration_details) if p1 else None,
            delta_link=delta.delta_link if delta is not None else None,
            sign_in_activity=p1,
        )

    async def group_member_ids(self, group_id: str) -> set[str]:
        self._call("group_member_ids")
        return set(self.groups.get(group_id, set()))

    async def group_exists(self, group_id: str) -> bool:
        self._call("group_exists")
        return group_id in self.groups


async def _kept(read: Callable[[], Awaitable[T]]) -> T | GraphError:
    try:
        return await read()
    except TenantNotConsented:
        raise  # no token: the batch itself fails
    except GraphError as exc:
        return exc


class FakeGraph:
    """Every tenant the partner app reaches; an unknown tenant is one without consent."""

    def __init__(self, tenants: Iterable[FakeTenant] = ()) -> None:
        self.tenants: dict[str, FakeTenant] = {t.tenant_id: t for t in tenants}
        self.closed = False
        self.subscribed: dict[str, FakeSubscriptions] = {}  # change-notification subscriptions per tenant

    def add(self, tenant: FakeTenant) -> FakeTenant:
        self.tenants[tenant.tenant_id] = tenant
        return tenant

    def tenant(self, tenant_id: str) -> FakeTenant:
        if tenant_id not in self.tenants:
            unknown = FakeTenant(tenant_id)
            unknown.consented = False
            return unknown
        return self.tenants[tenant_id]

    def subscriptions(self, tenant_id: str) -> FakeSubscriptions:
        return self.subscribed.setdefault(tenant_id, FakeSubscriptions(tenant_id))

    async def aclose(self) -> None:
        self.closed = True


# A port change breaks these at type-check time (`mypy tests/unit/fakes`).
_tenant: TenantDirectory = FakeTenant("t")
_graph: UserDirectory = FakeGraph()
