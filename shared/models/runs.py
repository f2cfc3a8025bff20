"""Runs: what started them, what each tenant and each user came to (SYNC_RULES R7)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from shared.models.base import WireModel
from shared.models.contacts import ContactLink

__all__ = [
    "AttemptUser",
    "Counts",
    "Outcome",
    "RunRecord",
    "RunStatus",
    "RunTotals",
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
    NOTIFICATION = "notification"  # Graph said a tenant's users changed (issue 15): one coalesced delta pass


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
    attempts: int = 0  # tries that began writing: a retry reports what they did (`AttemptUser`)
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
    last_progress_at: datetime | None = None  # when a tenant last finished (a run without progress is dead)
    tenants: list[TenantResult] = Field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)


class RunTotals(WireModel):
    """A run's running totals: the sum of its final tenant rows, kept beside them and changed in the
    same storage transaction as the row that adds to them, so a tenant is counted exactly once and the
    totals always equal the rows (shared.service.runs). The run's record shows them while it runs and
    copies them when it completes."""

    tenants_expected: int = 0
    tenants_processed: int = 0
    succeeded: int = 0
    failed: int = 0
    held: int = 0
    counts: Counts = Field(default_factory=Counts)
    psa_writes: int = 0
    updated_at: datetime | None = None  # when the last tenant was counted

    @property
    def done(self) -> bool:
        return self.tenants_processed >= self.tenants_expected

    def plus(self, result: TenantResult, at: datetime | None) -> RunTotals:
        """These totals with one more final tenant counted."""
        return self.model_copy(
            update={
                "tenants_processed": self.tenants_processed + 1,
                "succeeded": self.succeeded + (result.status is TenantStatus.SUCCEEDED),
                "failed": self.failed + (result.status is TenantStatus.FAILED),
                "held": self.held + (result.status is TenantStatus.HELD),
                "counts": self.counts.plus(result.counts),
                "psa_writes": self.psa_writes + result.psa_writes,
                "updated_at": at or self.updated_at,
            }
        )

    def and_share(self, other: RunTotals) -> RunTotals:
        """These totals with another share of the run's tenants added (the run's totals are kept in
        shares: `shared.store.run_totals`)."""
        stamps = [t for t in (self.updated_at, other.updated_at) if t is not None]
        return RunTotals(
            tenants_expected=self.tenants_expected + other.tenants_expected,
            tenants_processed=self.tenants_processed + other.tenants_processed,
            succeeded=self.succeeded + other.succeeded,
            failed=self.failed + other.failed,
            held=self.held + other.held,
            counts=self.counts.plus(other.counts),
            psa_writes=self.psa_writes + other.psa_writes,
            updated_at=max(stamps) if stamps else None,
        )

    def shown_on(self, run: RunRecord) -> RunRecord:
        """`run` with these totals as its counters."""
        return run.model_copy(
            update={
                "tenants_processed": self.tenants_processed,
                "succeeded": self.succeeded,
                "failed": self.failed,
                "held": self.held,
                "counts": self.counts,
                "psa_writes": self.psa_writes,
                "last_progress_at": self.updated_at,
            }
        )


class AttemptUser(WireModel):
    """One user's part in a tenant's earlier tries of one run (shared.sync.attempts).

    A try records what it is about to write before it writes (`pending`: "create", "update", "activate",
    "link"), so whatever point it dies at, the next try can tell what landed: a write the next try's plan
    no longer needs did land (the PSA holds it now). `outcome` and `writes` are what landed so far."""

    user_id: str
    outcome: UserOutcome | None = None  # what the run reports for the user so far (None: nothing landed)
    writes: int = 0  # PSA writes that landed for the user in earlier tries
    pending: list[str] = Field(default_factory=list)
    pending_outcome: UserOutcome | None = None  # the outcome if the pending writes landed
    pending_changes: dict[str, str] = Field(default_factory=dict)  # the fields an "update" writes
    pending_active: bool | None = None  # what an "activate" sets
    pending_link: ContactLink | None = None  # the link row an inactivation writes (the sync's flags on it)
    landed_link: ContactLink | None = None  # that row, once its inactivation landed: the next try writes it
