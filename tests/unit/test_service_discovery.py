"""Discovery on fakes: the partner's active GDAP customers and registered tenants, each one's verified
domains and connection health; one tenant failing never stops the others; tenants that left are marked."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.errors import ConfigError, GraphError, GraphForbidden
from shared.models import ConnectionHealth, TenantSource, VerifiedDomain
from shared.models.graph_reads import DelegatedAdminRelationship, Organization, RelationshipCustomer
from shared.service.app import App
from shared.service.discovery import discover, register_tenant
from tests.unit.fakes import FakeClock, FakeGraph, FakeTenant, fake, fake_app, unit_settings

PARTNER = "t-partner"


def relationship(tenant_id: str, name: str, status: str = "active") -> DelegatedAdminRelationship:
    return DelegatedAdminRelationship(
        id=f"rel-{tenant_id}", status=status, customer=RelationshipCustomer(tenant_id=tenant_id, display_name=name)
    )


def customer(tenant_id: str, *domains: str) -> FakeTenant:
    verified = [VerifiedDomain(name=f"{tenant_id}.onmicrosoft.com", is_initial=True)]
    verified += [VerifiedDomain(name=d) for d in domains]
    return FakeTenant(tenant_id, organization=Organization(id=tenant_id, display_name=None, verified_domains=verified))


def world(mode: str = "gdap") -> tuple[App, FakeGraph]:
    graph = FakeGraph(
        [
            FakeTenant(
                PARTNER,
                relationships=[
                    relationship("t-a", "Contoso"),
                    relationship("t-b", "Fabrikam"),
                    relationship("t-x", "Expired", status="expired"),
                ],
            ),
            customer("t-a", "contoso.example", "Contoso.example"),
            customer("t-b", "fabrikam.example"),
        ]
    )
    settings = unit_settings(PARTNER_TENANT_ID=PARTNER, DISCOVERY_MODE=mode)
    return fake_app(graph=graph, settings=settings), graph


async def test_gdap_discovery_stores_each_active_customer_with_its_domains() -> None:
    app, _ = world()

    found = await discover(app)

    assert found.found == 2 and found.left == 0
    a = next(t for t in found.tenants if t.tenant_id == "t-a")
    assert (a.display_name, a.domains, a.initial_domain) == ("Contoso", ["contoso.example"], "t-a.onmicrosoft.com")
    assert a.health is ConnectionHealth.OK and a.managed and a.source is TenantSource.GDAP
    assert "t-x" not in {t.tenant_id for t in found.tenants}  # not an active relationship


@pytest.mark.parametrize(
    ("error", "health"),
    [
        (GraphForbidden("Directory.Read.All is missing", status=403), ConnectionHealth.FORBIDDEN),
        (GraphError("503 after 5 tries", status=503), ConnectionHealth.ERROR),
    ],
    ids=["forbidden", "error"],
)
async def test_one_tenant_failing_is_recorded_with_its_health_and_the_others_go_on(
    error: GraphError, health: ConnectionHealth
) -> None:
    app, graph = world()
    graph.tenants["t-b"].fail("organization", error)

    found = await discover(app)

    assert graph.tenants["t-b"].faults_fired["organization"] == 1
    by_id = {t.tenant_id: t for t in found.tenants}
    assert by_id["t-b"].health is health and by_id["t-b"].health_message == str(error)
    assert by_id["t-a"].health is ConnectionHealth.OK


async def test_an_unconsented_tenant_is_marked_not_consented() -> None:
    app, graph = world()
    graph.tenants["t-b"].consented = False

    found = await discover(app)

    assert next(t for t in found.tenants if t.tenant_id == "t-b").health is ConnectionHealth.NOT_CONSENTED


async def test_a_tenant_no_longer_in_the_relationships_is_marked_left_not_deleted() -> None:
    app, graph = world()
    await discover(app)
    graph.tenants[PARTNER].relationships = [relationship("t-a", "Contoso")]
    fake(app.clock, FakeClock).advance(timedelta(days=1))

    found = await discover(app)

    b = next(t for t in found.tenants if t.tenant_id == "t-b")
    assert found.left == 1 and not b.managed and b.left_at == app.clock()
    again = await discover(app)
    assert again.left == 0  # marked once
    assert next(t for t in again.tenants if t.tenant_id == "t-b").left_at == b.left_at


async def test_gdap_discovery_needs_the_partner_tenant_id() -> None:
    app = fake_app()

    with pytest.raises(ConfigError, match="PARTNER_TENANT_ID"):
        await discover(app)


async def test_a_registered_tenant_is_kept_by_registered_discovery() -> None:
    app, graph = world("registered")
    graph.add(customer("t-r", "northwind.example"))

    registered = await register_tenant(app, "t-r")
    found = await discover(app)

    assert registered.source is TenantSource.REGISTERED and registered.domains == ["northwind.example"]
    assert [t.tenant_id for t in found.tenants] == ["t-r"] and found.found == 1
    assert graph.tenants[PARTNER].calls["delegated_admin_relationships"] == 0
