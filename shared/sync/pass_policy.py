"""Which pass a tenant gets, and what its cursor says afterwards: pure decisions, no I/O, no clock
(the caller passes `now`).

A tenant's pass is **full** (every user, every fact, a new delta link) or **delta** (what changed since
the stored link). `full_pass_reason` says why a pass must be full, or None for a delta pass; the other
functions are the bookkeeping around a pass: whether to ask a tenant for Entra ID P1 again, how many
rows its user snapshot keeps, and the cursor a pass leaves for the next one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from shared.models import DeltaCursor, EntraUser, Outcome, RunRecord, RunType, SyncSettings, UserOutcome
from shared.sync.facts import FactsInputs
from shared.sync.snapshot import buckets_for

__all__ = [
    "P1_RECHECK",
    "cursor_after_delta_pass",
    "cursor_after_full_pass",
    "delta_facts",
    "full_pass_reason",
    "known_without_p1",
    "needs_sku_names",
    "settings_hash",
    "settled_cursor",
    "snapshot_buckets",
]

P1_RECHECK = timedelta(days=7)  # a tenant without Entra ID P1 is asked again this often


def full_pass_reason(
    run: RunRecord,
    cursor: DeltaCursor | None,
    client_id: str,
    settings: SyncSettings,
    now: datetime,
    interval: timedelta,
) -> str | None:
    """Why this tenant's pass in `run` must be a full one, or None for a delta pass.

    Full on initial runs and on runs a person or the PSA asked for (incremental is off), when the
    safety brake was released (approval compares everything), when there is no delta link, when the
    tenant is mapped to another client or its effective settings changed since the cursor was written,
    when group filters are set (membership changes are not in the users' delta), while the brake holds
    the tenant, and once the last full pass is `interval` old. The first reason that applies is given.
    """
    if run.type is RunType.INITIAL:
        return "initial run"
    if not run.incremental:
        return f"{run.trigger.value} run asked for a full pass"  # a person or the PSA asked: compare everything
    if run.brake_released:
        return "the safety brake was released"
    if cursor is None or not cursor.delta_link:
        return "no delta link yet"
    if cursor.client_id != client_id:
        return "the tenant is mapped to another client"
    if cursor.settings_hash != settings_hash(settings):
        return "the sync settings changed"
    if settings.filters.groups:
        return "group filters need every user's membership"
    if cursor.held:
        return "inactivations are held by the safety brake"
    if cursor.last_full_pass is None or now - cursor.last_full_pass >= interval:
        return f"the last full pass is {interval.total_seconds() / 3600:g} h old or more"
    return None


def settings_hash(settings: SyncSettings) -> str:
    """A fingerprint of the effective settings a pass ran with: equal settings, equal hash."""
    return hashlib.sha256(settings.model_dump_json().encode()).hexdigest()[:32]


def known_without_p1(cursor: DeltaCursor | None, now: datetime) -> bool:
    """True when a pass less than `P1_RECHECK` ago found the tenant without Entra ID P1: this full pass
    then asks for neither sign-in activity nor the MFA report (each would answer 403)."""
    return (
        cursor is not None
        and cursor.entra_p1 is False
        and cursor.p1_checked_at is not None
        and now - cursor.p1_checked_at < P1_RECHECK
    )


def snapshot_buckets(cursor: DeltaCursor | None, users: int) -> int | None:
    """The row count a full pass keeps for its snapshot of `users` users: the cursor's while it stays
    within a factor of two of the ideal one (rows unchanged are then not rewritten), else None (use
    the ideal count)."""
    if cursor is None or cursor.buckets <= 0:
        return None
    ideal = buckets_for(users)
    return cursor.buckets if ideal <= 2 * cursor.buckets and cursor.buckets <= 2 * ideal else None


def needs_sku_names(users: Iterable[EntraUser], sku_part_numbers: dict[str, str]) -> bool:
    """True when a delta pass's users hold a licence the cursor has no name for (a SKU bought since
    the last full pass): subscribedSkus is read again."""
    return any(lic.sku_id not in sku_part_numbers for user in users for lic in user.assigned_licenses)


def delta_facts(cursor: DeltaCursor, sku_part_numbers: dict[str, str]) -> FactsInputs:
    """The facts a delta pass plans with: licence names, and P1 as the last full pass found it; no
    MFA report and no sign-in read (delta passes read neither, so those facts keep their values)."""
    return FactsInputs(
        sku_part_numbers=sku_part_numbers, entra_p1=cursor.entra_p1 is not False, mfa=None, sign_in_read=False
    )


def cursor_after_full_pass(
    previous: DeltaCursor | None,
    *,
    delta_link: str | None,
    started: datetime,
    client_id: str,
    settings: SyncSettings,
    facts: FactsInputs,
    p1_asked: bool,
) -> DeltaCursor:
    """The cursor a full pass starts afresh; `settled_cursor` then adds what its apply left. The P1
    check time moves only when this pass asked Graph (`p1_asked`)."""
    return DeltaCursor(
        delta_link=delta_link,
        last_full_pass=started,
        client_id=client_id,
        settings_hash=settings_hash(settings),
        entra_p1=facts.entra_p1,
        p1_checked_at=started if p1_asked else (previous.p1_checked_at if previous else None),
        sku_part_numbers=facts.sku_part_numbers,
    )


def cursor_after_delta_pass(
    cursor: DeltaCursor, *, delta_link: str | None, sku_part_numbers: dict[str, str]
) -> DeltaCursor:
    """The cursor a delta pass moves on: its new link and licence names; the rest stays."""
    return cursor.model_copy(update={"delta_link": delta_link, "sku_part_numbers": sku_part_numbers})


def settled_cursor(cursor: DeltaCursor, *, run_id: str, held: bool, outcomes: Iterable[UserOutcome]) -> DeltaCursor:
    """What an applied pass adds to its cursor: the users to plan again next time (the PSA refused
    them) and the safety brake's hold (R5.5), kept as the run that held, None when nothing is held."""
    retry = sorted(o.user_id for o in outcomes if o.outcome is Outcome.FAILED)
    return cursor.model_copy(update={"retry": retry, "held_by_run": run_id if held else None})
