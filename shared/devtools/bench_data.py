"""Scenarios for the benchmark, made in code: T tenants x U users with names, addresses, licences,
some guests, service accounts and disabled users, a PSA client per tenant (some of its contacts
already there, to be linked), and a 1 % change set for an incremental run.

Deterministic: the same shape and seed give the same scenario, byte for byte.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from typing import Any

from shared.devtools.simulator.scenario import Scenario, parse_scenario

__all__ = [
    "BUSINESS_BASIC",
    "BUSINESS_PREMIUM",
    "BenchShape",
    "bench_changes",
    "bench_scenario",
    "bench_updates",
    "client_id_of",
    "tenant_id_of",
]

_NS = uuid.UUID("7d9d4c8e-5b1a-4a55-9a51-4f1a0b6c2e10")
BUSINESS_PREMIUM = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"  # SPB
BUSINESS_BASIC = "3b555118-da6a-4418-894f-7df1e2096870"  # O365_BUSINESS_ESSENTIALS
_SKUS = ((BUSINESS_PREMIUM, "SPB"), (BUSINESS_BASIC, "O365_BUSINESS_ESSENTIALS"))

_FIRST = (
    "Ada",
    "Alan",
    "Amara",
    "Ben",
    "Carla",
    "Chen",
    "Dana",
    "Diego",
    "Elif",
    "Emma",
    "Farah",
    "Felix",
    "Grace",
    "Hana",
    "Ivan",
    "Jade",
    "Jonas",
    "Kai",
    "Lena",
    "Liam",
    "Maya",
    "Mei",
    "Nadia",
    "Noah",
    "Olga",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Sara",
    "Tariq",
    "Uma",
    "Vera",
    "Wen",
    "Xavi",
    "Yara",
    "Yusuf",
    "Zoe",
    "Zane",
)
_LAST = (
    "Abbott",
    "Baker",
    "Chen",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jones",
    "Khan",
    "Lopez",
    "Moreau",
    "Novak",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Vargas",
    "Walsh",
    "Xu",
    "Young",
    "Zhang",
    "Brennan",
    "Castillo",
    "Dubois",
    "Eriksen",
)
_TITLES = ("Accountant", "Engineer", "Nurse", "Sales Manager", "Dentist", "Office Manager", "Analyst", "Designer")
_DEPARTMENTS = ("Finance", "Operations", "Sales", "Clinical", "IT", "Marketing")
_CITIES = (("Seattle", "WA", "98101"), ("Austin", "TX", "73301"), ("Denver", "CO", "80202"), ("Boston", "MA", "02108"))


@dataclass(frozen=True)
class BenchShape:
    """What to generate. Shares are of each tenant's users (rounded, deterministic by position)."""

    tenants: int = 50
    users: int = 400
    seed: int = 7
    premium_share: float = 0.8  # tenants with Entra ID P1 (sign-in activity and the MFA report)
    existing_contact_share: float = 0.1  # users whose contact is already in the PSA (linked, not created)
    guest_share: float = 0.03
    service_share: float = 0.02  # svc-/noreply accounts (excluded by the default patterns)
    disabled_share: float = 0.02  # disabled and never linked: ignored


def tenant_id_of(index: int) -> str:
    return str(uuid.uuid5(_NS, f"tenant:{index}"))


def client_id_of(index: int) -> str:
    """The scenario id of tenant `index`'s client."""
    return f"c-bench-{index:04d}"


def _user_id(tenant: int, user: int) -> str:
    return str(uuid.uuid5(_NS, f"user:{tenant}:{user}"))


def _domain(tenant: int) -> str:
    return f"bench{tenant:04d}.example"


def _kind(position: int, shape: BenchShape) -> str:
    """Spread the special users evenly through the tenant: every k-th position is one of them."""
    for kind, share, offset in (
        ("guest", shape.guest_share, 1),
        ("service", shape.service_share, 2),
        ("disabled", shape.disabled_share, 3),
    ):
        if share > 0:
            step = max(1, round(1 / share))
            if position % step == offset % step:
                return kind
    return "member"


