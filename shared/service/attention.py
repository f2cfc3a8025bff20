"""What needs an operator, worst first: each item names its tenants (and clients) and offers one action.

Kinds, from worst to least:
    tenant-connection  a managed tenant the app cannot reach (not consented, forbidden, failing)
    failing-runs       a mapped tenant whose latest real runs failed one after another
    brake-held         inactivations the safety brake holds until someone approves them (R5.5)
    review-items       users the sync could not match to one contact (R6)
    live-updates       mapped tenants Graph refused change notifications for (hourly sync only, issue 15)
    unmapped-tenants   managed tenants with no decision yet (no client confirmed, not skipped)
A tenant-connection problem is critical when the tenant is mapped (its client's contacts stop
updating), a warning otherwise.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from enum import StrEnum

from shared.models import (
    AmbiguityStatus,
    ConnectionHealth,
    Mapping,
    MappingStatus,
    PsaClient,
    RunRecord,
    Tenant,
    TenantResult,
    TenantStatus,
)
from shared.models.base import WireModel
from shared.service.app import App
from shared.service.brakes import held_brakes
from shared.service.subscription_report import refused_subscriptions

__all__ = [
    "FAILURE_STREAK",
    "RUNS_LOOKED_AT",
    "ActionKind",
    "AttentionAction",
    "AttentionItem",
    "AttentionKind",
    "Severity",
    "Subject",
    "needs_attention",
]

RUNS_LOOKED_AT = 10  # the latest real runs read for repeated failures
FAILURE_STREAK = 2  # this many failed results in a row, newest first, is a repeated failure


class AttentionKind(StrEnum):
    TENANT_CONNECTION = "tenant-connection"
    FAILING_RUNS = "failing-runs"
    BRAKE_HELD = "brake-held"
    REVIEW_ITEMS = "review-items"
    LIVE_UPDATES = "live-updates"
    UNMAPPED_TENANTS = "unmapped-tenants"


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    NOTICE = "notice"


class ActionKind(StrEnum):
    CONSENT_LINK = "consent-link"  # GET /consent/link, for the tenant's administrator
    DISCOVER = "discover"  # POST /discovery: read the tenants again
    OPEN_RUN = "open-run"  # GET /runs/{runId}
    APPROVE_BRAKE = "approve-brake"  # POST /tenants/{tenantId}/approve-inactivations
    REVIEW = "review"  # GET /ambiguities?status=open
    MAP = "map"  # POST /mappings/{tenantId}
    RETRY_SUBSCRIPTION = "retry-subscription"  # POST /subscriptions/{tenantId}


class Subject(WireModel):
    tenant_id: str
    tenant_name: str
    client_id: str | None = None
    client_name: str | None = None


class AttentionAction(WireModel):
    kind: ActionKind
    label: str
    tenant_id: str | None = None
    run_id: str | None = None


class AttentionItem(WireModel):
    kind: AttentionKind
    severity: Severity
    title: str
    detail: str
    subjects: list[Subject]
    action: AttentionAction


_KIND_ORDER = list(AttentionKind)
_SEVERITY_ORDER = list(Severity)
_UNREACHABLE = {
    ConnectionHealth.NOT_CONSENTED: "the app is not consented in this tenant",
    ConnectionHealth.FORBIDDEN: "Microsoft Graph refused the app's requests (a role or licence is missing)",
    ConnectionHealth.ERROR: "Microsoft Graph could not be read",
}


async def needs_attention(app: App) -> list[AttentionItem]:
    tenants_list, mappings_list, clients_list, open_items, brakes, runs = await asyncio.gather(
        app.tenants.list(),
        app.mappings.list(),
        app.psa.list_clients(),
        app.ambiguities.list(AmbiguityStatus.OPEN),
        held_brakes(app),
        app.runs.page(RUNS_LOOKED_AT * 3),
    )
    tenants = {t.tenant_id: t for t in tenants_list if t.managed}
    mappings = {m.tenant_id: m for m in mappings_list}
    subject = _Subjects(tenants, mappings, {c.id: c for c in clients_list})
    items = [*_connection_items(tenants, mappings, subject)]
    items += await _failing_run_items(app, [r for r in runs if not r.dry_run][:RUNS_LOOKED_AT], subject)
    items += [
        AttentionItem(
            kind=AttentionKind.BRAKE_HELD,
            severity=Severity.WARNING,
            title=f"{b.tenant_name}: {_count(len(b.inactivations), 'inactivation')} held by the safety brake",
            detail="Nothing is inactivated in this tenant until someone approves; approval applies those that "
            "still hold.",
            subjects=[subject(b.tenant_id)],
            action=AttentionAction(kind=ActionKind.APPROVE_BRAKE, label="Review and approve", tenant_id=b.tenant_id),
        )
        for b in brakes
    ]
    per_tenant = Counter(a.tenant_id for a in open_items)
    items += [
        AttentionItem(
            kind=AttentionKind.REVIEW_ITEMS,
            severity=Severity.NOTICE,
            title=f"{subject(tenant_id).tenant_name}: {_count(n, 'user')} could not be matched to one contact",
            detail="Link each to an existing contact of the client, create a new contact, or dismiss it.",
            subjects=[subject(tenant_id)],
            action=AttentionAction(kind=ActionKind.REVIEW, label="Review", tenant_id=tenant_id),
        )
        for tenant_id, n in per_tenant.items()
    ]
    items += [
        AttentionItem(
            kind=AttentionKind.LIVE_UPDATES,
            severity=Severity.NOTICE,
            title=f"{subject(view.tenant_id).tenant_name}: no change notifications; changes come with the hourly sync",
            detail=f"Microsoft Graph refused a subscription: {view.error or 'no reason given'}"[:300],
            subjects=[subject(view.tenant_id)],
            action=AttentionAction(kind=ActionKind.RETRY_SUBSCRIPTION, label="Try again", tenant_id=view.tenant_id),
        )
        for view in await refused_subscriptions(app)
        if view.tenant_id in tenants
    ]
    undecided = [
        tid
        for tid in tenants
        if (m := mappings.get(tid)) is None or m.status not in (MappingStatus.CONFIRMED, MappingStatus.SKIPPED)
    ]
    if undecided:
        names = sorted((subject(tid) for tid in undecided), key=lambda s: s.tenant_name.lower())
        items.append(
            AttentionItem(
                kind=AttentionKind.UNMAPPED_TENANTS,
                severity=Severity.NOTICE,
                title=f"{_count(len(undecided), 'tenant')} not mapped to a client",
                detail="Their users are not synced until each is confirmed to a client, imported, or skipped.",
                subjects=names,
                action=AttentionAction(kind=ActionKind.MAP, label="Map tenants"),
            )
        )
    return sorted(
        items,
        key=lambda i: (_SEVERITY_ORDER.index(i.severity), _KIND_ORDER.index(i.kind), i.title.lower()),
    )


class _Subjects:
    def __init__(self, tenants: dict[str, Tenant], mappings: dict[str, Mapping], clients: dict[str, PsaClient]) -> None:
        self.tenants, self.mappings, self.clients = tenants, mappings, clients

    def __call__(self, tenant_id: str) -> Subject:
        tenant = self.tenants.get(tenant_id)
        mapping = self.mappings.get(tenant_id)
        client_id = mapping.client_id if mapping and mapping.status is MappingStatus.CONFIRMED else None
        client = self.clients.get(client_id or "")
        return Subject(
            tenant_id=tenant_id,
            tenant_name=(tenant.display_name if tenant else "") or tenant_id,
            client_id=client_id,
            client_name=client.name if client else None,
        )


def _connection_items(
    tenants: dict[str, Tenant], mappings: dict[str, Mapping], subject: _Subjects
) -> list[AttentionItem]:
    items = []
    for tenant in tenants.values():
        problem = _UNREACHABLE.get(tenant.health)
        if problem is None:
            continue
        mapping = mappings.get(tenant.tenant_id)
        mapped = mapping is not None and mapping.status is MappingStatus.CONFIRMED
        consent = tenant.health is ConnectionHealth.NOT_CONSENTED
        items.append(
            AttentionItem(
                kind=AttentionKind.TENANT_CONNECTION,
                severity=Severity.CRITICAL if mapped else Severity.WARNING,
                title=f"{subject(tenant.tenant_id).tenant_name}: {problem}",
                detail=(tenant.health_message or "")[:300]
                + (" Its client's contacts are not being updated." if mapped else ""),
                subjects=[subject(tenant.tenant_id)],
                action=(
                    AttentionAction(
                        kind=ActionKind.CONSENT_LINK, label="Get a consent link", tenant_id=tenant.tenant_id
                    )
                    if consent
                    else AttentionAction(kind=ActionKind.DISCOVER, label="Check again", tenant_id=tenant.tenant_id)
                ),
            )
        )
    return items


async def _failing_run_items(app: App, runs: list[RunRecord], subject: _Subjects) -> list[AttentionItem]:
    """Tenants whose newest results, across the latest real runs, failed FAILURE_STREAK times or more in a row."""
    results = await asyncio.gather(*(app.runs.tenant_results(r.run_id) for r in runs))
    streaks: dict[str, list[tuple[RunRecord, TenantResult]]] = {}
    broken: set[str] = set()
    for run, tenant_results in zip(runs, results, strict=True):  # newest first
        for result in tenant_results:
            tid = result.tenant_id
            if tid in broken or result.status not in (TenantStatus.FAILED, TenantStatus.SUCCEEDED, TenantStatus.HELD):
                continue
            if result.status is TenantStatus.FAILED:
                streaks.setdefault(tid, []).append((run, result))
            else:
                broken.add(tid)  # a result that did not fail ends the streak (counted from the newest run)
    items = []
    for tid, failures in streaks.items():
        if len(failures) < FAILURE_STREAK or tid not in subject.tenants:
            continue
        latest_run, latest = failures[0]
        items.append(
            AttentionItem(
                kind=AttentionKind.FAILING_RUNS,
                severity=Severity.CRITICAL,
                title=f"{subject(tid).tenant_name}: the last {len(failures)} runs failed",
                detail=(latest.error or "no error was recorded")[:300],
                subjects=[subject(tid)],
                action=AttentionAction(
                    kind=ActionKind.OPEN_RUN, label="Open the last failed run", tenant_id=tid, run_id=latest_run.run_id
                ),
            )
        )
    return items


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
