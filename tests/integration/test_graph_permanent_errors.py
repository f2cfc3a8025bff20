"""Graph errors that no retry can fix (issue 13): a deleted group in the filters (404), a malformed id
(400), a wrong client secret. Against the Graph simulator, counting the requests it saw."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from shared.bootstrap import default_graph
from shared.devtools.environment import SimulatedEnvironment
from shared.errors import GraphCredentialRejected, GraphPermanent, GraphRequestRefused
from shared.models import Filters, RunType, SyncSettings, TenantStatus
from tests.integration.helpers import GREENLEAF, driver, map_northwind, run_sync

GONE = "00000000-0000-4000-8000-00000000dead"  # a group deleted after the filter was saved
MALFORMED = "sales-team"


async def wrong_secret(env: SimulatedEnvironment) -> None:
    """From now on the app asks for tokens with a secret Entra does not know."""
    settings = env.app.settings.model_copy(update={"graph_client_secret": SecretStr("not-the-secret")})
    if env.app._graph is not None:
        await env.app._graph.aclose()
    env.app.graph_factory = lambda: default_graph(settings)
    env.app._graph = None


async def test_a_deleted_group_is_refused_once_naming_the_group(env: SimulatedEnvironment) -> None:
    graph = env.app.graph.tenant(GREENLEAF)

    with pytest.raises(GraphRequestRefused) as refused:
        await graph.group_member_ids(GONE)

    assert refused.value.status == 404 and GONE in str(refused.value) and "group filter" in str(refused.value)
    assert env.simulator.request_count(tenant=GREENLEAF, path=f"/groups/{GONE}") == 1  # the SDK did not retry


async def test_a_malformed_group_id_is_refused_once(env: SimulatedEnvironment) -> None:
    env.simulator.fail(
        400,
        tenant=GREENLEAF,
        path=f"/groups/{MALFORMED}",
        times=None,
        code="Request_BadRequest",
        message=f"Invalid object identifier '{MALFORMED}'.",
    )
    graph = env.app.graph.tenant(GREENLEAF)

    with pytest.raises(GraphRequestRefused) as refused:
        await graph.group_member_ids(MALFORMED)

    assert refused.value.status == 400 and MALFORMED in str(refused.value)
    assert env.simulator.request_count(tenant=GREENLEAF, path=f"/groups/{MALFORMED}") == 1


async def test_a_wrong_client_secret_is_a_permanent_error_asked_once(env: SimulatedEnvironment) -> None:
    await wrong_secret(env)

    with pytest.raises(GraphCredentialRejected) as refused:
        await env.app.graph.tenant(GREENLEAF).organization()

    assert isinstance(refused.value, GraphPermanent)
    assert "AADSTS7000215" in str(refused.value) and "GRAPH_CLIENT_SECRET" in str(refused.value)
    assert "not-the-secret" not in str(refused.value)
    assert env.simulator.request_count(service="login", path=f"/{GREENLEAF}/oauth2/v2.0/token") == 1
    assert env.simulator.request_count(tenant=GREENLEAF) == 0  # Graph itself never asked


async def test_a_group_that_exists_is_reported_so(env: SimulatedEnvironment) -> None:
    sales = "5b0c7a8e-2f4d-4c1b-9e3a-7d6f1a2b3c4d"
    with env.simulator.state.locked():
        env.simulator.state.get(GREENLEAF).groups[sales] = {"id": sales, "displayName": "Sales", "members": []}
    graph = env.app.graph.tenant(GREENLEAF)

    assert await graph.group_exists(sales) is True
    assert await graph.group_exists(GONE) is False


async def test_a_deleted_group_in_the_filters_fails_the_tenant_at_once_naming_the_group(
    env: SimulatedEnvironment,
) -> None:
    await map_northwind(env)
    await env.app.sync_settings.save_global(SyncSettings(filters=Filters(groups=[GONE])))
    queue = driver(env)

    run = await run_sync(env, RunType.TENANT, tenant_id=GREENLEAF, queue=queue)

    [greenleaf] = run.tenants
    assert greenleaf.status is TenantStatus.FAILED and GONE in (greenleaf.error or "")
    assert queue.failures == 0
    assert env.simulator.request_count(tenant=GREENLEAF, path=f"/groups/{GONE}") == 1


async def test_a_wrong_client_secret_fails_the_tenant_at_once(env: SimulatedEnvironment) -> None:
    await map_northwind(env)
    await wrong_secret(env)
    queue = driver(env)

    run = await run_sync(env, RunType.TENANT, tenant_id=GREENLEAF, queue=queue)

    [greenleaf] = run.tenants
    assert greenleaf.status is TenantStatus.FAILED and "AADSTS7000215" in (greenleaf.error or "")
    assert queue.failures == 0
