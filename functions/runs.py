"""Runs (R7): start one by hand, list them newest first, read one with every user's outcome.
(The hourly start is functions/timers.py.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, model_validator

from functions.deps import CurrentApp, CurrentPrincipal, decided_by
from functions.errors import responses
from functions.inputs import KEY_OR_EMPTY, PageLimit, json_body, path_id
from functions.openapi import DocumentedRoute
from shared.models import RunRecord, RunStatus, RunType, Trigger
from shared.models.base import WireModel
from shared.service.run_history import RunPage, runs_page
from shared.service.runs import run_details, start_run

__all__ = ["RunStarted", "StartRunBody", "router", "started"]

router = APIRouter(tags=["runs"], route_class=DocumentedRoute)

DEFAULT_PAGE = 20


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


def started(response: Response, run: RunRecord, was_started: bool) -> RunStarted:
    """The 202 answer to a start: the run's id, and where to read it."""
    response.headers["Location"] = f"/api/runs/{run.run_id}"
    return RunStarted(run_id=run.run_id, status=run.status, joined=not was_started)


@router.post("/runs", status_code=202, responses=responses(400, 404, 409))
async def post_run(
    app: CurrentApp,
    principal: CurrentPrincipal,
    response: Response,
    body: Annotated[StartRunBody, json_body(StartRunBody)],
) -> RunStarted:
    """Start a run (initial, all-tenants, or one tenant; dryRun writes nothing but the run record); joins
    the running run of the same scope instead of starting a second."""
    run, was_started = await start_run(
        app,
        body.type,
        Trigger.MANUAL,
        dry_run=body.dry_run,
        tenant_id=body.tenant_id,
        requested_by=decided_by(principal),
        incremental=body.incremental,
    )
    return started(response, run, was_started)


@router.get("/runs", responses=responses(400))
async def list_runs(
    app: CurrentApp,
    limit: PageLimit = DEFAULT_PAGE,
    after: Annotated[
        str | None, Query(max_length=100, pattern=KEY_OR_EMPTY, description="the `next` of the previous page")
    ] = None,
) -> RunPage:
    """Runs, newest first, a page at a time."""
    return await runs_page(app, limit, after or None)


@router.get("/runs/{runId}", responses=responses(400, 404))
async def get_run(app: CurrentApp, run_id: Annotated[str, path_id("runId")]) -> RunRecord:
    """A run: per-tenant status and counts, and every user's outcome with its reason."""
    return await run_details(app, run_id)