def _user(tenant: int, position: int, shape: BenchShape, rng: random.Random) -> dict[str, Any]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    domain = _domain(tenant)
    local = f"{first}.{last}{position}".lower()
    kind = _kind(position, shape)
    city, state, postal = rng.choice(_CITIES)
    user: dict[str, Any] = {
        "id": _user_id(tenant, position),
        "displayName": f"{first} {last}",
        "givenName": first,
        "surname": last,
        "mail": f"{local}@{domain}",
        "userPrincipalName": f"{local}@{domain}",
        "proxyAddresses": [f"SMTP:{local}@{domain}", f"smtp:{first[0].lower()}{last.lower()}{position}@{domain}"],
        "otherMails": [],
        "accountEnabled": kind != "disabled",
        "userType": "Member",
        "jobTitle": rng.choice(_TITLES),
        "department": rng.choice(_DEPARTMENTS),
        "officeLocation": f"{city} office",
        "businessPhones": [f"+1 555 {rng.randrange(10**6, 10**7)}"],
        "mobilePhone": f"+1 555 {rng.randrange(10**6, 10**7)}" if rng.random() < 0.7 else None,
        "streetAddress": f"{rng.randrange(1, 999)} Main Street",
        "city": city,
        "state": state,
        "postalCode": postal,
        "country": "United States",
        "companyName": f"Bench Customer {tenant}",
        "assignedLicenses": _licences(rng),
    }
    if kind == "guest":
        guest = f"{local}_partner.example#EXT#@bench{tenant:04d}.onmicrosoft.com"
        user |= {"userType": "Guest", "mail": f"{local}@partner.example", "userPrincipalName": guest}
        user |= {"proxyAddresses": [], "assignedLicenses": []}
    elif kind == "service":
        name = "noreply" if position % 2 else f"svc-app{position}"
        user |= {"givenName": None, "surname": None, "displayName": f"Service {position}", "mobilePhone": None}
        user |= {"mail": f"{name}@{domain}", "userPrincipalName": f"{name}@{domain}", "proxyAddresses": []}
    return user


def _licences(rng: random.Random) -> list[dict[str, Any]]:
    roll = rng.random()
    if roll < 0.6:
        return [{"skuId": BUSINESS_PREMIUM, "disabledPlans": []}]
    if roll < 0.8:
        return [{"skuId": BUSINESS_BASIC, "disabledPlans": []}]
    return []


