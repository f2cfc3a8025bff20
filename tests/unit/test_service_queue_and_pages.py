"""The small use cases the triggers call, on fakes: a queue message synced, a poison message recorded as
the tenant's failure, run history a page at a time, discovery with fresh suggestions, the directory."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from shared.errors import NotFound
from shared.models import MappingStatus, PsaClient, RunType, TenantStatus, Trigger, VerifiedDomain
from shared.models.graph_reads import Organization
from shared.models.queue import TenantMessage
from shared.service.directory import client_contacts, list_clients
from shared.service.run_history import runs_page
from shared.service.runs import start_run
from shared.service.tenant_queue import fail_from_poison, sync_from_message
from shared.service.tenants import discover_and_suggest, list_tenants, register_and_suggest
from tests.unit.fakes import (
    FakeClock,
    FakeGraph,
    FakeRunStore,
    FakeTenant,
    MemoryPsa,
    fake,
    fake_app,
    unit_settings,
)
from tests.unit.fakes.builders import CLIENT, TENANT, contact, entra_user, map_tenant


async def test_a_queue_message_syncs_its_tenant_and_a_malformed_one_raises_for_the_poison_queue() -> None:
    psa = MemoryPsa()
    app = fake_app(psa=psa, graph=FakeGraph([FakeTenant(TENANT, [entra_user("u-1")])]))
    await map_tenant(app)
    run, _ = await start_run(app, RunType.INITIAL, Trigger.MANUAL)

    await sync_from_message(app, TenantMessage(run_id=run.run_id, tenant_id=TENANT).to_json().encode())

    row = await app.runs.tenant_result(run.run_id, TENANT)
    assert row is not None and row.status is TenantStatus.SUCCEEDED and psa.writes == 1
    with pytest.raises(ValidationError):
        await sync_from_message(app, b'{"runId": ""}')


async def test_a_poison_message_fails_its_tenant_with_the_last_error_its_tries_noted() -> None:
    app = fake_app()
    await map_tenant(app)
    run, _ = await start_run(app, RunType.INITIAL, Trigger.MANUAL)
    rows = fake(app.runs, FakeRunStore).tenants[run.run_id]  # as a failed try leaves its row
    rows[TENANT] = rows[TENANT].model_copy(update={"error": "GraphError: 503"})
    body = TenantMessage(run_id=run.run_id, tenant_id=TENANT).to_json().encode()

    await fail_from_poison(app, body, message_id="m-1", tries=5)
    await fail_from_poison(app, b"not json", message_id="m-2", tries=1)  # left for inspection

    failed = await app.runs.tenant_result(run.run_id, TENANT)
    assert failed is not None and failed.status is TenantStatus.FAILED
    assert failed.error == "gave up after 5 tries: GraphError: 503"


async def test_r7_2_run_history_comes_a_page_at_a_time_newest_first() -> None:
    app = fake_app()
    clock = fake(app.clock, FakeClock)
    started = []
    for _ in range(3):
        run, _ = await start_run(app, RunType.ALL_TENANTS, Trigger.MANUAL)  # nothing mapped: complete at once
        started.append(run.run_id)
        clock.advance(timedelta(minutes=1))

    first = await runs_page(app, 2)
    last = await runs_page(app, 2, first.next)

    assert [r.run_id for r in first.runs] == started[::-1][:2] and first.next == started[1]
    assert [r.run_id for r in last.runs] == [started[0]] and last.next is None


async def test_discovery_is_followed_by_fresh_mapping_suggestions() -> None:
    org = Organization(id="t-r", display_name="Contoso", verified_domains=[VerifiedDomain(name="contoso.example")])
    graph = FakeGraph([FakeTenant("t-r", organization=org)])
    psa = MemoryPsa(clients=[PsaClient(id=CLIENT, name="Contoso", website="contoso.example")])
    app = fake_app(graph=graph, psa=psa, settings=unit_settings(DISCOVERY_MODE="registered"))

    tenant = await register_and_suggest(app, "t-r")
    report = await discover_and_suggest(app)

    assert tenant.domains == ["contoso.example"] and [t.tenant_id for t in await list_tenants(app)] == ["t-r"]
    assert report.found == 1 and [(m.tenant_id, m.status) for m in report.mappings] == [
        ("t-r", MappingStatus.AUTO_MATCHED)
    ]


async def test_the_directory_lists_clients_and_a_known_clients_contacts() -> None:
    psa = MemoryPsa(clients=[PsaClient(id=CLIENT, name="Contoso")], contacts=[contact("k-1", "ann.lee")])
    app = fake_app(psa=psa)

    assert [c.id for c in await list_clients(app)] == [CLIENT]
    assert [c.id for c in await client_contacts(app, CLIENT)] == ["k-1"]
    with pytest.raises(NotFound):
        await client_contacts(app, "c-unknown")
