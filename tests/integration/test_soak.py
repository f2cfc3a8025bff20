"""The soak with a drift check (issue 13): hourly timer runs on a generated estate, each hour with
random Entra changes (adds, renames, alias changes, disables, deletes, restores, group and department
moves) and random faults (Graph 429 and 503, a worker failing or killed at a write point, a storage
blip, the app's links table losing a tenant's rows), through Azurite, the Graph simulator and the real
queue. Every run must pass the crash matrix's checks; afterwards a reconciliation from Graph's and the
PSA's own state counts the drift: an in-scope user without exactly one linked contact with the expected
fields and state, a contact made for an out-of-scope user, a duplicate, a deletion. The target, asserted, is 0.

A lost links table (the ContactLinks rows of one or more tenants deleted between two runs, at least once
a soak; nothing in the PSA) is relinked as each user is planned again: in a delta pass that sees them,
at the latest in the next scheduled full pass. Matching uses the Entra object id where the contact
carries it (R8.5), else the addresses (R3.2): every lost user found a link again must have it to the
contact it had (none created again, none linked to another), and at the end every lost user is relinked
or accounted for (deleted, disabled and so ignored, out of scope, queued). The soak's hours end on a
scheduled full pass for that (the vendors' 12 hours with FULL_SYNC_INTERVAL_HOURS 6).

The suite takes the connector as a parameter: the built-in directory and every vendor's API fake (over
real HTTP, each request checked against the vendor's spec). CI runs a fixed seed at a size that takes a
minute or two for the directory (48 hours, 6 tenants x 30 users) and some tens of seconds a vendor
(12 hours, 3 tenants x 20 users); bigger by environment variables, for every connector: SOAK_HOURS,
SOAK_TENANTS (at least 3), SOAK_USERS, SOAK_SEED (13), SOAK_CONNECTORS (comma-separated; default all).
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.devtools.bench_data import BenchShape, bench_scenario, tenant_id_of
from shared.devtools.psa_fakes import PsaFault
from shared.devtools.simulator import Scenario
from shared.devtools.simulator.scenario import Group
from shared.models import AmbiguityStatus, ContactLink, EntraUser, TenantOverrides
from shared.service import sync_tenant as worker
from shared.service.runs import FINAL, sweep_runs
from shared.store.names import Table
from shared.sync.fields import contact_fields, field_changes
from shared.sync.scope import out_of_scope
from tests.integration.crash_support import POINTS, RunCheck, duplicates
from tests.integration.crash_world import ALL_CONNECTORS, CI_CONNECTORS, CrashWorld, crash_world, unpaced_autotask
from tests.integration.psa_world import CONTACTS

pytestmark = pytest.mark.integration

SEED = int(os.environ.get("SOAK_SEED", "13"))
SOAK_CONNECTORS = [c for c in os.environ.get("SOAK_CONNECTORS", CI_CONNECTORS).split(",") if c in ALL_CONNECTORS]


@dataclass(frozen=True)
class SoakSize:
    hours: int
    tenants: int
    users: int

    @property
    def full_every(self) -> int:
        """FULL_SYNC_INTERVAL_HOURS for the soak: the default 24, or half the soak where that is shorter,
        so that scheduled full passes come after a links loss."""
        return min(24, max(1, self.hours // 2))

    def loss_hours(self) -> set[int]:
        """The hours whose run starts with a links loss: one always, more by chance; none after the last
        scheduled full pass (the one that plans every lost user again)."""
        rng = random.Random(f"{SEED}:links")
        last = self.hours // self.full_every * self.full_every
        return {rng.randrange(1, last + 1)} | {h for h in range(1, last + 1) if rng.random() < LOSS_CHANCE}


def soak_size(connector: str) -> SoakSize:
    """CI's size for `connector` (a vendor's fake answers over HTTP: fewer hours and tenants), or the
    environment's."""
    hours, tenants, users = (48, 6, 30) if connector.startswith("directory") else (12, 3, 20)
    size = SoakSize(
        int(os.environ.get("SOAK_HOURS", hours)),
        int(os.environ.get("SOAK_TENANTS", tenants)),
        int(os.environ.get("SOAK_USERS", users)),
    )
    assert size.tenants > DEPARTMENT_TENANT, "the soak's filters need at least 3 tenants"
    return size