def _tenant(index: int, shape: BenchShape) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A tenant of the scenario, and the PSA contacts its client already has."""
    rng = random.Random(f"{shape.seed}:{index}")
    users = [_user(index, position, shape, rng) for position in range(shape.users)]
    # Spread evenly: with 0.8, every fifth tenant (the first of each five) lacks P1.
    premium = math.floor((index + 1) * shape.premium_share) > math.floor(index * shape.premium_share)
    client_id = client_id_of(index)
    contacts: list[dict[str, Any]] = []
    step = max(1, round(1 / shape.existing_contact_share)) if shape.existing_contact_share > 0 else 0
    for position, user in enumerate(users):
        if step and position % step == 0 and _kind(position, shape) == "member":
            contacts.append(
                {
                    "id": f"k-bench-{index:04d}-{position:06d}",
                    "clientId": client_id,
                    "firstName": user["givenName"],
                    "lastName": user["surname"],
                    "email": user["mail"],
                    "title": "",  # differs from Entra: the first sync updates it
                }
            )
    consumed = {sku: 0 for sku, _ in _SKUS}
    for user in users:
        for lic in user["assignedLicenses"]:
            consumed[lic["skuId"]] += 1
    tenant: dict[str, Any] = {
        "tenantId": tenant_id_of(index),
        "displayName": f"Bench Customer {index}",
        "premium": premium,
        "verifiedDomains": [
            {"name": _domain(index), "isDefault": True},
            {"name": f"bench{index:04d}.onmicrosoft.com", "isInitial": True},
        ],
        "users": users,
        "subscribedSkus": [
            {
                "skuId": sku,
                "skuPartNumber": part,
                "prepaidUnits": {"enabled": consumed[sku] + 5},
                "consumedUnits": consumed[sku],
            }
            for sku, part in _SKUS
        ],
        "userRegistrationDetails": (
            [
                {"id": u["id"], "isMfaRegistered": True, "methodsRegistered": ["microsoftAuthenticatorPush"]}
                for position, u in enumerate(users)
                if position % 3 and u["userType"] == "Member"
            ]
            if premium
            else []
        ),
        "secureScores": [{"createdDateTime": "2026-01-05T00:00:00Z", "currentScore": 40 + index % 30, "maxScore": 80}],
    }
    return tenant, contacts


def bench_scenario(shape: BenchShape) -> Scenario:
    """The scenario: every tenant auto-matched to its own client by domain, and confirmed."""
    tenants, contacts, clients = [], [], []
    for index in range(shape.tenants):
        tenant, existing = _tenant(index, shape)
        tenants.append(tenant)
        contacts += existing
        clients.append(
            {"id": client_id_of(index), "name": f"Bench Customer {index}", "website": f"https://{_domain(index)}"}
        )
    data = {
        "name": f"bench-{shape.tenants}x{shape.users}",
        "partner": {"tenantId": str(uuid.uuid5(_NS, "partner")), "displayName": "Bench MSP"},
        "tenants": tenants,
        "psa": {"clients": clients, "contacts": contacts},
        "decisions": [{"tenantId": t["tenantId"], "action": "confirm"} for t in tenants],
    }
    return parse_scenario(data, source="bench")


_CHANGE_KINDS = ("update", "delete", "add", "disable", "update", "enable", "update", "update", "update", "update")


def bench_changes(scenario: Scenario, share: float = 0.01, *, seed: int = 7) -> list[dict[str, Any]]:
    """Graph changes touching `share` of each tenant's users (at least one per tenant): mostly field
    updates, some disables, deletes and new users; only enabled members are changed."""
    ops: list[dict[str, Any]] = []
    for index, tenant in enumerate(scenario.tenants):
        rng = random.Random(f"changes:{seed}:{index}")
        members = [u for u in tenant.users if u.get("userType") == "Member" and u.get("accountEnabled", True)]
        count = max(1, round(len(tenant.users) * share))
        chosen = rng.sample(members, min(count, len(members)))
        disabled = [u for u in tenant.users if not u.get("accountEnabled", True)]
        for number, user in enumerate(chosen):
            kind = _CHANGE_KINDS[number % len(_CHANGE_KINDS)]
            ops.append(_change(kind, tenant.tenant_id, user, disabled, rng, index, number))
    return ops


def _change(
    kind: str,
    tenant_id: str,
    user: dict[str, Any],
    disabled: list[dict[str, Any]],
    rng: random.Random,
    tenant: int,
    number: int,
) -> dict[str, Any]:
    base = {"tenantId": tenant_id}
    if kind == "add":
        new = _user(tenant, 10**6 + number, BenchShape(guest_share=0, service_share=0, disabled_share=0), rng)
        return {"op": "add", **base, "user": new}
    if kind == "enable" and disabled:
        return {"op": "enable", **base, "userId": disabled.pop()["id"]}
    if kind in ("disable", "delete"):
        return {"op": kind, **base, "userId": user["id"]}
    values = {"jobTitle": f"{rng.choice(_TITLES)} II", "mobilePhone": f"+1 555 {rng.randrange(10**6, 10**7)}"}
    return {"op": "update", **base, "userId": user["id"], "set": values}


def bench_updates(scenario: Scenario, share: float, *, seed: int = 7) -> list[dict[str, Any]]:
    """Field changes only (a new job title) for `share` of each tenant's enabled members (at least one
    per tenant; service accounts, which the sync ignores, are left alone): every one of them an update
    a PSA holds, so each should cost one write."""
    ops: list[dict[str, Any]] = []
    for index, tenant in enumerate(scenario.tenants):
        rng = random.Random(f"updates:{seed}:{index}")
        members = [
            u
            for u in tenant.users
            if u.get("userType") == "Member" and u.get("accountEnabled", True) and u.get("givenName")
        ]
        count = min(len(members), max(1, round(len(tenant.users) * share)))
        for user in rng.sample(members, count):
            title = f"{rng.choice(_TITLES)} {rng.randrange(2, 9)}"
            ops.append({"op": "update", "tenantId": tenant.tenant_id, "userId": user["id"], "set": {"jobTitle": title}})
    return ops
