"""The MSP's Microsoft 365 reports on fakes: licence usage by tenant name, a client's Secure Score trend,
and the App's own lifecycle (Graph built on first use, everything closed once)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.errors import NotFound, ValidationFailed
from shared.models import PsaClient, Tenant
from shared.models.licenses import SkuUsage
from shared.models.secure_score import ScorePoint
from shared.service.reports import license_report, secure_score_trend
from tests.unit.fakes import FakeGraph, MemoryPsa, fake_app

NOW = datetime(2025, 3, 3, tzinfo=UTC)


async def test_the_licence_report_names_each_tenant_and_sorts_by_name_then_sku() -> None:
    app = fake_app()
    await app.tenants.save_many(
        [Tenant(tenant_id="t-1", display_name="Zephyr"), Tenant(tenant_id="t-2", display_name="alpha")]
    )
    await app.licenses.replace("t-1", [SkuUsage(tenant_id="t-1", sku_id="s-1", sku_part_number="SPB", computed_at=NOW)])
    await app.licenses.replace(
        "t-2",
        [
            SkuUsage(tenant_id="t-2", sku_id="s-2", sku_part_number="O365_BUSINESS_PREMIUM", computed_at=NOW),
            SkuUsage(tenant_id="t-2", sku_id="s-1", sku_part_number="EXCHANGESTANDARD", computed_at=NOW),
        ],
    )

    rows = await license_report(app)
    one = await license_report(app, "t-1")

    assert [(r.tenant_name, r.sku_part_number) for r in rows] == [
        ("alpha", "EXCHANGESTANDARD"),
        ("alpha", "O365_BUSINESS_PREMIUM"),
        ("Zephyr", "SPB"),
    ]
    assert [r.tenant_id for r in one] == ["t-1"]
    with pytest.raises(NotFound):
        await license_report(app, "t-unknown")


@pytest.mark.parametrize("tenant_id", ["t/1", "t#1", "t\x001", "t" * 513])
async def test_the_licence_report_refuses_a_tenant_id_that_cannot_be_a_storage_key(tenant_id: str) -> None:
    with pytest.raises(ValidationFailed, match="cannot be used as a storage key") as refused:
        await license_report(fake_app(), tenant_id)

    assert refused.value.field == "tenantId"


async def test_a_clients_secure_score_trend_compares_with_a_week_and_a_month_before() -> None:
    app = fake_app(psa=MemoryPsa(clients=[PsaClient(id="c-1", name="Contoso")]))
    for day, score in ((date(2025, 1, 1), 40.0), (date(2025, 1, 24), 50.0), (date(2025, 1, 31), 55.5)):
        await app.secure_scores.record("c-1", ScorePoint(date=day, current_score=score, tenant_id="t-1"))
    await app.secure_scores.record("c-1", ScorePoint(date=date(2025, 1, 31), current_score=56.0, tenant_id="t-1"))

    trend = await secure_score_trend(app, "c-1")

    assert trend.latest is not None and trend.latest.current_score == 56.0  # a re-run the same day replaces
    assert (trend.change_7_days, trend.change_30_days) == (6.0, 16.0)
    assert len(trend.history) == 3
    with pytest.raises(NotFound):
        await secure_score_trend(app, "c-unknown")


async def test_the_app_builds_graph_on_first_use_and_closes_it_and_its_closers_once() -> None:
    graph = FakeGraph()
    closed: list[str] = []

    async def close_psa() -> None:
        closed.append("psa")

    app = fake_app(graph=graph, closers=[close_psa])
    await app.ensure()  # nothing to create for fakes

    assert app.graph is graph and app.graph is graph
    await app.aclose()
    await app.aclose()

    assert graph.closed and closed == ["psa"]
