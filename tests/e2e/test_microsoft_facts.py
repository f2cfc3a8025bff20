"""R4.4 end to end on northwind: the unused-licence report (JSON and CSV), the Secure Score trend, and the
Microsoft 365 facts beside contacts, read through the HTTP API after real runs.

Hand computation from shared/devtools/scenarios/northwind.json, clock 2026-11-23 12:00 UTC:

GreenLeaf Dental Group (Entra ID P1)
  SPB, prepaid 6, consumed 4: held by Jordan (signed in 11-20), Priya (11-21), Sam (11-22), Maya (11-22),
    all enabled -> disabled 0; every sign-in within 4 days -> no sign-in in 30 days 0, in 90 days 0;
    available 6 - 4 = 2.
  O365_BUSINESS_ESSENTIALS, prepaid 2, consumed 1: held by Sam -> 0, 0, 0; available 2 - 1 = 1.
Northstar Accounting (no P1: sign-in columns unknown, null)
  O365_BUSINESS_PREMIUM, prepaid 5, consumed 3: Alex, Dana, Chris, enabled -> 0, null, null; available 2.
  O365_BUSINESS_ESSENTIALS, prepaid 1, consumed 1: Lee -> 0, null, null; available 0.
Pioneer Legal Services (P1)
  SPB, prepaid 2, consumed 2: Ruth and Tom, enabled, never signed in -> 0, 2, 2; available 0.
Harbor Clinic is skipped (not mapped): no rows.

Second pass, clock 2027-01-10 12:00 UTC, Dana disabled, GreenLeaf's Business Basic subscription gone:
  GreenLeaf SPB: last sign-ins 49-51 days old -> no sign-in in 30 days 4, in 90 days 0;
  GreenLeaf O365_BUSINESS_ESSENTIALS: row removed; Northstar O365_BUSINESS_PREMIUM: disabled 1.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.devtools.environment import SimulatedEnvironment
from shared.models import RunType, TenantStatus
from shared.sync.facts import P1_NOTE
from tests.e2e.http_support import Reply, call
from tests.integration.helpers import GREENLEAF, NORTHSTAR, PIONEER, map_northwind, run_sync

pytestmark = pytest.mark.integration

FIRST = datetime(2026, 11, 23, 12, tzinfo=UTC)
LATER = datetime(2027, 1, 10, 12, tzinfo=UTC)
FIGURES = ("prepaid", "consumed", "assignedDisabled", "noSignIn30Days", "noSignIn90Days", "available")
EXPECTED = {
    (GREENLEAF, "SPB"): (6, 4, 0, 0, 0, 2),
    (GREENLEAF, "O365_BUSINESS_ESSENTIALS"): (2, 1, 0, 0, 0, 1),
    (NORTHSTAR, "O365_BUSINESS_PREMIUM"): (5, 3, 0, None, None, 2),
    (NORTHSTAR, "O365_BUSINESS_ESSENTIALS"): (1, 1, 0, None, None, 0),
    (PIONEER, "SPB"): (2, 2, 0, 2, 2, 0),
}
NAMES = {GREENLEAF: "GreenLeaf Dental Group", NORTHSTAR: "Northstar Accounting", PIONEER: "Pioneer Legal Services"}


async def get(url: str, params: dict[str, str] | None = None) -> Reply:
    return await call("GET", url, params=params)


def by_sku(rows: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {(r["tenantId"], r["skuPartNumber"]): tuple(r[f] for f in FIGURES) for r in rows}


@pytest.fixture
async def synced(env: SimulatedEnvironment) -> SimulatedEnvironment:
    env.app.clock = lambda: FIRST
    await map_northwind(env)
    await run_sync(env, RunType.INITIAL)
    return env


async def test_r4_4_licence_report_has_the_hand_computed_figures_per_tenant_and_sku(
    synced: SimulatedEnvironment,
) -> None:
    response = await get("/api/licenses")

    assert response.status == 200
    rows = response.json
    assert by_sku(rows) == EXPECTED
    assert {r["tenantId"]: r["tenantName"] for r in rows} == NAMES
    greenleaf_spb = next(r for r in rows if (r["tenantId"], r["skuPartNumber"]) == (GREENLEAF, "SPB"))
    assert greenleaf_spb["skuId"] == "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"
    assert greenleaf_spb["computedAt"].startswith("2026-11-23T12:00:00")


async def test_r4_4_licence_report_as_csv_gives_the_same_figures(synced: SimulatedEnvironment) -> None:
    response = await get("/api/licenses", {"format": "csv"})

    assert response.status == 200
    assert response.content_type == "text/csv"
    lines = list(csv.DictReader(io.StringIO(response.text)))
    assert len(lines) == len(EXPECTED)
    as_json = [{**line, **{f: int(line[f]) if line[f] else None for f in FIGURES}} for line in lines]
    assert by_sku(as_json) == EXPECTED
    assert {line["tenantId"]: line["tenantName"] for line in lines} == NAMES
    northstar = [line for line in lines if line["tenantId"] == NORTHSTAR]
    assert {(line["noSignIn30Days"], line["noSignIn90Days"]) for line in northstar} == {("", "")}


async def test_r4_4_licence_report_narrows_to_one_tenant(synced: SimulatedEnvironment) -> None:
    response = await get("/api/licenses", {"tenantId": GREENLEAF, "format": "csv"})
    lines = list(csv.DictReader(io.StringIO(response.text)))
    assert [(line["tenantName"], line["skuPartNumber"]) for line in lines] == [
        ("GreenLeaf Dental Group", "O365_BUSINESS_ESSENTIALS"),
        ("GreenLeaf Dental Group", "SPB"),
    ]

    northstar = (await get("/api/licenses", {"tenantId": NORTHSTAR})).json
    assert {r["skuPartNumber"]: (r["noSignIn30Days"], r["noSignIn90Days"]) for r in northstar} == {
        "O365_BUSINESS_ESSENTIALS": (None, None),
        "O365_BUSINESS_PREMIUM": (None, None),
    }


async def test_licence_report_refuses_an_unknown_tenant_and_format(synced: SimulatedEnvironment) -> None:
    unknown = await get("/api/licenses", {"tenantId": "00000000-0000-0000-0000-000000000000"})
    bad_format = await get("/api/licenses", {"format": "xlsx"})

    assert unknown.status == 404
    assert bad_format.status == 400 and bad_format.error["field"] == "format"


async def test_r4_4_next_full_pass_recounts_and_removes_vanished_skus(synced: SimulatedEnvironment) -> None:
    env = synced
    env.simulator.apply({"op": "disable", "tenantId": NORTHSTAR, "userId": "99e1a9b4-8743-516b-913c-0d458e0871b1"})
    greenleaf = env.simulator.state.get(GREENLEAF)
    with env.simulator.state.locked():
        greenleaf.subscribed_skus = [s for s in greenleaf.subscribed_skus if s["skuPartNumber"] == "SPB"]
    env.app.clock = lambda: LATER

    await run_sync(env, RunType.INITIAL)  # an initial run always reads every user (a full pass)

    rows = by_sku((await get("/api/licenses")).json)
    assert rows[(GREENLEAF, "SPB")] == (6, 4, 0, 4, 0, 2)
    assert (GREENLEAF, "O365_BUSINESS_ESSENTIALS") not in rows
    assert rows[(NORTHSTAR, "O365_BUSINESS_PREMIUM")] == (5, 3, 1, None, None, 2)


async def test_r4_4_secure_score_trend_gives_greenleaf_41_5_of_78(synced: SimulatedEnvironment) -> None:
    response = await get("/api/clients/c-greenleaf/secure-score")

    assert response.status == 200
    trend = response.json
    assert trend["latest"] == {"date": "2026-11-22", "currentScore": 41.5, "maxScore": 78.0, "tenantId": GREENLEAF}
    assert trend["history"] == [trend["latest"]]
    assert (trend["change7Days"], trend["change30Days"]) == (None, None)  # one day of history: no change known


async def test_secure_score_of_an_unknown_client_is_404(synced: SimulatedEnvironment) -> None:
    response = await get("/api/clients/c-nobody/secure-score")

    assert response.status == 404


async def test_r4_4_sam_rivera_holds_business_premium_and_basic(synced: SimulatedEnvironment) -> None:
    contacts = {c.id: c for c in await synced.app.psa.list_contacts("c-greenleaf")}

    sam = contacts["k-gl-3"].microsoft
    assert sam is not None
    assert sam.license == "Microsoft 365 Business Premium"
    assert sam.licenses == ["O365_BUSINESS_ESSENTIALS", "SPB"]


async def test_r4_4_northstar_without_p1_succeeds_and_its_contacts_have_no_mfa_or_sign_in(
    synced: SimulatedEnvironment,
) -> None:
    (run,) = await synced.app.runs.page(1)
    northstar = await synced.app.runs.tenant_result(run.run_id, NORTHSTAR)
    assert northstar is not None
    assert northstar.status is TenantStatus.SUCCEEDED and P1_NOTE in northstar.notes
    contacts = await synced.app.psa.list_contacts("c-northstar")

    assert len(contacts) == 4  # Alex linked to k-ns-1; Dana, Lee and Chris created
    for contact in contacts:
        facts = contact.microsoft
        assert facts is not None
        assert (facts.mfa_registered, facts.mfa_methods, facts.last_sign_in) == (None, None, None)
        assert facts.notes == [P1_NOTE]
