"""Runs: what started them, what each tenant and each user came to (SYNC_RULES R7)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from shared.models.base import WireModel

__all__ = [
    "Counts",
    "Outcome",
    "RunRecord",
    "RunStatus",
    "RunType",
    "TenantResult",
    "TenantStatus",
    "Trigger",
    "UserOutcome",
]


class Outcome(StrEnum):
    CREATED = "created"
    LINKED = "linked"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    QUEUED = "queued"
    INACTIVATED = "inactivated"
    REACTIVATED = "reactivated"
    IGNORED = "ignored"
    FAILED = "failed"


class RunType(StrEnum):
    INITIAL = "initial"
    ALL_TENANTS = "all-tenants"
    TENANT = "tenant"


class Trigger(StrEnum):
    TIMER = "timer"
    WEBHOOK = "webhook"
    MANUAL = "manual"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    PARTIAL = "partial"
    FAILED = "failed"


class TenantStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    HELD = "held"


class Counts(WireModel):
    created: int = 0
    linked: int = 0
    updated: int = 0
    unchanged: int = 0
    queued: int = 0
    inactivated: int = 0
    reactivated: int = 0
    ignored: int = 0
    failed: int = 0

    def add(self, outcome: Outcome, n: int = 1) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + n)

    def plus(self, other: Counts) -> Counts:
        return Counts(**{k: getattr(self, k) + getattr(other, k) for k in Counts.model_fields})

    @classmethod
    def of(cls, outcomes: list[UserOutcome]) -> Counts:
        counts = cls()
        for user in outcomes:
            counts.add(user.outcome)
        return counts


class UserOutcome(WireModel):
    user_id: str
    outcome: Outcome
    reason: str
    contact_id: str | None = None
    display_name: str | None = None


class TenantResult(WireModel):
    tenant_id: str
    client_id: str | None = None
    status: TenantStatus = TenantStatus.QUEUED
    error: str | None = None
    counts: Counts = Field(default_factory=Counts)
    users: list[UserOutcome] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # e.g. "sign-in and MFA data require Entra ID P1"
    pass_kind: str | None = None  # "full" or "delta"
    psa_writes: int = 0  # create / update / activate calls made on the PSA (what a dry run would make)
    started_at: datetime | None = None
    completed_at: datetime | None = None


class RunRecord(WireModel):
    run_id: str
    type: RunType
    trigger: Trigger
    dry_run: bool = False
    tenant_id: str | None = None  # the scope of a `tenant` run
    brake_released: bool = False  # an operator approved the tenant's held inactivations (R5.5)
    incremental: bool = False  # delta passes where a tenant allows them (the hourly timer's runs)
    requested_by: str | None = None
    status: RunStatus = RunStatus.QUEUED
    started_at: datetime
    completed_at: datetime | None = None
    tenants_expected: int = 0
    tenants_processed: int = 0
    succeeded: int = 0
    failed: int = 0
    held: int = 0
    counts: Counts = Field(default_factory=Counts)
    psa_writes: int = 0
    tenants: list[TenantResult] = Field(default_factory=list)