GROUP_TENANT, DEPARTMENT_TENANT = 1, 2  # a group filter on one tenant, a department filter on another
STAFF = "5f0c2b9e-1d4a-4c8e-9b1a-0000000005aa"
DEPARTMENTS = ("Finance", "Operations", "Sales", "Clinical", "IT", "Marketing")
IN_SCOPE_DEPARTMENTS = ["Finance", "Sales", "IT"]
# Write points a crash may hit in an hourly run (an ambiguity is rare in a generated estate).
CRASH_POINTS = [p for p in POINTS if p != "ambiguity-save"]


# The faults injected, one count each (the figures also give storage calls failed and Graph's by path).
FAULT_KINDS = (
    "worker crash/exception",
    "worker crash/kill",
    "storage blip",
    "graph 429",
    "graph 503",
    "psa 429",
    "psa outage",
    "links lost",
)
LOSS_CHANCE = 0.1  # an hour's chance of a links loss, besides the one hour always drawn


@dataclass
class Figures:
    runs: int = 0
    changes: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    full_passes: int = 0
    created: int = 0
    psa_writes: int = 0
    stale_leases: int = 0  # left by a blip after the tenant was final, taken over by the next run
    lost_links: int = 0  # link rows deleted by the "links lost" fault
    relinked: int = 0  # lost users linked again to the contact they had
    relinked_by_id: int = 0  # ... whose contact carried their Entra object id (R8.5)
    unrelinked: Counter[str] = field(default_factory=Counter)  # lost users left without a link, by why
    history: dict[str, list[str]] = field(default_factory=dict)  # per user: changes and outcomes, for a drift
    fault_log: list[str] = field(default_factory=list)  # per run: the faults that fired, for a drift

    def note(self, user_id: str, what: str) -> None:
        self.history.setdefault(user_id, []).append(f"{self.runs}:{what}")

    def line(self) -> str:
        changes = sum(self.changes.values())
        faults = sum(self.faults[kind] for kind in FAULT_KINDS)
        return (
            f"runs {self.runs}, changes {changes} ({dict(sorted(self.changes.items()))}), faults injected {faults} "
            f"({dict(sorted(self.faults.items()))}), full passes {self.full_passes}, contacts created {self.created}, "
            f"PSA writes {self.psa_writes}, stale leases taken over {self.stale_leases}, links lost "
            f"{self.lost_links}, relinked to the same contact {self.relinked} (by Entra id {self.relinked_by_id}), "
            f"left as the rules say {dict(sorted(self.unrelinked.items()))}"
        )


