"""Discovery through azure-identity and msgraph-sdk against the Graph simulator, stored in Azurite."""

from __future__ import annotations

from shared.devtools.environment import SimulatedEnvironment
from shared.models import ConnectionHealth, MappingStatus
from shared.service.discovery import discover, register_tenant
from shared.service.mappings import refresh_suggestions

GREENLEAF = "d4db95b7-337d-540d-8a9f-13b6f9b2058a"
NORTHSTAR = "d45acb64-8bba-5d09-932e-361164bfb6b2"
PIONEER = "7893f28e-f7e8-508b-beeb-55b763029caf"
HARBOR = "fdd5157a-662f-5456-b42f-4ae5fc274985"


async def test_discovers_active_gdap_tenants_with_their_verified_domains(env: SimulatedEnvironment) -> None:
    result = await discover(env.app)

    tenants = {t.tenant_id: t for t in result.tenants}
    assert set(tenants) == {GREENLEAF, NORTHSTAR, PIONEER, HARBOR}
    assert tenants[GREENLEAF].domains == ["greenleafdental.example"]  # R1.2: the initial domain left out
    assert tenants[GREENLEAF].initial_domain == "greenleafdental.onmicrosoft.com"
    assert all(t.health is ConnectionHealth.OK for t in tenants.values())
    assert all(t.discovered_at is not None and t.last_seen_at is not None for t in tenants.values())


async def test_throttled_graph_is_retried_after_retry_after_and_discovery_succeeds(env: SimulatedEnvironment) -> None:
    env.simulator.throttle(tenant=GREENLEAF, path="/organization", times=1, retry_after=1)
    env.simulator.unavailable(tenant=NORTHSTAR, path="/organization", times=1, retry_after=1)

    result = await discover(env.app)

    tenants = {t.tenant_id: t for t in result.tenants}
    assert tenants[GREENLEAF].health is ConnectionHealth.OK
    assert tenants[NORTHSTAR].health is ConnectionHealth.OK
    assert env.simulator.request_count(tenant=GREENLEAF, path="/organization") == 2  # the 429, then the retry


async def test_an_unconsented_tenant_is_recorded_and_does_not_stop_the_others(env: SimulatedEnvironment) -> None:
    env.simulator.configure_tenant(PIONEER, consented=False)

    result = await discover(env.app)

    tenants = {t.tenant_id: t for t in result.tenants}
    assert tenants[PIONEER].health is ConnectionHealth.NOT_CONSENTED
    assert "AADSTS700016" in (tenants[PIONEER].health_message or "")
    assert [t.health for tid, t in tenants.items() if tid != PIONEER] == [ConnectionHealth.OK] * 3


async def test_a_tenant_answering_500_is_recorded_with_the_error(env: SimulatedEnvironment) -> None:
    env.simulator.fail(500, tenant=HARBOR, path="/organization", times=None)

    tenants = {t.tenant_id: t for t in (await discover(env.app)).tenants}

    assert tenants[HARBOR].health is ConnectionHealth.ERROR
    assert "500" in (tenants[HARBOR].health_message or "")
    assert tenants[GREENLEAF].health is ConnectionHealth.OK


async def test_rediscovery_updates_and_never_duplicates(env: SimulatedEnvironment) -> None:
    await discover(env.app)
    await discover(env.app)

    assert len(await env.app.tenants.list()) == 4


async def test_a_tenant_that_left_is_marked_not_deleted(env: SimulatedEnvironment) -> None:
    await discover(env.app)
    env.simulator.configure_tenant(HARBOR, relationship="terminated")

    result = await discover(env.app)

    harbor = next(t for t in result.tenants if t.tenant_id == HARBOR)
    assert result.left == 1
    assert harbor.managed is False and harbor.left_at is not None
    assert len(result.tenants) == 4


async def test_tenant_by_tenant_registration_reads_the_tenant(env: SimulatedEnvironment) -> None:
    tenant = await register_tenant(env.app, PIONEER)

    assert tenant.source.value == "registered"
    assert tenant.domains == ["pioneerlegal.example"]
    assert tenant.health is ConnectionHealth.OK


async def test_northwind_suggestions_after_discovery(env: SimulatedEnvironment) -> None:
    await discover(env.app)

    mappings = {m.tenant_id: m for m in await refresh_suggestions(env.app)}

    assert mappings[GREENLEAF].status is MappingStatus.AUTO_MATCHED
    assert mappings[GREENLEAF].candidates[0].client_id == "c-greenleaf"
    assert mappings[NORTHSTAR].status is MappingStatus.AUTO_MATCHED
    assert mappings[PIONEER].status is MappingStatus.NEEDS_REVIEW
    assert [c.client_id for c in mappings[PIONEER].candidates] == ["c-pioneer"]
    assert mappings[HARBOR].status is MappingStatus.UNMATCHED and mappings[HARBOR].candidates == []
