"""The two schedules: the hourly all-tenants sync (R7.1) and the daily discovery."""

from __future__ import annotations

import logging

import azure.functions as func

from shared.bootstrap import get_app
from shared.models import RunType, Trigger
from shared.service.runs import start_run
from shared.service.tenants import discover_and_suggest

__all__ = ["bp", "discovery_timer", "sync_timer"]

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.timer_trigger(arg_name="timer", schedule="%SYNC_SCHEDULE%", run_on_startup=False)
async def sync_timer(timer: func.TimerRequest) -> None:
    # No catch-all here: a failed start raises, and the host records the failed invocation.
    run, started = await start_run(await get_app(), RunType.ALL_TENANTS, Trigger.TIMER)
    state = "started" if started else "joined the running"
    log.info("hourly sync %s run %s%s", state, run.run_id, " (past due)" if timer.past_due else "")


@bp.timer_trigger(arg_name="timer", schedule="%DISCOVERY_SCHEDULE%", run_on_startup=False)
async def discovery_timer(timer: func.TimerRequest) -> None:
    report = await discover_and_suggest(await get_app())
    log.info("daily discovery: %s tenants found, %s left", report.found, report.left)
