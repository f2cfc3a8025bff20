"""GET /api/licenses: the unused-licence report, per tenant and SKU, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

import azure.functions as func

from functions.http import json_response, serve
from shared.bootstrap import App
from shared.errors import ValidationFailed
from shared.service.reports import LicenseReportRow, license_report

__all__ = ["CSV_COLUMNS", "bp", "licenses", "to_csv"]

bp = func.Blueprint()

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


@bp.route(route="licenses", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def licenses(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        form = (req.params.get("format") or "json").lower()
        if form not in ("json", "csv"):
            raise ValidationFailed("format must be json or csv", field="format")
        rows = await license_report(app, req.params.get("tenantId") or None)
        if form == "json":
            return json_response(rows)
        return func.HttpResponse(
            to_csv(rows),
            mimetype="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": 'attachment; filename="licenses.csv"'},
        )

    return await serve(handle)


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
