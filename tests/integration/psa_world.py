"""One world per PSA for suites that take the connector as a parameter (the contract suite; the crash
matrix and the soak may use it too): the northwind scenario in the simulated environment with the PSA
under test behind the app's own connector, the tenants mapped, and the few things a test does to the
PSA itself, each the vendor's own way: a person's edit, a refused create, a throttle, an outage."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from azure.core.exceptions import ServiceRequestError

from shared.bootstrap import set_app
from shared.devtools.counting import CountingConnector
from shared.devtools.driver import QueueDriver
from shared.devtools.environment import SimulatedEnvironment, simulated_environment
from shared.devtools.psa_fakes import (
    AlgaFake,
    AutotaskFake,
    ConnectWiseFake,
    HaloFake,
    PsaFault,
    RequestRecord,
    SyncroFake,
)
from shared.devtools.psa_load import Held, PsaTally
from shared.devtools.simulator import Scenario
from shared.models import PsaContact, RunRecord, RunType, UserOutcome
from shared.psa.directory import TableDirectory
from shared.store.names import Table
from tests.integration.helpers import driver, map_northwind, run_sync

__all__ = [
    "FAST_PACE",
    "PSAS",
    "PsaWorld",
    "StorageFaults",
    "duplicates",
    "outcome",
    "partial_update",
    "psa_world",
]

PSAS = ["directory", "syncro", "alga", "halopsa", "connectwise", "autotask"]
# Our own pacing out of the way (the fakes still enforce the vendor's limits): tests stay quick. Each
# vendor takes the keys its settings have (HaloPSA's window; Autotask's budget is at most the database's,
# its loader's default). HaloPSA's arrays of one user: a fault refuses a whole request, so one user.
FAST_PACE: dict[str, Any] = {"rate_limit_per_minute": 60_000, "burst": 1_000, "rate_limit_requests": 100_000}
HALO_ONE_BY_ONE: dict[str, Any] = {"batch_size": 1}
# Where each vendor's contact requests go (its faults' path prefix), and a create's.
CONTACTS = {
    "syncro": "/contacts",
    "alga": "/contacts",
    "halopsa": "/api/Users",
    "connectwise": "/company/contacts",
    "autotask": "/ATServicesRest/V1.0",
}
CREATES = CONTACTS | {"autotask": "/ATServicesRest/V1.0/Companies"}


class StorageFaults:
    """Storage request hooks that make one table unreachable for the next `times` requests, as a
    connection that cannot be made (`ServiceRequestError`: the SDK retries it, then the app's storage
    policy gives up with StorageUnavailable). `hits` counts the requests failed."""

    def __init__(self) -> None:
        self.table_name: str | None = None
        self.remaining = 0
        self.hits = 0

    def arm(self, table_name: str, times: int) -> None:
        """`times` more failures of requests to `table_name` (added to any still armed)."""
        self.table_name = table_name
        self.remaining += times

    def table(self, request: Any) -> None:
        url = str(request.http_request.url)
        if self.remaining > 0 and self.table_name is not None and self.table_name in url:
            self.remaining -= 1
            self.hits += 1
            raise ServiceRequestError(f"injected: {self.table_name} unreachable")

    def queue(self, request: Any) -> None:
        return None


@dataclass
class PsaWorld:
    env: SimulatedEnvironment
    storage_faults: StorageFaults

    @property
    def name(self) -> str:
        return self.env.psa_name

    def psa_id(self, kind: str, scenario_id: str) -> str:
        return self.env.ids.psa("client" if kind == "client" else "contact", scenario_id)

    async def sync(self, run_type: RunType = RunType.ALL_TENANTS, **options: Any) -> RunRecord:
        return await run_sync(self.env, run_type, **options)

    async def held(self) -> Held:
        return await self.env.held()

    def tally(self) -> PsaTally:
        return self.env.tally()

    # --- what a person or the PSA does -----------------------------------------------------------

    async def person_sets_email(self, contact_id: str, email: str) -> None:
        """A person changes a contact's primary email in the PSA, as its UI or API would."""
        held = (await self.held()).contact(contact_id)
        psa_id, client = self.psa_id("contact", contact_id), self.psa_id("client", held.client_id)
        fake = self.env.fake
        if fake is None:
            await self.directory().update_contact(client, psa_id, {"email": email})
        elif isinstance(fake, SyncroFake):
            body: dict[str, Any] = {"name": f"{held.first_name} {held.last_name}".strip(), "email": email}
            await _put(f"{fake.base_url}/contacts/{psa_id}", body, {"Authorization": fake.api_key})
        elif isinstance(fake, AlgaFake):  # Alga's rule: the old primary is demoted to an additional email
            body = {"email": email, "additional_email_addresses": [{"email_address": held.email}]}
            await _put(f"{fake.base_url}/contacts/{psa_id}", body, {"x-api-key": fake.api_key})
        elif isinstance(fake, HaloFake):
            await _send("POST", f"{fake.base_url}/Users", [{"id": int(psa_id), "emailaddress": email}], _halo(fake))
        elif isinstance(fake, ConnectWiseFake):  # a communication item's value, as ConnectWise's UI changes it
            items = fake.entity("contact", int(psa_id))["communicationItems"]
            item = next(i for i in items if i["communicationType"] == "Email" and i["defaultFlag"])
            url = f"{fake.base_url}/company/contacts/{psa_id}/communications/{item['id']}"
            await _send("PATCH", url, [{"op": "replace", "path": "value", "value": email}], fake.auth_headers())
        elif isinstance(fake, AutotaskFake):
            url = f"{fake.base_url}/V1.0/Companies/{client}/Contacts"
            await _send("PATCH", url, {"id": int(psa_id), "emailAddress": email}, fake.auth_headers())
        else:
            raise TypeError(f"no person's edit for {self.name}")

    async def refuse_next_create(self, email: str) -> PsaFault | None:
        """The PSA refuses the next contact create, its own way: the directory and Alga because another
        client's contact holds `email` (R3.5); Syncro, HaloPSA, ConnectWise and Autotask, which have no
        such rule, with a fault answered as each refuses an item (Syncro 422, Halo and ConnectWise 400,
        Autotask 500 with `errors`): the next create, whoever's it is. Answers the fault, or None where
        the refusal is the PSA's rule."""
        fake = self.env.fake
        if fake is None:
            strict = TableDirectory(self.env.account, unique_emails=True)
            await strict.put_contacts([PsaContact(id="k-bb-9", client_id="c-bluebird", first_name="X", email=email)])
            self.env.app.psa = CountingConnector(strict)
            return None
        if isinstance(fake, AlgaFake):
            bluebird = self.psa_id("client", "c-bluebird")
            fake.load(contacts=[{"full_name": "Someone Else", "email": email, "client_id": bluebird}])
            return None
        status = {"syncro": 422, "autotask": 500}.get(self.name, 400)
        return fake.fault(status, path_prefix=CREATES[self.name], method="POST", times=1)

    def throttle(self, times: int, *, retry_after: int | None) -> PsaFault | StorageFaults:
        """The next `times` contact requests are told to slow down (429, with or without Retry-After);
        the directory's own throttle is Table Storage's, retried by the SDK: its contact table fails
        as many requests transiently."""
        fake = self.env.fake
        if fake is None:
            self.storage_faults.arm(Table.DIRECTORY_CONTACTS, times)
            return self.storage_faults
        return fake.fault(429, retry_after=retry_after, times=times, path_prefix=CONTACTS[self.name])

    def outage(self, times: int) -> PsaFault | StorageFaults:
        """The next `times` creates fail as an outage would: a 500 on a vendor's POST (never repeated: it
        may have been taken, R8.5), for Autotask (whose 500 with `errors` is a refusal) the connection
        dropped mid-request; the directory's storage unreachable past the SDK's retries."""
        fake = self.env.fake
        if fake is None:
            self.storage_faults.arm(Table.DIRECTORY_CONTACTS, times)
            return self.storage_faults
        if isinstance(fake, AutotaskFake):
            return fake.drop(times=times, path_prefix=CREATES[self.name], method="POST")
        return fake.fault(500, times=times, path_prefix=CREATES[self.name], method="POST")

    def directory(self) -> TableDirectory:
        return self.env.directory

    def queue(self) -> QueueDriver:
        """A queue driver whose `failures` count the attempts the host would retry."""
        return driver(self.env)


