"""GET /api/licenses: the unused-licence report, per tenant and SKU, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from functions.deps import CurrentApp
from functions.errors import responses
from functions.inputs import KEY_OR_EMPTY
from functions.openapi import DocumentedRoute
from shared.service.reports import LicenseReportRow, license_report

__all__ = ["CSV_COLUMNS", "router", "to_csv"]

router = APIRouter(tags=["reports"], route_class=DocumentedRoute)

# CSV header -> field; the JSON rows carry the same names.
CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("tenantId", "tenant_id"),
    ("tenantName", "tenant_name"),
    ("skuId", "sku_id"),
    ("skuPartNumber", "sku_part_number"),
    ("prepaid", "prepaid"),
    ("consumed", "consumed"),
    ("assignedDisabled", "assigned_disabled"),
    ("noSignIn30Days", "no_sign_in_30_days"),
    ("noSignIn90Days", "no_sign_in_90_days"),
    ("available", "available"),
    ("computedAt", "computed_at"),
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CSV = {
    "text/csv": {"schema": {"type": "string", "description": "a header row: " + ", ".join(h for h, _ in CSV_COLUMNS)}}
}


@router.get(
    "/licenses", response_model=list[LicenseReportRow], responses={200: {"content": _CSV}, **responses(400, 404)}
)
async def licenses(
    app: CurrentApp,
    tenant_id: Annotated[str | None, Query(alias="tenantId", max_length=100, pattern=KEY_OR_EMPTY)] = None,
    format: Annotated[Literal["json", "csv"], Query(description="json, or csv for a spreadsheet")] = "json",
) -> list[LicenseReportRow] | Response:
    """Unused licences, per tenant and SKU, as of each tenant's last full pass: prepaid, consumed,
    available, held by disabled users, and held by enabled users with no sign-in in 30 / 90 days (null
    without Entra ID P1: unknown)."""
    rows = await license_report(app, tenant_id or None)  # ?tenantId= (empty): every tenant
    if format == "json":
        return rows
    return Response(
        to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="licenses.csv"'},
    )


def to_csv(rows: Sequence[LicenseReportRow]) -> str:
    """A header row, then one line per tenant and SKU; an unknown figure is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header for header, _ in CSV_COLUMNS)
    for row in rows:
        writer.writerow(_cell(getattr(row, name)) for _, name in CSV_COLUMNS)
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        # Tenant names come from customers' directories: keep a spreadsheet from reading one as a formula.
        return "'" + value if value.startswith(_FORMULA_START) else value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
