"""R4.4 unused-licence report: per SKU, prepaid / consumed / available, held by disabled users, and held
by enabled users with no sign-in in 30 and 90 days (unknown without Entra ID P1). Figures by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from functions.licenses import CSV_COLUMNS, to_csv
from shared.models import EntraUser
from shared.models.graph_reads import SubscribedSku
from shared.service.reports import LicenseReportRow
from shared.sync.licenses import license_usage

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
SPB = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"
BASIC = "3b555118-da6a-4418-894f-7df1e2096870"
STANDARD = "f245ecc8-75af-4f8e-b61f-27d8114de5f3"
APPS = "cdd28e44-67e3-425e-be4c-737fab2899d3"


def ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


def user(uid: str, skus: list[str], *, enabled: bool = True, **sign_in: str) -> EntraUser:
    return EntraUser.model_validate(
        {
            "id": uid,
            "accountEnabled": enabled,
            "assignedLicenses": [{"skuId": s} for s in skus],
            "signInActivity": sign_in or None,
        }
    )


def sku(sku_id: str, part: str, prepaid: int | None, consumed: int | None) -> SubscribedSku:
    body: dict[str, Any] = {"skuId": sku_id, "skuPartNumber": part, "consumedUnits": consumed}
    if prepaid is not None:
        body["prepaidUnits"] = {"enabled": prepaid, "suspended": 0, "warning": 0}
    return SubscribedSku.model_validate(body)


USERS = [
    user("active", [SPB], lastSignInDateTime=ago(1)),
    user("disabled", [SPB], enabled=False, lastSignInDateTime=ago(1)),
    user("45-days", [SPB], lastSignInDateTime=ago(45)),
    user("100-days", [SPB, BASIC], lastSignInDateTime=ago(100)),
    user("never", [SPB]),
    # Interactive 200 days ago, but a non-interactive (token refresh) sign-in 10 days ago: in use.
    user("background", [BASIC], lastSignInDateTime=ago(200), lastNonInteractiveSignInDateTime=ago(10)),
    user("disabled-never", [BASIC], enabled=False),
    user("unlicensed", [], lastSignInDateTime=ago(300)),
]
SKUS = [
    sku(SPB, "SPB", 10, 5),
    sku(BASIC, "O365_BUSINESS_ESSENTIALS", 3, 3),
    sku(STANDARD, "O365_BUSINESS_PREMIUM", 2, 0),
]


def figures(rows: list[Any]) -> dict[str, tuple[Any, ...]]:
    return {
        r.sku_part_number: (
            r.prepaid,
            r.consumed,
            r.assigned_disabled,
            r.no_sign_in_30_days,
            r.no_sign_in_90_days,
            r.available,
        )
        for r in rows
    }


def test_r4_4_licence_report_figures_by_hand() -> None:
    rows = license_usage("t1", USERS, SKUS, now=NOW, sign_in_known=True)

    # SPB holders: active, disabled, 45-days, 100-days, never.
    #   disabled: 1 (disabled); no sign-in in 30 days (enabled only): 45-days, 100-days, never = 3;
    #   in 90 days: 100-days, never = 2; available 10 - 5 = 5.
    # Basic holders: 100-days, background, disabled-never.
    #   disabled: 1; no sign-in in 30 days: 100-days = 1 (background signed in non-interactively);
    #   in 90 days: 100-days = 1; available 3 - 3 = 0.
    # Standard: no holders; available 2 - 0 = 2.
    assert figures(rows) == {
        "SPB": (10, 5, 1, 3, 2, 5),
        "O365_BUSINESS_ESSENTIALS": (3, 3, 1, 1, 1, 0),
        "O365_BUSINESS_PREMIUM": (2, 0, 0, 0, 0, 2),
    }
    assert [r.sku_part_number for r in rows] == ["O365_BUSINESS_ESSENTIALS", "O365_BUSINESS_PREMIUM", "SPB"]
    assert {(r.tenant_id, r.computed_at) for r in rows} == {("t1", NOW)}


def test_r4_4_without_entra_id_p1_the_sign_in_columns_are_unknown_not_zero() -> None:
    rows = license_usage("t1", USERS, SKUS, now=NOW, sign_in_known=False)

    assert figures(rows) == {
        "SPB": (10, 5, 1, None, None, 5),
        "O365_BUSINESS_ESSENTIALS": (3, 3, 1, None, None, 0),
        "O365_BUSINESS_PREMIUM": (2, 0, 0, None, None, 2),
    }


def test_r4_4_a_sign_in_exactly_30_days_ago_is_within_the_window() -> None:
    users = [user("edge", [SPB], lastSignInDateTime=ago(30)), user("past", [SPB], lastSignInDateTime=ago(30.01))]

    (row,) = license_usage("t1", users, [sku(SPB, "SPB", 2, 2)], now=NOW, sign_in_known=True)

    assert (row.no_sign_in_30_days, row.no_sign_in_90_days) == (1, 0)


def test_r4_4_sku_ids_match_case_insensitively_and_a_user_counts_once_per_sku() -> None:
    users = [user("u", [SPB.upper(), SPB], enabled=False)]

    (row,) = license_usage("t1", users, [sku(SPB, "SPB", 1, 1)], now=NOW, sign_in_known=True)

    assert (row.sku_id, row.assigned_disabled) == (SPB, 1)


def test_r4_4_without_prepaid_units_available_is_unknown() -> None:
    (row,) = license_usage("t1", [], [sku(APPS, "O365_BUSINESS", None, 1)], now=NOW, sign_in_known=True)

    assert (row.prepaid, row.consumed, row.available) == (None, 1, None)


def test_r4_4_a_tenant_without_subscriptions_has_no_rows() -> None:
    assert license_usage("t1", USERS, [], now=NOW, sign_in_known=True) == []


def test_licence_csv_has_a_header_and_one_quoted_line_per_tenant_and_sku() -> None:
    base = license_usage("t1", USERS, SKUS[:1], now=NOW, sign_in_known=False)[0]
    rows = [
        LicenseReportRow.model_validate({**base.model_dump(), "tenantName": 'Smith, Jones & "Partners"'}),
        LicenseReportRow.model_validate({**base.model_dump(), "tenantName": "=HYPERLINK(1)", "tenantId": "t2"}),
    ]

    lines = to_csv(rows).split("\r\n")

    assert lines[0] == ",".join(header for header, _ in CSV_COLUMNS)
    assert lines[1] == (f't1,"Smith, Jones & ""Partners""",{SPB},SPB,10,5,1,,,5,2026-11-23T12:00:00+00:00')
    assert lines[2].startswith(f"t2,'=HYPERLINK(1),{SPB},")  # never read as a formula by a spreadsheet
    assert lines[3:] == [""]
