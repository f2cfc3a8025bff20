"""The run sweep: every few minutes, finish the runs no worker will finish (issue 13): a run whose
tenants are all counted but whose completing worker died first, and a run whose lost messages left
tenants that no worker holds, once it has made no progress for two hours."""

from __future__ import annotations

import logging

import azure.functions as func

from shared.bootstrap import get_app
from shared.service.runs import sweep_runs

__all__ = ["SWEEP_SCHEDULE", "bp", "run_sweep"]

bp = func.Blueprint()
log = logging.getLogger(__name__)

SWEEP_SCHEDULE = "0 */5 * * * *"  # every 5 minutes (NCRONTAB, seconds first)


@bp.timer_trigger(arg_name="timer", schedule=SWEEP_SCHEDULE, run_on_startup=False)
async def run_sweep(timer: func.TimerRequest) -> None:
    finished = await sweep_runs(await get_app())
    if finished:
        log.info("run sweep finished %d run(s): %s", len(finished), ", ".join(r.run_id for r in finished))
