"""Tenant -> client mappings on fakes (R1): suggestions, an operator's decisions, one client per tenant."""

from __future__ import annotations

import pytest

from shared.errors import Conflict, NotFound, ValidationFailed
from shared.models import Mapping, MappingStatus, PsaClient, Tenant
from shared.service.app import App
from shared.service.mappings import Decision, decide, list_mappings, refresh_suggestions, unmap
from tests.unit.fakes import FakeMappingStore, MemoryPsa, fake, fake_app

CLIENTS = [
    PsaClient(id="c-contoso", name="Contoso Ltd", website="https://www.contoso.example/"),
    PsaClient(id="c-fabrikam", name="Fabrikam", website="fabrikam.example"),
    PsaClient(id="c-fab-2", name="Fabrikam Group", domains=["fabrikam.example"]),
    PsaClient(id="c-tailspin", name="Tailspin Toys Inc"),
]
TENANTS = [
    Tenant(tenant_id="t-contoso", display_name="Contoso", domains=["contoso.example"]),
    Tenant(tenant_id="t-fabrikam", display_name="Fabrikam", domains=["fabrikam.example"]),
    Tenant(tenant_id="t-tailspin", display_name="Tailspin Toys", domains=["tailspin.example"]),
    Tenant(tenant_id="t-new", display_name="Northwind Traders", domains=["northwind.example"]),
    Tenant(tenant_id="t-left", display_name="Gone", domains=["gone.example"], managed=False),
]


async def world() -> tuple[App, MemoryPsa]:
    psa = MemoryPsa(clients=CLIENTS)
    app = fake_app(psa=psa)
    await app.tenants.save_many(TENANTS)
    return app, psa


async def suggestions() -> tuple[App, MemoryPsa, dict[str, Mapping]]:
    app, psa = await world()
    return app, psa, {m.tenant_id: m for m in await refresh_suggestions(app)}


async def test_r1_4_r1_5_r1_6_every_managed_tenant_gets_a_suggestion() -> None:
    _, _, found = await suggestions()

    assert set(found) == {"t-contoso", "t-fabrikam", "t-tailspin", "t-new"}  # not the tenant that left
    assert found["t-contoso"].status is MappingStatus.AUTO_MATCHED
    assert found["t-contoso"].candidates[0].client_id == "c-contoso"
    assert found["t-fabrikam"].status is MappingStatus.NEEDS_REVIEW  # two clients share its domain
    assert {c.client_id for c in found["t-fabrikam"].candidates} >= {"c-fabrikam", "c-fab-2"}
    assert found["t-tailspin"].status is MappingStatus.NEEDS_REVIEW  # by name only: never auto-matched
    assert found["t-new"].status is MappingStatus.UNMATCHED


async def test_r1_6_confirming_the_suggestion_maps_the_tenant_and_a_refresh_keeps_the_decision() -> None:
    app, _, _ = await suggestions()

    confirmed = await decide(app, "t-contoso", Decision.CONFIRM, by="ops@msp.example")

    assert (confirmed.status, confirmed.client_id, confirmed.decided_by) == (
        MappingStatus.CONFIRMED,
        "c-contoso",
        "ops@msp.example",
    )
    assert confirmed.decided_at is not None
    after = {m.tenant_id: m for m in await refresh_suggestions(app)}
    assert after["t-contoso"] == confirmed
    assert await decide(app, "t-contoso", Decision.CONFIRM) == confirmed  # the same pair again: no change


async def test_r1_5_a_tie_between_candidates_cannot_be_confirmed_without_a_choice() -> None:
    app, _, found = await suggestions()
    tied = found["t-fabrikam"].candidates
    assert tied[0].score == tied[1].score

    with pytest.raises(Conflict, match="equally good"):
        await decide(app, "t-fabrikam", Decision.CONFIRM)
    with pytest.raises(Conflict, match="no suggested client"):
        await decide(app, "t-new", Decision.CONFIRM)

    chosen = await decide(app, "t-fabrikam", Decision.MAP, client_id="c-fab-2")
    assert chosen.client_id == "c-fab-2"


async def test_mapping_to_a_client_needs_a_known_client_id() -> None:
    app, _, _ = await suggestions()

    with pytest.raises(ValidationFailed) as missing:
        await decide(app, "t-new", Decision.MAP)
    assert missing.value.field == "clientId"
    with pytest.raises(NotFound):
        await decide(app, "t-new", Decision.MAP, client_id="c-nowhere")
    with pytest.raises(NotFound):
        await decide(app, "t-undiscovered", Decision.SKIP)
    with pytest.raises(Conflict, match="no longer managed"):
        await decide(app, "t-left", Decision.SKIP)


async def test_r1_7_a_client_is_mapped_to_one_tenant_at_most() -> None:
    app, _, _ = await suggestions()
    await decide(app, "t-contoso", Decision.CONFIRM)

    with pytest.raises(Conflict):
        await decide(app, "t-new", Decision.MAP, client_id="c-contoso")

    assert fake(app.mappings, FakeMappingStore).claims == {"c-contoso": "t-contoso"}


async def test_r1_7_remapping_a_tenant_releases_its_old_client() -> None:
    app, _, _ = await suggestions()
    await decide(app, "t-fabrikam", Decision.MAP, client_id="c-fabrikam")

    await decide(app, "t-fabrikam", Decision.MAP, client_id="c-fab-2")
    freed = await decide(app, "t-new", Decision.MAP, client_id="c-fabrikam")

    assert freed.client_id == "c-fabrikam"


async def test_r1_6_import_creates_the_client_once_even_if_asked_twice() -> None:
    app, psa, _ = await suggestions()

    first = await decide(app, "t-new", Decision.IMPORT)
    await unmap(app, "t-new")
    second = await decide(app, "t-new", Decision.IMPORT)

    assert first.client_id == second.client_id and first.imported_client_id == first.client_id
    assert psa.done["create_client"] == 1
    assert psa.clients[first.client_id or ""].name == "Northwind Traders"
    assert psa.clients[first.client_id or ""].website == "northwind.example"


async def test_r1_6_skip_and_unmap() -> None:
    app, _, _ = await suggestions()
    await decide(app, "t-contoso", Decision.CONFIRM)

    skipped = await decide(app, "t-contoso", Decision.SKIP)
    assert skipped.status is MappingStatus.SKIPPED and skipped.client_id is None
    assert fake(app.mappings, FakeMappingStore).claims == {}  # the client is free again

    back = await unmap(app, "t-contoso")
    assert back.status is MappingStatus.AUTO_MATCHED  # a fresh suggestion
    with pytest.raises(Conflict, match="nothing to unmap"):
        await unmap(app, "t-contoso")
    assert [m.tenant_id for m in await list_mappings(app)] == ["t-contoso", "t-fabrikam", "t-new", "t-tailspin"]