class SoakClock:
    """The app's clock: real time, moved on an hour before each hourly run."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def soak_scenario(size: SoakSize) -> Scenario:
    scenario = bench_scenario(BenchShape(tenants=size.tenants, users=size.users, seed=SEED))
    grouped = scenario.tenants[GROUP_TENANT]
    members = [u["id"] for i, u in enumerate(grouped.users) if i % 3]  # two in three are staff
    grouped.groups.append(Group(id=STAFF, display_name="Staff", members=members))
    return scenario


# The vendors' soaks are in test_soak_vendors.py, so that `make test`'s workers run them beside this one.
VENDORS = ("syncro", "alga", "halopsa", "connectwise", "autotask")


@pytest.mark.parametrize("connector", [c for c in SOAK_CONNECTORS if c not in VENDORS])
async def test_the_hourly_soak_with_faults_leaves_no_drift(connector: str, capsys: pytest.CaptureFixture[str]) -> None:
    await soak(connector, capsys)


async def soak(connector: str, capsys: pytest.CaptureFixture[str]) -> None:
    """One soak through `connector` (the module docstring), its figures printed, its drift asserted 0."""
    started = time.monotonic()
    size = soak_size(connector)
    scenario = soak_scenario(size)
    mappings = {tenant_id_of(i): f"c-bench-{i:04d}" for i in range(size.tenants)}
    rng = random.Random(SEED)
    figures = Figures()
    clock = SoakClock()
    loss_rng, losing = random.Random(f"{SEED}:links:tenants"), size.loss_hours()
    lost: dict[tuple[str, str], LostLink] = {}  # lost users not linked again yet
    ever_lost: dict[tuple[str, str], LostLink] = {}  # every user's last loss
    async with crash_world(scenario, connector, mappings) as world:
        app = world.env.app
        app.clock = clock
        app.settings = app.settings.model_copy(update={"full_sync_interval_hours": size.full_every})
        await app.sync_settings.save_overrides(tenant_id_of(GROUP_TENANT), TenantOverrides(filters={"groups": [STAFF]}))
        await app.sync_settings.save_overrides(
            tenant_id_of(DEPARTMENT_TENANT), TenantOverrides(filters={"departments": IN_SCOPE_DEPARTMENTS})
        )
        seen_contacts: set[str] = set()
        relink_problems: list[tuple[str, str]] = []
        await hour(world, figures, seen_contacts, initial=True)
        for number in range(1, size.hours + 1):
            clock.offset += timedelta(hours=1)
            changes(world, random.Random(f"{SEED}:changes:{number}"), figures)
            inject(world, rng)
            if number in losing:
                losses = await lose_links(world, loss_rng, figures)
                lost |= losses
                ever_lost |= losses
            check = await hour(world, figures, seen_contacts, psa_rng=random.Random(f"{SEED}:psa:{number}"))
            relink_problems += await relinks(world, check, lost, figures)
        relink_problems += await unrelinked(world, lost, figures)
        found = [
            f"{p} [{' '.join(figures.history.get(uid, []))}]"
            for p, uid in await drift(world, seen_contacts, ever_lost, figures)
        ]
        found += [f"{p} [{' '.join(figures.history.get(uid, []))}]" for p, uid in relink_problems]
    elapsed = time.monotonic() - started
    with capsys.disabled():
        shape = f"{size.hours} h, {size.tenants} tenants x {size.users} users, seed {SEED}"
        print(f"\nsoak [{connector}] {shape}: {figures.line()}")
        print(f"soak [{connector}] drift {len(found)} in {elapsed:.0f} s" + "".join(f"\n  {p}" for p in found[:20]))
        if found:
            print(f"soak [{connector}] faults by run: {'; '.join(figures.fault_log)}")
    # The faults did fire: a worker crash of each mode, a storage blip, Graph throttles or outages.
    assert figures.faults["worker crash/exception"] > 0 and figures.faults["worker crash/kill"] > 0, figures.faults
    assert figures.faults["storage blip"] > 0 and figures.faults["storage calls failed"] > 0, figures.faults
    assert figures.faults["graph 429"] + figures.faults["graph 503"] > 0, figures.faults
    if world.env.fake is not None:
        assert figures.faults["psa 429"] > 0 and figures.faults["psa outage"] > 0, figures.faults
    # The links table lost rows, and lost users were linked again (to the contact they had: `found`).
    assert figures.faults["links lost"] > 0 and figures.lost_links > 0 and figures.relinked > 0, figures
    if world.psa.capabilities.entra_id_field:
        assert figures.relinked_by_id > 0, "the contacts carry the Entra id: some lost user was relinked by it"
    assert found == []


async def hour(
    world: CrashWorld,
    figures: Figures,
    seen: set[str],
    *,
    initial: bool = False,
    psa_rng: random.Random | None = None,
) -> RunCheck:
    armed: list[PsaFault] = []
    arm = (lambda: armed.extend(psa_faults(world, psa_rng))) if psa_rng is not None else None
    check = await world.sync(initial=initial, limit=300, psa_faults=arm)
    figures.runs += 1
    figures.created += check.created
    figures.psa_writes += check.run.psa_writes
    figures.full_passes += sum(t.pass_kind == "full" for t in check.run.tenants)
    for tenant in check.run.tenants:
        for user in tenant.users:
            if user.outcome.value not in ("unchanged", "ignored"):
                figures.note(user.user_id, f"{user.outcome.value}({tenant.pass_kind})")
    assert check.problems == [], f"run {figures.runs}: {check.problems}"
    assert check.run.status.value == "completed", f"run {figures.runs}: {check.run.status.value}"
    assert await sweep_runs(world.env.app) == []  # nothing left for the sweep
    # A lease is left only where a blip outlasted its release's retries after the tenant was final:
    # the next worker of any run takes it over at once (its owner is provably gone).
    for owner in await world.leases_left():
        run_id, tenant_id, _ = owner.split("/")
        row = await world.raw["runs"].tenant_result(run_id, tenant_id)
        assert row is not None and row.status in FINAL, f"run {figures.runs}: a live lease left: {owner}"
        figures.stale_leases += 1
    fired = world.injector.fired
    if fired:
        figures.fault_log.append(f"{figures.runs}: {dict(fired)}")
    for kind, n in fired.items():
        mode = kind.rsplit("/", 1)[1]
        figures.faults["storage blip" if mode == "blip" else f"worker crash/{mode}"] += n
    figures.faults["storage calls failed"] = world.injector.blip_failures
    fired.clear()
    world.injector.disarm()
    for fault in world.env.simulator.faults._faults:
        if fault.hits:  # a fault that never fired is not counted (a tenant's pass may not read there)
            figures.faults[f"graph {fault.status}"] += fault.hits
            figures.faults[f"graph {fault.status} {fault.path}"] += fault.hits
    for psa_fault in armed:  # cleared at the run's end (CrashWorld.sync), their hits kept
        figures.faults["psa 429" if psa_fault.status == 429 else "psa outage"] += psa_fault.hits
    world.env.simulator.clear_faults()
    seen.update(c.id for c in check.contacts)
    return check


def inject(world: CrashWorld, rng: random.Random) -> None:
    """This hour's faults: maybe a Graph 429 or 503 (absorbed by the SDK's retries, or past them),
    maybe a worker failing or killed at a write point, maybe a storage blip after one."""
    sim = world.env.simulator
    tenant = rng.choice(world.tenants)
    roll = rng.random()  # each costs the SDK's retries a second a try (Retry-After: 1)
    if roll < 0.15:
        sim.throttle(tenant=tenant, path="/users", times=1, retry_after=1)
    elif roll < 0.25:
        sim.unavailable(tenant=tenant, path="/users", times=4, retry_after=1)  # past the retries: redelivery
    elif roll < 0.3:
        sim.unavailable(tenant=tenant, path="/reports", times=4, retry_after=1)  # an optional read degrades
    if rng.random() < 0.6:
        world.injector.arm(rng.choice(CRASH_POINTS), rng.choice(("exception", "kill")))
    if rng.random() < 0.35:
        world.injector.blip_calls = rng.randrange(3, 9)
        world.injector.arm(rng.choice(CRASH_POINTS), "blip")


def psa_faults(world: CrashWorld, rng: random.Random) -> list[PsaFault]:
    """This hour's faults at a vendor's API (none for the directory), on its contact requests: maybe a
    throttle (429 with Retry-After: waited out, never a failed user), maybe an outage (503s: a read is
    retried, a create never repeated, so past the retries the tenant's attempt fails and the host
    retries it without duplicates), both R8.7."""
    fake, name = world.env.fake, world.env.psa_name
    if fake is None:
        return []
    armed: list[PsaFault] = []
    if rng.random() < 0.3:
        armed.append(fake.fault(429, retry_after=1, times=rng.randrange(1, 3), path_prefix=CONTACTS[name]))
    if rng.random() < 0.3:
        armed.append(fake.fault(503, times=rng.randrange(1, 3), path_prefix=CONTACTS[name]))
    return armed


@dataclass(frozen=True)
class LostLink:
    link: ContactLink  # the row as it was
    by_id: bool  # its contact carried the user's Entra object id (R8.5)
    # The sync had inactivated the contact and the contact does not say so (no inactive reason read
    # back): that was known from the link alone, so a re-enabled user's contact stays inactive (R5.3).
    unknown_inactivation: bool = False


async def lose_links(world: CrashWorld, rng: random.Random, figures: Figures) -> dict[tuple[str, str], LostLink]:
    """The "links lost" fault: the ContactLinks rows of one or more tenants deleted, as a table lost or
    restored from an empty backup would leave them. The app's own table only, through its table client
    (past the injector); nothing in the PSA is touched."""
    table = world.env.account.table(Table.CONTACT_LINKS)
    contacts = {c.id: c for c in await _contacts(world)}
    lost: dict[tuple[str, str], LostLink] = {}
    for tenant_id in rng.sample(world.tenants, rng.randrange(1, len(world.tenants) + 1)):
        for link in await world.raw["links"].for_tenant(tenant_id):
            await table.delete_entity(partition_key=tenant_id, row_key=link.user_id)
            contact = contacts.get(link.contact_id)
            by_id = contact is not None and contact.entra_user_id == link.user_id
            unknown = contact is not None and not contact.active and not contact.inactive_reason
            lost[(tenant_id, link.user_id)] = LostLink(link, by_id, unknown and link.inactivated_by_sync)
            figures.note(link.user_id, "link lost")
        assert await world.raw["links"].for_tenant(tenant_id) == [], "the tenant's links are gone"
    figures.faults["links lost"] += 1
    figures.lost_links += len(lost)
    figures.fault_log.append(f"{figures.runs}+: links lost {sorted({t[:8] for t, _ in lost})} ({len(lost)})")
    return lost


async def relinks(
    world: CrashWorld, check: RunCheck, lost: dict[tuple[str, str], LostLink], figures: Figures
) -> list[tuple[str, str]]:
    """After a run: each lost user it linked again, linked to the contact they had (by the Entra id where
    the contact carries it, R8.5, R3.1; else by address, R3.2), never to another contact and never to one
    created for them (taken off `lost`). Returns the problems, each with its user."""
    problems: list[tuple[str, str]] = []
    outcomes = {(t.tenant_id, u.user_id): u for t in check.run.tenants for u in t.users}
    for key, gone in list(lost.items()):
        tenant_id, uid = key
        where, had = f"{tenant_id[:8]}/{uid[:8]}", gone.link.contact_id
        outcome = outcomes.get(key)
        if outcome is not None and outcome.outcome.value == "created":
            problems.append((f"{where}: link lost, a contact created again ({outcome.contact_id}; had {had})", uid))
        linked = outcome is not None and outcome.outcome.value == "linked"
        if gone.by_id and linked and outcome is not None and "records this Entra user" not in outcome.reason:
            problems.append((f"{where}: link lost, linked again not by its Entra id: {outcome.reason!r}", uid))
        link = await world.raw["links"].get(tenant_id, uid)
        if link is None:
            continue
        del lost[key]
        if link.contact_id != had:
            problems.append((f"{where}: link lost, linked again to {link.contact_id}, not {had}", uid))
            continue
        figures.relinked += 1
        figures.relinked_by_id += gone.by_id
        figures.note(uid, "relinked" + (" by id" if gone.by_id else ""))
    return problems


async def unrelinked(
    world: CrashWorld, lost: dict[tuple[str, str], LostLink], figures: Figures
) -> list[tuple[str, str]]:
    """At the end, the lost users still without a link: each must be one the rules do not link: deleted
    in Entra (R5.2 keeps a link for a restore; none to keep), disabled and so ignored (R2.2), out of
    scope, or queued as an ambiguity (R3.3). Counted by why; anyone else is a problem."""
    app, sim = world.env.app, world.env.simulator
    problems: list[tuple[str, str]] = []
    contacts = await _contacts(world)
    for (tenant_id, uid), gone in sorted(lost.items()):
        settings = await app.sync_settings.effective(tenant_id)
        directory = sim.state.get(tenant_id)
        with sim.state.locked():
            raw = directory.users.get(uid)
            groups = {gid: {m["id"] for m in sim.state.transitive_members(directory, gid)} for gid in directory.groups}
        queued = {
            a.user_id for a in await world.raw["ambiguities"].for_tenant(tenant_id) if a.status is AmbiguityStatus.OPEN
        }
        user = EntraUser.model_validate(raw) if raw is not None else None
        if user is None:
            why = "deleted"
        elif uid in queued:
            why = "queued"
        elif out_of_scope(user, settings, group_members=groups, non_person_ids=()) is not None:
            why = "out of scope"
        elif not user.account_enabled:
            # Ignored as never linked (R2.2): its contact left as it was, active if the disable came
            # after the loss (counted apart: R8.5's id could have inactivated it).
            contact = next((c for c in contacts if c.id == gone.link.contact_id), None)
            why = "disabled, contact left active" if contact is not None and contact.active else "disabled"
        else:
            problems.append((f"{tenant_id[:8]}/{uid[:8]}: link lost, in scope and enabled, not linked again", uid))
            continue
        figures.unrelinked[why] += 1
    return problems


def changes(world: CrashWorld, rng: random.Random, figures: Figures) -> None:
    """This hour's Entra changes: one to three per tenant, of every kind."""
    sim = world.env.simulator
    for index, tenant_id in enumerate(world.tenants):
        directory = sim.state.get(tenant_id)
        with sim.state.locked():
            members = [u for u in directory.users.values() if u.get("userType") == "Member"]
            enabled = [u for u in members if u.get("accountEnabled", True)]
            disabled = [u for u in members if not u.get("accountEnabled", True)]
            deleted = list(directory.deleted.values())
        inactivations = 0
        for _ in range(rng.randrange(1, 4)):
            kind = rng.choice(
                ("add", "rename", "alias", "disable", "enable", "delete", "restore", "department", "group", "title")
            )
            if kind in ("disable", "delete") and inactivations >= 2:
                kind = "title"  # stay under the safety brake (R5.5): this soak is not about holds
            op = _op(kind, tenant_id, index, rng, enabled, disabled, deleted)
            if op is None:
                continue
            if kind == "group":
                _move_in_group(world, tenant_id, op["userId"])
            else:
                sim.apply(op)
            inactivations += kind in ("disable", "delete")
            figures.changes[kind] += 1
            figures.note(op.get("userId") or op["user"]["id"], kind)
            for pool in (enabled, disabled, deleted):
                if any(u["id"] == op.get("userId") for u in pool):
                    pool[:] = [u for u in pool if u["id"] != op.get("userId")]


