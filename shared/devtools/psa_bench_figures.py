"""The PSA bench's figures, computed from what a vendor's fake received and what it holds: requests by
kind, the rate reached against the vendor's limit, and contacts lost or duplicated. Pure functions."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from shared.devtools.psa_fakes import RequestRecord
from shared.devtools.psa_load import Held
from shared.models import Outcome

__all__ = ["HOLDS_A_CONTACT", "UserContact", "VendorLimit", "integrity", "rate_figures", "request_kinds"]

_RECORD = re.compile(r"^/(?P<kind>contacts|customers|clients)(?P<id>/[^/]+)?(?P<rest>/.*)?$")
# Outcomes after which the user's contact is in the PSA (a failed or queued user may have none).
HOLDS_A_CONTACT = frozenset(
    {Outcome.CREATED, Outcome.LINKED, Outcome.UPDATED, Outcome.UNCHANGED, Outcome.INACTIVATED, Outcome.REACTIVATED}
)


@dataclass(frozen=True)
class VendorLimit:
    """The limit the app must keep, as the vendor's fake enforces it: `per_minute` after a `burst` (0: a
    sliding window of `window` seconds, no burst); `of`: whose limit it is when not the vendor's own
    (Autotask: the operator's share of the database's hour)."""

    per_minute: float
    burst: int = 0
    window: float = 60.0
    of: str = ""

    @property
    def per_window(self) -> float:
        return self.per_minute * self.window / 60

    def describe(self) -> str:
        if self.burst:
            return f"token bucket: burst {self.burst}, {self.per_minute:g}/min"
        span = "minute" if self.window == 60 else f"{self.window / 60:g} minutes"
        return f"{self.per_window:g} per sliding {span}" + (f" ({self.of})" if self.of else "")


# HaloPSA's, ConnectWise's and Autotask's paths (relative to their API roots): the noun, and whether the
# path names one record ("query": an Autotask list sent as a POST).
_OTHER_PATHS: tuple[tuple[re.Pattern[str], str, bool | str], ...] = (
    (re.compile(r"^/api/Users$"), "contact", False),
    (re.compile(r"^/api/Users/[^/]+$"), "contact", True),
    (re.compile(r"^/api/Client$"), "client", False),
    (re.compile(r"^/api/Client/[^/]+$"), "client", True),
    (re.compile(r"^/company/contacts$"), "contact", False),
    (re.compile(r"^/company/contacts/[^/]+(/communications(/[^/]+)?)?$"), "contact", True),
    (re.compile(r"^/company/companies$"), "client", False),
    (re.compile(r"^/company/companies/[^/]+$"), "client", True),
    (re.compile(r"^/V1\.0/Contacts/query(/next)?$"), "contact", "query"),
    (re.compile(r"^/V1\.0/Companies/query(/next)?$"), "client", "query"),
    (re.compile(r"^/V1\.0/Companies/[^/]+/Contacts$"), "contact", False),
    (re.compile(r"^/V1\.0/Companies$"), "client", False),
    (re.compile(r"^/V1\.0/Contacts/\d+$"), "contact", True),
    (re.compile(r"^/V1\.0/Companies/\d+$"), "client", True),
)


def request_kinds(records: Iterable[RequestRecord], api_root: str) -> Counter[str]:
    """Requests by what they did: `contact list`, `contact read`, `contact create`, `contact write`,
    `client list`, `client read`, `client create`, `client write` (Syncro's customers are clients;
    a HaloPSA save is a create when it makes a user, a write when it only changes them; ConnectWise's
    communications are contact writes; Autotask's queries are lists)."""
    kinds: Counter[str] = Counter()
    for record in records:
        path = record.path[len(api_root) :] if record.path.startswith(api_root) else record.path
        other = _other_kind(record, path)
        if other is not None:
            kinds[other] += 1
            continue
        match = _RECORD.match(path)
        if match is None or (match["rest"] and match["rest"] != "/contacts"):
            kinds[f"other {record.method}"] += 1
            continue
        nested = match["rest"] == "/contacts"  # a client's contacts (Alga's /clients/{id}/contacts)
        noun = "contact" if match["kind"] == "contacts" or nested else "client"
        one = match["id"] is not None and not match["rest"]
        if record.method == "GET":
            verb = "read" if one else "list"
        elif record.method == "POST" and not one:
            verb = "create"
        else:
            verb = "write" if record.method in ("PUT", "PATCH") else record.method.lower()
        kinds[f"{noun} {verb}"] += 1
    return kinds


def _other_kind(record: RequestRecord, path: str) -> str | None:
    for pattern, noun, one in _OTHER_PATHS:
        if pattern.match(path) is None:
            continue
        if one == "query" or (record.method == "GET" and not one):
            return f"{noun} list"
        if record.method == "GET":
            return f"{noun} read"
        if record.method == "POST" and not one:
            body = record.body if isinstance(record.body, list) else [record.body]
            updates = path.startswith("/api/") and all(isinstance(i, dict) and "id" in i for i in body)
            return f"{noun} {'write' if updates else 'create'}"  # a Halo save of known users only
        return f"{noun} write" if record.method in ("PUT", "PATCH", "POST") else f"{noun} {record.method.lower()}"
    return None


def rate_figures(records: Sequence[RequestRecord], limit: VendorLimit) -> dict[str, Any]:
    """How close to the vendor's limit the requests ran. `steady_per_minute`: the rate after the burst
    (a bucket vendor) or over the whole span (a sliding-window vendor), between the first and last
    request; `share_of_limit` is it over the vendor's rate; `busiest_minute` the most requests in any
    60 s, `busiest_window` in any of the limit's windows (HaloPSA's 5 minutes, Autotask's hour);
    `long_enough`: the span covers a minute, so the share says something."""
    times = sorted(record.at for record in records)
    throttled = sum(1 for record in records if record.status == 429)
    figures: dict[str, Any] = {
        "limit": limit.describe(),
        "requests": len(times),
        "throttled": throttled,
        "throttled_share": round(throttled / len(times), 4) if times else 0.0,
    }
    if len(times) < 2:
        return figures | {"span_seconds": 0.0, "steady_per_minute": None, "share_of_limit": None}
    span = times[-1] - times[0]
    steady = times[limit.burst :]  # within the burst nothing is held back: no rate to speak of
    steady_span = steady[-1] - steady[0] if len(steady) >= 2 else 0.0
    per_minute = (len(steady) - 1) / steady_span * 60 if steady_span > 0 else None
    return figures | {
        "span_seconds": round(span, 1),
        "long_enough": span >= 60,
        "burst_requests": len(times) - len(steady),
        "steady_per_minute": round(per_minute, 1) if per_minute is not None else None,
        "share_of_limit": round(per_minute / limit.per_minute, 3) if per_minute is not None else None,
        "busiest_minute": _busiest(times, 60.0),
        "busiest_window": _busiest(times, limit.window),
    }


def _busiest(times: Sequence[float], window: float) -> int:
    best, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - window:
            start += 1
        best = max(best, end - start + 1)
    return best


@dataclass(frozen=True)
class UserContact:
    """A user's outcome, and its contact and client named as `Held` names them."""

    user_id: str
    outcome: Outcome
    contact_id: str | None
    client_id: str


def integrity(users: Iterable[UserContact], held: Held) -> dict[str, Any]:
    """Contacts lost and duplicated. A user whose outcome says it has a contact (`HOLDS_A_CONTACT`)
    whose contact the PSA does not hold in the user's client is lost; contacts of one client sharing
    an address (ignoring case) beyond the first are duplicates; so are users beyond the first pointing
    at one contact."""
    by_id = {c.id: c for c in held.contacts}
    lost: list[str] = []
    pointed: Counter[str] = Counter()
    for user in users:
        if user.outcome not in HOLDS_A_CONTACT:
            continue
        contact = by_id.get(user.contact_id or "")
        if contact is None or contact.client_id != user.client_id:
            lost.append(user.user_id)
        else:
            pointed[contact.id] += 1
    addresses = Counter((c.client_id, c.email.strip().lower()) for c in held.contacts if c.email.strip())
    duplicated = sum(n - 1 for n in addresses.values() if n > 1) + sum(n - 1 for n in pointed.values() if n > 1)
    return {"contacts": len(held.contacts), "lost": len(lost), "duplicated": duplicated, "lost_users": lost[:10]}
