"""A PSA refusing the write of a client's Microsoft facts (licence counts, Secure Score) is a note on the
tenant, never its failure (R8.4, issue 13): every vendor, against its API fake, refusing that one request
its own way; the contacts are synced, the run completes, and the next full pass writes the facts."""

from __future__ import annotations

import pytest

from shared.devtools.simulator import Scenario
from shared.models import RunStatus, RunType, TenantStatus
from tests.integration.helpers import GREENLEAF
from tests.integration.psa_world import PSAS, psa_world

pytestmark = pytest.mark.integration

# Each vendor's client facts write, and the status it refuses an item with (Autotask: 500 with errors).
CLIENT_WRITE = {
    "syncro": ("PUT", "/customers/", 422),
    "alga": ("PUT", "/clients/", 400),
    "halopsa": ("POST", "/api/Client", 400),
    "connectwise": ("PATCH", "/company/companies/", 400),
    "autotask": ("PATCH", "/ATServicesRest/V1.0/Companies", 500),
}


@pytest.mark.parametrize("psa", [p for p in PSAS if p in CLIENT_WRITE])
async def test_r8_4_a_refused_client_facts_write_is_a_note_and_the_tenant_succeeds(
    northwind: Scenario, psa: str
) -> None:
    async with psa_world(northwind, psa) as world:
        fake = world.env.fake
        assert fake is not None
        method, path, status = CLIENT_WRITE[psa]
        refusal = fake.fault(status, path_prefix=path, method=method, times=None)

        run = await world.sync(RunType.INITIAL)

        assert refusal.hits >= 1, "the client facts write was never refused"
        assert run.status is RunStatus.COMPLETED, [(t.tenant_id, t.error) for t in run.tenants]
        greenleaf = next(t for t in run.tenants if t.tenant_id == GREENLEAF)
        assert greenleaf.status is TenantStatus.SUCCEEDED and greenleaf.counts.created >= 1
        assert any("client's Microsoft facts not written" in note for note in greenleaf.notes), greenleaf.notes

        fake.clear_faults()
        again = await world.sync()  # a manual run: a full pass
        assert next(t for t in again.tenants if t.tenant_id == GREENLEAF).pass_kind == "full"
        client = next(c for c in (await world.held()).clients if c.id == "c-greenleaf")
        assert client.microsoft is not None and client.microsoft.secure_score == 41.5