def _op(
    kind: str,
    tenant_id: str,
    index: int,
    rng: random.Random,
    enabled: list[dict[str, Any]],
    disabled: list[dict[str, Any]],
    deleted: list[dict[str, Any]],
) -> dict[str, Any] | None:
    base: dict[str, Any] = {"tenantId": tenant_id}
    if kind == "add":
        number = rng.randrange(10**6, 10**7)
        first, last = rng.choice(("Ari", "Bea", "Cal", "Dee")), rng.choice(("Stone", "Reed", "Hale"))
        local = f"{first}.{last}{number}".lower()
        domain = f"bench{index:04d}.example"
        user = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "displayName": f"{first} {last}",
            "givenName": first,
            "surname": last,
            "mail": f"{local}@{domain}",
            "userPrincipalName": f"{local}@{domain}",
            "proxyAddresses": [f"SMTP:{local}@{domain}"],
            "accountEnabled": True,
            "userType": "Member",
            "jobTitle": "Analyst",
            "department": rng.choice(DEPARTMENTS),
        }
        return {"op": "add", **base, "user": user}
    pools = {"enable": disabled, "restore": deleted}
    pool = pools.get(kind, enabled)
    if not pool:
        return None
    target = rng.choice(pool)
    base["userId"] = target["id"]
    if kind in ("disable", "enable", "delete", "restore", "group"):
        return {"op": kind, **base}
    if kind == "rename":
        given = rng.choice(("Jo", "Max", "Sky", "Ren")) + target["id"][-2:]
        values: dict[str, Any] = {"givenName": given, "displayName": f"{given} {target.get('surname') or ''}".strip()}
    elif kind == "alias":
        domain = (target.get("mail") or "x@x").split("@")[1]
        values = {"proxyAddresses": [*target.get("proxyAddresses", []), f"smtp:alias{rng.randrange(999)}@{domain}"]}
    elif kind == "department":
        values = {"department": rng.choice(DEPARTMENTS)}
    else:
        values = {
            "jobTitle": f"{rng.choice(('Lead', 'Senior', 'Chief'))} {rng.choice(('Analyst', 'Nurse', 'Engineer'))}"
        }
    return {"op": "update", **base, "set": values}


