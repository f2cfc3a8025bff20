"""The subscriptions timer (issue 15): confirmed tenants subscribed to their user changes, each
subscription renewed a day before it expires, none left for tenants no longer confirmed."""

from __future__ import annotations

import logging

import azure.functions as func

from shared.bootstrap import get_app
from shared.service.subscription_upkeep import maintain_subscriptions

__all__ = ["bp", "subscription_timer"]

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.timer_trigger(arg_name="timer", schedule="%SUBSCRIPTION_SCHEDULE%", run_on_startup=False)
async def subscription_timer(timer: func.TimerRequest) -> None:
    report = await maintain_subscriptions(await get_app())
    log.info("subscriptions: %d made, %d renewed, %d deleted, %d refused", *report.model_dump().values())
