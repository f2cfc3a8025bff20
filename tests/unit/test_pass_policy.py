"""The pass policy: why a tenant's pass is full (or None for delta), the P1 re-check window, the
snapshot's row count, and the cursor a pass leaves behind (the brake's hold included, R5.5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.models import (
    DeltaCursor,
    EntraUser,
    Filters,
    Outcome,
    RunRecord,
    RunType,
    SafetyBrake,
    SyncSettings,
    Trigger,
    UserOutcome,
)
from shared.sync.facts import FactsInputs
from shared.sync.pass_policy import (
    P1_RECHECK,
    cursor_after_delta_pass,
    cursor_after_full_pass,
    delta_facts,
    full_pass_reason,
    known_without_p1,
    needs_sku_names,
    settings_hash,
    settled_cursor,
    snapshot_buckets,
)
from shared.sync.snapshot import buckets_for

NOW = datetime(2025, 3, 3, 12, tzinfo=UTC)
DAY = timedelta(hours=24)
CLIENT = "client-1"
SETTINGS = SyncSettings()


def timer_run(**kw: Any) -> RunRecord:
    """An hourly timer run: the kind that takes delta passes where it can."""
    values: dict[str, Any] = {
        "run_id": "run-2",
        "type": RunType.ALL_TENANTS,
        "trigger": Trigger.TIMER,
        "incremental": True,
        "started_at": NOW,
    }
    return RunRecord(**(values | kw))


def fresh_cursor(**kw: Any) -> DeltaCursor:
    """A cursor a full pass left an hour ago with these settings: the next pass may be a delta."""
    values: dict[str, Any] = {
        "delta_link": "https://graph.example/users/delta?$deltatoken=abc",
        "last_full_pass": NOW - timedelta(hours=1),
        "client_id": CLIENT,
        "settings_hash": settings_hash(SETTINGS),
    }
    return DeltaCursor(**(values | kw))


def reason(
    run: RunRecord | None = None,
    cursor: DeltaCursor | None = None,
    *,
    settings: SyncSettings = SETTINGS,
    client_id: str = CLIENT,
    now: datetime = NOW,
) -> str | None:
    return full_pass_reason(run or timer_run(), cursor, client_id, settings, now, DAY)


def test_a_fresh_cursor_on_a_timer_run_gives_a_delta_pass() -> None:
    assert reason(cursor=fresh_cursor()) is None


def test_an_initial_run_is_always_full() -> None:
    assert reason(timer_run(type=RunType.INITIAL), fresh_cursor()) == "initial run"


@pytest.mark.parametrize("trigger", [Trigger.MANUAL, Trigger.WEBHOOK, Trigger.TIMER])
def test_a_run_that_is_not_incremental_is_full_and_names_its_trigger(trigger: Trigger) -> None:
    run = timer_run(trigger=trigger, incremental=False)

    assert reason(run, fresh_cursor()) == f"{trigger.value} run asked for a full pass"


def test_r5_5_an_approval_run_that_released_the_brake_is_full() -> None:
    assert reason(timer_run(brake_released=True), fresh_cursor()) == "the safety brake was released"


@pytest.mark.parametrize("cursor", [None, DeltaCursor(), fresh_cursor(delta_link=None), fresh_cursor(delta_link="")])
def test_no_cursor_or_no_delta_link_is_full(cursor: DeltaCursor | None) -> None:
    assert reason(cursor=cursor) == "no delta link yet"


def test_a_tenant_mapped_to_another_client_is_full() -> None:
    assert reason(cursor=fresh_cursor(), client_id="client-2") == "the tenant is mapped to another client"


def test_changed_settings_give_a_full_pass() -> None:
    changed = SyncSettings(safety_brake=SafetyBrake(min_contacts=1, percent=50))

    assert settings_hash(changed) != settings_hash(SETTINGS)
    assert reason(cursor=fresh_cursor(), settings=changed) == "the sync settings changed"


def test_group_filters_always_give_a_full_pass() -> None:
    grouped = SyncSettings(filters=Filters(groups=["g-1"]))
    cursor = fresh_cursor(settings_hash=settings_hash(grouped))  # the same settings as last time

    assert reason(cursor=cursor, settings=grouped) == "group filters need every user's membership"


def test_r5_5_a_tenant_held_by_the_brake_is_full_until_approved() -> None:
    held = fresh_cursor(held_by_run="run-1")

    assert held.held
    assert reason(cursor=held) == "inactivations are held by the safety brake"


@pytest.mark.parametrize("age", [DAY, DAY + timedelta(minutes=1)])
def test_a_full_pass_is_due_once_the_interval_has_elapsed(age: timedelta) -> None:
    cursor = fresh_cursor(last_full_pass=NOW - age)

    assert reason(cursor=cursor) == "the last full pass is 24 h old or more"
    assert reason(cursor=cursor, now=NOW - timedelta(minutes=2)) is None  # just inside the interval


def test_a_cursor_without_a_last_full_pass_is_due_one() -> None:
    assert reason(cursor=fresh_cursor(last_full_pass=None)) == "the last full pass is 24 h old or more"


def test_the_first_reason_that_applies_is_given() -> None:
    everything = fresh_cursor(client_id="other", held_by_run="run-1", last_full_pass=None)

    assert reason(timer_run(brake_released=True), everything) == "the safety brake was released"
    assert reason(cursor=everything) == "the tenant is mapped to another client"


def test_settings_hash_is_stable_for_equal_settings() -> None:
    assert settings_hash(SyncSettings()) == settings_hash(SyncSettings())


def test_a_tenant_found_without_p1_is_not_asked_again_within_the_window() -> None:
    checked = NOW - P1_RECHECK + timedelta(minutes=1)

    assert known_without_p1(fresh_cursor(entra_p1=False, p1_checked_at=checked), NOW)


@pytest.mark.parametrize(
    "cursor",
    [
        None,
        fresh_cursor(entra_p1=False, p1_checked_at=NOW - P1_RECHECK),  # the window has closed: ask again
        fresh_cursor(entra_p1=False, p1_checked_at=None),  # never asked
        fresh_cursor(entra_p1=True, p1_checked_at=NOW),  # has P1
        fresh_cursor(entra_p1=None, p1_checked_at=NOW),  # unknown
    ],
)
def test_p1_is_asked_unless_a_recent_pass_found_it_missing(cursor: DeltaCursor | None) -> None:
    assert not known_without_p1(cursor, NOW)


def test_the_snapshot_keeps_its_row_count_within_a_factor_of_two() -> None:
    assert buckets_for(900) == 3
    assert snapshot_buckets(fresh_cursor(buckets=2), 900) == 2
    assert snapshot_buckets(fresh_cursor(buckets=6), 900) == 6


@pytest.mark.parametrize(
    ("cursor", "users"),
    [(None, 900), (DeltaCursor(buckets=0), 900), (DeltaCursor(buckets=1), 900), (DeltaCursor(buckets=7), 900)],
)
def test_the_snapshot_takes_the_ideal_row_count_when_none_fits(cursor: DeltaCursor | None, users: int) -> None:
    assert snapshot_buckets(cursor, users) is None


def test_a_full_pass_starts_a_fresh_cursor_and_moves_the_p1_check_only_when_it_asked() -> None:
    earlier = NOW - timedelta(days=2)
    previous = fresh_cursor(p1_checked_at=earlier, retry=["u-1"], held_by_run="run-1", sku_part_numbers={"a": "A"})
    facts = FactsInputs(sku_part_numbers={"b": "B"}, entra_p1=False)

    def after(asked: bool) -> DeltaCursor:
        return cursor_after_full_pass(
            previous,
            delta_link="link-2",
            started=NOW,
            client_id=CLIENT,
            settings=SETTINGS,
            facts=facts,
            p1_asked=asked,
        )

    asked, skipped = after(True), after(False)
    assert (asked.delta_link, asked.last_full_pass, asked.client_id) == ("link-2", NOW, CLIENT)
    assert (asked.settings_hash, asked.entra_p1, asked.sku_part_numbers) == (settings_hash(SETTINGS), False, {"b": "B"})
    assert (asked.retry, asked.held_by_run) == ([], None)  # settled_cursor adds what the apply left
    assert (asked.p1_checked_at, skipped.p1_checked_at) == (NOW, earlier)


def test_a_delta_pass_moves_its_link_and_licence_names_and_keeps_the_rest() -> None:
    cursor = fresh_cursor(entra_p1=False, buckets=3)

    moved = cursor_after_delta_pass(cursor, delta_link="link-3", sku_part_numbers={"c": "C"})

    assert (moved.delta_link, moved.sku_part_numbers) == ("link-3", {"c": "C"})
    assert moved.model_copy(update={"delta_link": cursor.delta_link, "sku_part_numbers": {}}) == cursor


def test_r5_5_the_settled_cursor_holds_the_run_that_held_and_lists_refused_users_to_retry() -> None:
    outcomes = [
        UserOutcome(user_id="u-2", outcome=Outcome.FAILED, reason="refused"),
        UserOutcome(user_id="u-1", outcome=Outcome.FAILED, reason="refused"),
        UserOutcome(user_id="u-3", outcome=Outcome.UPDATED, reason="changed"),
    ]

    held = settled_cursor(fresh_cursor(), run_id="run-7", held=True, outcomes=outcomes)
    released = settled_cursor(held, run_id="run-8", held=False, outcomes=[])

    assert (held.held_by_run, held.retry) == ("run-7", ["u-1", "u-2"])
    assert (released.held_by_run, released.held, released.retry) == (None, False, [])


def test_a_cursor_stored_before_held_by_run_keeps_its_hold() -> None:
    legacy_held = DeltaCursor.model_validate_json('{"delta_link": "x", "held": true}')
    legacy_free = DeltaCursor.model_validate_json('{"delta_link": "x", "held": false}')

    assert legacy_held.held and legacy_held.held_by_run == "unknown"
    assert not legacy_free.held
    assert "held" not in legacy_held.model_dump()  # one home: only held_by_run is written back


def test_a_delta_pass_plans_with_the_cursors_p1_and_reads_no_sign_in_or_mfa() -> None:
    facts = delta_facts(fresh_cursor(entra_p1=False), {"s": "S"})
    unknown = delta_facts(fresh_cursor(entra_p1=None), {})

    assert (facts.entra_p1, facts.mfa, facts.sign_in_read, facts.sku_part_numbers) == (False, None, False, {"s": "S"})
    assert unknown.entra_p1  # not known to lack P1: its facts are kept, not cleared


def test_a_delta_pass_reads_licence_names_again_only_for_a_sku_it_has_no_name_for() -> None:
    user = EntraUser.model_validate({"id": "u-1", "assignedLicenses": [{"skuId": "sku-new"}]})

    assert needs_sku_names([user], {"sku-old": "OLD"})
    assert not needs_sku_names([user], {"sku-new": "NEW"})
    assert not needs_sku_names([EntraUser(id="u-2")], {})