def _move_in_group(world: CrashWorld, tenant_id: str, user_id: str) -> None:
    """A group move: in or out of the tenant's group (where it has one)."""
    state = world.env.simulator.state
    directory = state.get(tenant_id)
    with state.locked():
        for gid, group in list(directory.groups.items()):
            members = list(group["members"])
            members = [m for m in members if m != user_id] if user_id in members else [*members, user_id]
            directory.groups[gid] = {**group, "members": members}


async def _contacts(world: CrashWorld) -> list[Any]:
    return [c for client in await world.psa.list_clients() for c in await world.psa.list_contacts(client.id)]


async def drift(
    world: CrashWorld, seen: set[str], lost: dict[tuple[str, str], LostLink], figures: Figures
) -> list[tuple[str, str]]:
    """Reconcile the PSA with Graph, tenant by tenant, from their own state (not the runs' reports):
    each problem with the user it is about. A user whose link was lost (`lost`) and who is not linked
    again had their contact made while linked: left as it is (R5.4, R2.2), not a contact made for them
    out of scope; one whose contact the sync had inactivated without the contact saying so stays
    inactive when linked again (R5.3: who inactivated it went with the link), counted."""
    app, raw, sim = world.env.app, world.raw, world.env.simulator
    problems: list[tuple[str, str]] = []
    everything = await _contacts(world)
    problems += [(p, "") for p in duplicates(everything)]
    ids = {c.id for c in everything}
    problems += [(f"contact {cid} was deleted", "") for cid in sorted(seen - ids)]
    capabilities = world.psa.capabilities
    for tenant_id in world.tenants:
        mapping = await app.mappings.get(tenant_id)
        assert mapping is not None and mapping.client_id
        settings = await app.sync_settings.effective(tenant_id)
        directory = sim.state.get(tenant_id)
        with sim.state.locked():
            users = {uid: EntraUser.model_validate(u) for uid, u in directory.users.items()}
            gone = {uid: EntraUser.model_validate(u) for uid, u in directory.deleted.items()}
            groups = {gid: {m["id"] for m in sim.state.transitive_members(directory, gid)} for gid in directory.groups}
        links = {link.user_id: link for link in await raw["links"].for_tenant(tenant_id)}
        contacts = {c.id: c for c in await world.psa.list_contacts(mapping.client_id)}
        made_for = Counter(c.entra_user_id for c in contacts.values() if c.entra_user_id)
        queued = {a.user_id for a in await raw["ambiguities"].for_tenant(tenant_id) if a.status is AmbiguityStatus.OPEN}
        for uid, user in users.items():
            link = links.get(uid)
            contact = contacts.get(link.contact_id) if link else None
            outside = out_of_scope(user, settings, group_members=groups, non_person_ids=())
            where = f"{tenant_id[:8]}/{uid[:8]}"
            if made_for[uid] > 1:
                problems.append((f"{where}: {made_for[uid]} contacts", uid))
            if outside is None and (user.account_enabled or link is not None) and uid not in queued:
                if contact is None:
                    problems.append((f"{where}: in scope without a linked contact", uid))
                    continue
                wanted = field_changes(contact_fields(user), contact, settings.field_controls, capabilities)
                if wanted:
                    problems.append((f"{where}: fields differ from Entra: {sorted(wanted)}", uid))
                loss = lost.get((tenant_id, uid))
                kept = loss is not None and loss.unknown_inactivation and loss.link.contact_id == contact.id
                if kept and not contact.active and user.account_enabled:
                    figures.unrelinked["kept inactive, relinked"] += 1
                elif contact.active != user.account_enabled:
                    state = f"contact active={contact.active}, Entra enabled={user.account_enabled}"
                    problems.append((f"{where}: {state}", uid))
            elif link is None and made_for[uid] and (tenant_id, uid) not in lost:
                problems.append((f"{where}: a contact made for a user out of scope ({outside or 'disabled'})", uid))
        for uid in gone:
            link = links.get(uid)
            contact = contacts.get(link.contact_id) if link else None
            if link is not None and (contact is None or contact.active):
                problems.append((f"{tenant_id[:8]}/{uid[:8]}: deleted in Entra, its contact not inactive", uid))
    return problems


@pytest.fixture(autouse=True)
def _quick_release(monkeypatch: pytest.MonkeyPatch) -> None:
    # The lease release's retry waits are scaled down with the soak's compressed hours.
    monkeypatch.setattr(worker, "RELEASE_WAIT", 0.05)
    unpaced_autotask(monkeypatch)
