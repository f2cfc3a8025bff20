"""GET /api/runs/{runId}/outcomes.csv: a run's every user outcome with its reason, for a spreadsheet."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from functions.auth import authorize
from functions.deps import CurrentApp
from functions.errors import responses
from functions.inputs import path_id
from shared.models import RunRecord
from shared.service.runs import run_details

__all__ = ["RUN_CSV_COLUMNS", "router", "run_csv"]

router = APIRouter(prefix="/api", tags=["runs"], dependencies=[Depends(authorize)], responses=responses(401, 403, 503))

RUN_CSV_COLUMNS = (
    "runId",
    "type",
    "trigger",
    "dryRun",
    "startedAt",
    "tenantId",
    "tenantName",
    "clientId",
    "tenantStatus",
    "tenantError",
    "userId",
    "displayName",
    "outcome",
    "reason",
    "contactId",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@router.get(
    "/runs/{runId}/outcomes.csv",
    summary="A run's outcomes as CSV: one line per user (a tenant with no users, e.g. failed, gets one line "
    "with its error); header: " + ", ".join(RUN_CSV_COLUMNS),
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **responses(400, 404)},
)
async def run_outcomes_csv(run_id: Annotated[str, path_id("runId")], app: CurrentApp) -> Response:
    run = await run_details(app, run_id)
    names = {t.tenant_id: t.display_name for t in await app.tenants.list()}
    return Response(
        run_csv(run, names),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="run-{run.run_id}.csv"'},
    )


def run_csv(run: RunRecord, tenant_names: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RUN_CSV_COLUMNS)
    head = [run.run_id, run.type.value, run.trigger.value, str(run.dry_run).lower(), run.started_at.isoformat()]
    for tenant in run.tenants:
        where = [tenant.tenant_id, tenant_names.get(tenant.tenant_id, ""), tenant.client_id or "", tenant.status.value]
        where.append(tenant.error or "")
        if not tenant.users:
            writer.writerow(_safe([*head, *where, "", "", "", "", ""]))
        for user in tenant.users:
            row = [user.user_id, user.display_name or "", user.outcome.value, user.reason, user.contact_id or ""]
            writer.writerow(_safe([*head, *where, *row]))
    return out.getvalue()


def _safe(cells: list[str]) -> list[str]:
    # Names and errors come from customers' directories and PSAs: a spreadsheet must not read one as a formula.
    return ["'" + cell if cell.startswith(_FORMULA_START) else cell for cell in cells]
