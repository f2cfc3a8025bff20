"""Coalescing (issue 15): a tenant's change notifications within a window become one delta pass.

The first notification of a window marks the tenant (`ChangeMarks.create`, which only one caller wins)
and puts one `coalesce` message on the tenant-sync queue, invisible for NOTIFICATION_WINDOW_SECONDS;
later notifications see the mark and do nothing more, so a burst of a thousand changes costs one
message. When the message shows, `coalesced_pass` clears the mark (under its ETag) and only then starts
a tenant run (trigger `notification`, incremental): every change notified before the clear is in Graph
before that run reads its delta, and every change notified after it makes a new mark and so a new pass.

A notification during the tenant's pass: its window's message finds that run still going (start_run
joins it, R7.5), so it marks the tenant again and comes back `FOLLOW_UP_SECONDS` later, until the pass
is over, then starts one more pass: exactly one, however many notifications arrived meanwhile.

Lost work is found again: a message redelivered after a crash finds no mark and starts the pass
anyway; a mark whose message is gone (sent to the poison queue) is re-armed by the next notification
once it is `STALE_MARK` old; and the hourly delta pass still reads whatever was missed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from shared.errors import ConfigError, NotFound
from shared.models import RunRecord, RunType, Trigger
from shared.models.queue import NotifyKind, NotifyMessage
from shared.service.app import App
from shared.service.ports import ChangeMarks, NotifyQueue
from shared.service.runs import start_run

__all__ = ["FOLLOW_UP_SECONDS", "STALE_MARK", "coalesced_pass", "note_changes"]

log = logging.getLogger(__name__)

FOLLOW_UP_SECONDS = 10  # how often a mark waiting for a running pass looks again
STALE_MARK = timedelta(minutes=5)  # past its window by this much, a mark's message is taken as lost
_TRIES = 3


def _ports(app: App) -> tuple[ChangeMarks, NotifyQueue]:
    if app.change_marks is None or app.notify_queue is None:
        raise ConfigError("change notifications are not wired (no change marks or queue)")
    return app.change_marks, app.notify_queue


async def note_changes(app: App, tenant_id: str) -> bool:
    """The tenant has changes (checked notifications, or Graph's `missed`): open a window unless one is
    open. True when this call opened it."""
    marks, queue = _ports(app)
    window = app.settings.notification_window_seconds
    for _ in range(_TRIES):
        now = app.clock()
        if await marks.create(tenant_id, now):
            await queue.send(_coalesce(tenant_id), delay_seconds=window)
            app.notification_counts.passes_requested += 1
            return True
        mark = await marks.get(tenant_id)
        if mark is None:
            continue  # its pass just took it: this change needs a window of its own
        if now - mark.armed_at > timedelta(seconds=window) + STALE_MARK and await marks.rearm(mark, now):
            log.warning("tenant %s: the coalesced pass's message was lost; sent again", tenant_id)
            await queue.send(_coalesce(tenant_id), delay_seconds=window)
        return False
    return False  # the mark kept coming and going: passes are starting, one of them reads this change


async def coalesced_pass(app: App, tenant_id: str, *, redelivered: bool = False) -> RunRecord | None:
    """A `coalesce` message's window is over: start the tenant's delta pass (or, while its pass runs,
    come back after it). `redelivered`: an earlier delivery of this message failed, maybe after it
    cleared the mark, so the pass is started even without one. Returns the run started or joined."""
    marks, _ = _ports(app)
    mark = await marks.get(tenant_id)
    if mark is None and not redelivered:
        return None  # a message whose window another message already ended
    if mark is not None and not await marks.clear(mark):
        return None  # re-armed meanwhile: the newer message ends the window
    try:
        run, started = await start_run(
            app, RunType.TENANT, Trigger.NOTIFICATION, tenant_id=tenant_id, incremental=True, requested_by="graph"
        )
    except NotFound:
        log.info("tenant %s is not mapped (any more): its change notifications start no pass", tenant_id)
        return None
    if not started:
        await _follow_up(app, tenant_id)
    else:
        log.info("tenant %s: notified changes, pass %s started", tenant_id, run.run_id)
    return run


async def _follow_up(app: App, tenant_id: str) -> None:
    # The running pass may have read the tenant's delta before these changes: one more pass after it.
    marks, queue = _ports(app)
    if await marks.create(tenant_id, app.clock()):
        delay = max(FOLLOW_UP_SECONDS, app.settings.notification_window_seconds)
        await queue.send(_coalesce(tenant_id), delay_seconds=delay)
    # else a notification marked it first, and its message does the same


def _coalesce(tenant_id: str) -> NotifyMessage:
    return NotifyMessage(notify=NotifyKind.COALESCE, tenant_id=tenant_id)
