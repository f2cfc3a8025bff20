"""The simulator's mutable directory: per tenant, its users, deleted users, groups and change log.

A Graph change from a scenario step (`update`, `disable`, `enable`, `delete`, `restore`, `add`)
goes through `DirectoryState.apply`. Every change that alters a user appends a `Change` with a
per-tenant sequence number; delta tokens are positions in that log, so a delta link returns what
changed after its position. `delete` is Entra's soft delete: the user leaves `users` for `deleted`
and shows in delta as `@removed` with reason `changed` (restorable); `restore` brings it back.

User dicts are never mutated in place: a change stores a new dict, so readers may take references
under the lock and serialise them after releasing it. Everything that reads or writes takes the
state's lock, so the HTTP threads and `apply` can run at once.
"""

from __future__ import annotations

import bisect
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, get_args

from shared.devtools.simulator.scenario import (
    AddOp,
    GraphOp,
    Group,
    RegistrationDetail,
    RelationshipStatus,
    Scenario,
    SecureScoreEntry,
    SubscribedSku,
    Tenant,
    UpdateOp,
    VerifiedDomain,
)
from shared.errors import NotFound, ValidationFailed

__all__ = ["Change", "DeltaItem", "DirectoryState", "TenantDirectory"]

T = TypeVar("T")
ChangeKind = Literal["added", "updated", "deleted", "restored"]


@dataclass(frozen=True)
class Change:
    seq: int
    user_id: str
    kind: ChangeKind
    properties: frozenset[str]  # the properties whose value changed (all of them for added/restored)


@dataclass(frozen=True)
class DeltaItem:
    """One user's net change over a delta window."""

    user_id: str
    user: dict[str, Any] | None  # the current object, or None when it is deleted
    changed: frozenset[str]  # properties changed in the window; every property when (re)created
    recreated: bool  # added or restored in the window: count every property as changed


@dataclass
class TenantDirectory:
    tenant_id: str
    display_name: str
    relationship: str
    consented: bool
    premium: bool
    verified_domains: list[dict[str, Any]]
    users: dict[str, dict[str, Any]]
    groups: dict[str, dict[str, Any]]  # id -> {"id", "displayName", "members": [...] , ...}
    subscribed_skus: list[dict[str, Any]]
    registration_details: dict[str, dict[str, Any]]
    secure_scores: list[dict[str, Any]]
    deleted: dict[str, dict[str, Any]] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    seq: int = 0
    delta_epoch: int = 0  # bumped by expire_delta_tokens: older tokens answer 410

    @classmethod
    def from_scenario(cls, tenant: Tenant) -> TenantDirectory:
        return cls(
            tenant_id=tenant.tenant_id,
            display_name=tenant.display_name,
            relationship=tenant.relationship,
            consented=tenant.consented,
            premium=tenant.premium,
            verified_domains=[_dump(domain) for domain in tenant.verified_domains],
            # shallow copies: nested values are never mutated (a change stores a new dict)
            users={user["id"]: dict(user) for user in tenant.users},
            groups={group.id: _dump(group) for group in tenant.groups},
            subscribed_skus=[_dump(sku) for sku in tenant.subscribed_skus],
            registration_details={detail.id: _dump(detail) for detail in tenant.user_registration_details},
            secure_scores=[_dump(score) for score in tenant.secure_scores],
        )

    @classmethod
    def empty(cls, tenant_id: str, display_name: str) -> TenantDirectory:
        return cls(tenant_id, display_name, "none", True, True, [], {}, {}, [], {}, [])

    def record(self, user_id: str, kind: ChangeKind, properties: frozenset[str]) -> None:
        self.seq += 1
        self.changes.append(Change(self.seq, user_id, kind, properties))

    def changes_between(self, after: int, upto: int) -> list[DeltaItem]:
        """Net change per user for log entries with after < seq <= upto, in order of first change."""
        start = bisect.bisect_right([change.seq for change in self.changes], after)
        changed: dict[str, set[str]] = {}
        recreated: set[str] = set()
        for change in self.changes[start:]:
            if change.seq > upto:
                break
            changed.setdefault(change.user_id, set()).update(change.properties)
            if change.kind in ("added", "restored"):
                recreated.add(change.user_id)
        return [
            DeltaItem(user_id, self.users.get(user_id), frozenset(props), user_id in recreated)
            for user_id, props in changed.items()
        ]


def _copy(value: T) -> T:
    """A deep copy of JSON data (faster than copy.deepcopy)."""
    copied: T = json.loads(json.dumps(value))
    return copied


def _dump(model: VerifiedDomain | SubscribedSku | RegistrationDetail | SecureScoreEntry | Group) -> dict[str, Any]:
    return model.model_dump(by_alias=True)


