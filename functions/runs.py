"""Runs (R7): start one by hand or every hour, list them newest first, read one with every user's outcome."""

from __future__ import annotations

import logging

import azure.functions as func
from pydantic import BaseModel, Field, model_validator

from functions.http import json_response, parse_body, serve
from shared.bootstrap import App, get_app
from shared.errors import ValidationFailed
from shared.models import RunRecord, RunStatus, RunType, Trigger
from shared.models.base import WireModel
from shared.service.runs import run_details, start_run

bp = func.Blueprint()
log = logging.getLogger(__name__)

DEFAULT_PAGE = 20
MAX_PAGE = 100


class StartRunBody(BaseModel):
    model_config = {"extra": "forbid"}

    type: RunType
    tenant_id: str | None = Field(default=None, alias="tenantId", min_length=1, max_length=100)
    dry_run: bool = Field(default=False, alias="dryRun")
    incremental: bool = False  # delta passes where a tenant allows them (the timer's runs use them)

    @model_validator(mode="after")
    def _tenant_for_tenant_runs(self) -> StartRunBody:
        if self.type is RunType.TENANT and not self.tenant_id:
            raise ValueError("tenantId is required when type is 'tenant'")
        if self.type is not RunType.TENANT and self.tenant_id:
            raise ValueError("tenantId is only for type 'tenant'")
        return self


class RunStarted(WireModel):
    run_id: str
    status: RunStatus
    joined: bool  # a run of the same scope was already going: this is its id (R7.5)


class RunPage(WireModel):
    runs: list[RunRecord]
    next: str | None = None  # pass as ?after= for the next page; None on the last page


def _limit(req: func.HttpRequest) -> int:
    raw = req.params.get("limit")
    if raw is None:
        return DEFAULT_PAGE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise ValidationFailed(f"limit must be a whole number from 1 to {MAX_PAGE}", field="limit")
    return int(raw)


@bp.route(route="runs", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
async def post_run(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        body = parse_body(req, StartRunBody)
        run, started = await start_run(
            app,
            body.type,
            Trigger.MANUAL,
            dry_run=body.dry_run,
            tenant_id=body.tenant_id,
            requested_by="api",
            incremental=body.incremental,
        )
        started_run = RunStarted(run_id=run.run_id, status=run.status, joined=not started)
        return json_response(started_run, 202, headers={"Location": f"/api/runs/{run.run_id}"})

    return await serve(handle)


@bp.route(route="runs", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def list_runs(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        limit = _limit(req)
        runs = await app.runs.page(limit + 1, req.params.get("after") or None)
        more = len(runs) > limit
        return json_response(RunPage(runs=runs[:limit], next=runs[limit - 1].run_id if more else None))

    return await serve(handle)


@bp.route(route="runs/{runId}", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def get_run(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        return json_response(await run_details(app, req.route_params["runId"]))

    return await serve(handle)


@bp.timer_trigger(arg_name="timer", schedule="%SYNC_SCHEDULE%", run_on_startup=False)
async def sync_timer(timer: func.TimerRequest) -> None:
    # No catch-all here: a failed start raises, and the host records the failed invocation.
    run, started = await start_run(await get_app(), RunType.ALL_TENANTS, Trigger.TIMER)
    state = "started" if started else "joined the running"
    log.info("hourly sync %s run %s%s", state, run.run_id, " (past due)" if timer.past_due else "")
