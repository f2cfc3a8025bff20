"""Mapping decisions (SYNC_RULES R1.6, R1.7) on Azurite, with the directory as the PSA."""

from __future__ import annotations

import asyncio

import pytest

from shared.devtools.environment import SimulatedEnvironment
from shared.errors import Conflict, NotFound
from shared.models import MappingStatus
from shared.service.discovery import discover
from shared.service.mappings import Decision, decide, refresh_suggestions, unmap

GREENLEAF = "d4db95b7-337d-540d-8a9f-13b6f9b2058a"
NORTHSTAR = "d45acb64-8bba-5d09-932e-361164bfb6b2"
PIONEER = "7893f28e-f7e8-508b-beeb-55b763029caf"
HARBOR = "fdd5157a-662f-5456-b42f-4ae5fc274985"


@pytest.fixture
async def discovered(env: SimulatedEnvironment) -> SimulatedEnvironment:
    await discover(env.app)
    await refresh_suggestions(env.app)
    return env


async def test_r1_6_confirm_takes_the_suggested_client(discovered: SimulatedEnvironment) -> None:
    mapping = await decide(discovered.app, GREENLEAF, Decision.CONFIRM)

    assert mapping.status is MappingStatus.CONFIRMED and mapping.client_id == "c-greenleaf"
    assert mapping.decided_at is not None


async def test_r1_6_confirm_without_a_suggestion_is_refused(discovered: SimulatedEnvironment) -> None:
    with pytest.raises(Conflict, match="no suggested client"):
        await decide(discovered.app, HARBOR, Decision.CONFIRM)


async def test_r1_6_map_chooses_another_client(discovered: SimulatedEnvironment) -> None:
    mapping = await decide(discovered.app, PIONEER, Decision.MAP, client_id="c-pioneer")

    assert (mapping.status, mapping.client_id) == (MappingStatus.CONFIRMED, "c-pioneer")


async def test_r1_6_map_to_an_unknown_client_is_not_found(discovered: SimulatedEnvironment) -> None:
    with pytest.raises(NotFound):
        await decide(discovered.app, PIONEER, Decision.MAP, client_id="c-nope")


async def test_r1_6_import_creates_the_client_once_even_if_asked_twice(discovered: SimulatedEnvironment) -> None:
    first = await decide(discovered.app, HARBOR, Decision.IMPORT)
    await unmap(discovered.app, HARBOR)
    second = await decide(discovered.app, HARBOR, Decision.IMPORT)

    clients = await discovered.directory.list_clients()
    harbor = [c for c in clients if c.name == "Harbor Clinic"]
    assert len(harbor) == 1
    assert first.client_id == second.client_id == harbor[0].id
    assert harbor[0].website == "harborclinic.example"


async def test_r1_6_skip_then_unmap_returns_to_a_fresh_suggestion(discovered: SimulatedEnvironment) -> None:
    skipped = await decide(discovered.app, GREENLEAF, Decision.SKIP)
    assert skipped.status is MappingStatus.SKIPPED

    again = await unmap(discovered.app, GREENLEAF)

    assert again.status is MappingStatus.AUTO_MATCHED and again.client_id is None


async def test_r1_6_unmap_of_an_undecided_tenant_is_refused(discovered: SimulatedEnvironment) -> None:
    with pytest.raises(Conflict):
        await unmap(discovered.app, NORTHSTAR)


async def test_r1_7_a_client_cannot_be_mapped_to_a_second_tenant(discovered: SimulatedEnvironment) -> None:
    await decide(discovered.app, GREENLEAF, Decision.CONFIRM)

    with pytest.raises(Conflict, match="already mapped to tenant"):
        await decide(discovered.app, NORTHSTAR, Decision.MAP, client_id="c-greenleaf")


async def test_r1_7_two_concurrent_confirmations_of_one_client_map_it_once(discovered: SimulatedEnvironment) -> None:
    results = await asyncio.gather(
        decide(discovered.app, GREENLEAF, Decision.MAP, client_id="c-bluebird"),
        decide(discovered.app, HARBOR, Decision.MAP, client_id="c-bluebird"),
        return_exceptions=True,
    )

    assert sum(isinstance(r, Conflict) for r in results) == 1
    confirmed = [m for m in await discovered.app.mappings.list() if m.client_id == "c-bluebird"]
    assert len(confirmed) == 1


async def test_r1_7_remapping_a_tenant_releases_its_old_client(discovered: SimulatedEnvironment) -> None:
    await decide(discovered.app, GREENLEAF, Decision.CONFIRM)
    await decide(discovered.app, GREENLEAF, Decision.MAP, client_id="c-bluebird")

    mapping = await decide(discovered.app, NORTHSTAR, Decision.MAP, client_id="c-greenleaf")

    assert mapping.client_id == "c-greenleaf"


async def test_decided_mappings_survive_a_new_discovery(discovered: SimulatedEnvironment) -> None:
    await decide(discovered.app, PIONEER, Decision.MAP, client_id="c-pioneer")

    await discover(discovered.app)
    mappings = {m.tenant_id: m for m in await refresh_suggestions(discovered.app)}

    assert mappings[PIONEER].status is MappingStatus.CONFIRMED


async def test_unknown_tenant_is_not_found(discovered: SimulatedEnvironment) -> None:
    with pytest.raises(NotFound):
        await decide(discovered.app, "00000000-0000-0000-0000-000000000000", Decision.SKIP)