class DirectoryState:
    """All tenants of a scenario (plus the partner tenant, with no users), behind one lock."""

    def __init__(self, scenario: Scenario) -> None:
        self.partner_tenant_id = scenario.partner.tenant_id
        self._lock = threading.RLock()
        self._tenants: dict[str, TenantDirectory] = {
            tenant.tenant_id.lower(): TenantDirectory.from_scenario(tenant) for tenant in scenario.tenants
        }
        self._tenants[self.partner_tenant_id.lower()] = TenantDirectory.empty(
            self.partner_tenant_id, scenario.partner.display_name
        )

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._lock:
            yield

    def find(self, tenant: str) -> TenantDirectory | None:
        """A tenant by id or by one of its verified domain names (case-insensitive), as Entra does."""
        key = tenant.lower()
        with self._lock:
            found = self._tenants.get(key)
            if found is not None:
                return found
            for directory in self._tenants.values():
                if any(domain["name"].lower() == key for domain in directory.verified_domains):
                    return directory
        return None

    def get(self, tenant_id: str) -> TenantDirectory:
        directory = self.find(tenant_id)
        if directory is None:
            raise NotFound(f"the simulator has no tenant {tenant_id!r}")
        return directory

    def customers(self) -> list[TenantDirectory]:
        with self._lock:
            return [t for t in self._tenants.values() if t.tenant_id != self.partner_tenant_id]

    def configure(
        self,
        tenant_id: str,
        *,
        consented: bool | None = None,
        premium: bool | None = None,
        relationship: str | None = None,
    ) -> None:
        with self._lock:
            directory = self.get(tenant_id)
            if consented is not None:
                directory.consented = consented
            if premium is not None:
                directory.premium = premium
            if relationship is not None:
                if relationship not in get_args(RelationshipStatus):
                    raise ValidationFailed(f"unknown relationship status {relationship!r}", field="relationship")
                directory.relationship = relationship

    def expire_delta_tokens(self, tenant_id: str) -> None:
        with self._lock:
            self.get(tenant_id).delta_epoch += 1

    def apply(self, op: GraphOp) -> None:
        """Apply one Graph change of a scenario step. An impossible change raises ValidationFailed."""
        with self._lock:
            directory = self.get(op.tenant_id)
            if isinstance(op, AddOp):
                self._add(directory, op.user)
            elif isinstance(op, UpdateOp):
                self._update(directory, op.user_id, op.values)
            elif op.op == "disable":
                self._update(directory, op.user_id, {"accountEnabled": False})
            elif op.op == "enable":
                self._update(directory, op.user_id, {"accountEnabled": True})
            elif op.op == "delete":
                user = self._user(directory, op.user_id)
                del directory.users[op.user_id]
                directory.deleted[op.user_id] = user
                directory.record(op.user_id, "deleted", frozenset())
            else:
                if op.user_id not in directory.deleted:
                    raise ValidationFailed(f"user {op.user_id!r} of tenant {op.tenant_id} is not deleted")
                user = directory.deleted.pop(op.user_id)
                directory.users[op.user_id] = user
                directory.record(op.user_id, "restored", frozenset(user))

    @staticmethod
    def _user(directory: TenantDirectory, user_id: str) -> dict[str, Any]:
        user = directory.users.get(user_id)
        if user is None:
            state = "deleted" if user_id in directory.deleted else "unknown"
            raise ValidationFailed(f"user {user_id!r} of tenant {directory.tenant_id} is {state}")
        return user

    @staticmethod
    def _add(directory: TenantDirectory, user: dict[str, Any]) -> None:
        user_id = user["id"]
        if user_id in directory.users or user_id in directory.deleted:
            raise ValidationFailed(f"user {user_id!r} already exists in tenant {directory.tenant_id}")
        directory.users[user_id] = _copy(user)
        directory.record(user_id, "added", frozenset(user))

    def _update(self, directory: TenantDirectory, user_id: str, values: dict[str, Any]) -> None:
        user = self._user(directory, user_id)
        changed = frozenset(name for name, value in values.items() if user.get(name) != value)
        if not changed:
            return
        directory.users[user_id] = {**user, **_copy(values)}
        directory.record(user_id, "updated", changed)

    def transitive_members(self, directory: TenantDirectory, group_id: str) -> list[dict[str, Any]]:
        """Users and groups reachable from a group through nested groups, each once, in
        breadth-first order; deleted users are left out (Entra drops them from groups)."""
        with self._lock:
            if group_id not in directory.groups:
                raise NotFound(group_id)
            seen: set[str] = {group_id}
            queue, found = [group_id], []
            while queue:
                for member in directory.groups[queue.pop(0)]["members"]:
                    if member in seen:
                        continue
                    seen.add(member)
                    if member in directory.groups:
                        queue.append(member)
                        found.append({"@odata.type": "#microsoft.graph.group", **_group_view(directory, member)})
                    elif member in directory.users:
                        found.append({"@odata.type": "#microsoft.graph.user", **directory.users[member]})
            return found


def _group_view(directory: TenantDirectory, group_id: str) -> dict[str, Any]:
    return {key: value for key, value in directory.groups[group_id].items() if key != "members"}