@asynccontextmanager
async def psa_world(scenario: Scenario, psa: str, *, map_tenants: bool = True) -> AsyncIterator[PsaWorld]:
    """The world for `psa`, its tenants mapped by the scenario's decisions; each vendor fake checked
    against its spec, and for DELETEs (a sync never deletes), at the end."""
    faults = StorageFaults()
    settings = (FAST_PACE | HALO_ONE_BY_ONE) if psa != "directory" else None
    async with simulated_environment(scenario, psa=psa, psa_settings=settings, hooks=faults) as env:
        set_app(env.app)
        try:
            if map_tenants:
                await map_northwind(env)
            yield PsaWorld(env, faults)
            if env.fake is not None:
                env.fake.assert_conformant()
                assert env.fake.deletes == []
        finally:
            set_app(None)


def outcome(run: RunRecord, tenant_id: str, user_id: str) -> UserOutcome:
    tenant = next(t for t in run.tenants if t.tenant_id == tenant_id)
    return next(u for u in tenant.users if u.user_id == user_id)


def partial_update(psa: str, record: RequestRecord) -> tuple[str, set[str]]:
    """The contact a write changed and the keys it sent, each vendor's way (R8.6): Syncro's and Alga's
    `PUT /contacts/{id}`, ConnectWise's `PATCH .../contacts/{id}` ops, Halo's `POST /Users` array item,
    Autotask's `PATCH /Companies/{id}/Contacts` body with the contact's `id`."""
    body: Any = record.body
    if psa == "halopsa":
        [item] = body
        return str(item["id"]), set(item) - {"id", "_dont_fire_automations"}
    if psa == "autotask":
        return str(body["id"]), set(body) - {"id"}
    kind, contact_id = record.path.rsplit("/", 2)[-2:]
    assert kind == "contacts", record.path
    return contact_id, {op["path"] for op in body} if psa == "connectwise" else set(body)


def duplicates(held: Held) -> list[tuple[str, str]]:
    """(client, address) pairs held by more than one contact."""
    seen = Counter((c.client_id, c.email.strip().lower()) for c in held.contacts if c.email.strip())
    return sorted(pair for pair, count in seen.items() if count > 1)


async def _put(url: str, body: dict[str, Any], headers: dict[str, str]) -> None:
    await _send("PUT", url, body, headers)


async def _send(method: str, url: str, body: Any, headers: dict[str, str]) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.request(method, url, json=body, headers=headers)
    if response.status_code >= 400:
        raise AssertionError(f"the PSA refused the person's edit: {response.status_code} {response.text}")


def _halo(fake: HaloFake) -> dict[str, str]:
    """A bearer token from Halo's auth server, as a person's integration would get one."""
    form = {"grant_type": "client_credentials", "client_id": fake.client_id, "client_secret": fake.client_secret}
    token = httpx.post(f"{fake.auth_url}/token", data={**form, "scope": "all"}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}
