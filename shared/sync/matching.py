"""Suggest which PSA client a tenant belongs to (SYNC_RULES R1.4-R1.7). Pure: no I/O, no clock.

Evidence, strongest first, one candidate per client (its strongest evidence):

- `domain` (score 1.0): a tenant domain is one of the client's primary domains (website, PSA domains).
  Exactly one such client -> auto-matched; several -> needs review.
- `secondary-domain` (score 0.9): a tenant domain is the domain of the client's billing / main e-mail.
- `name` (score = similarity): the normalised names are at least `name_threshold` alike.

Only a single primary-domain match is ever auto-matched; everything else waits for a person. Every
domain of the tenant is compared, not just its default one.

Name similarity, chosen to be explainable in one sentence:
    the mean of the word Dice coefficient (shared words) and the letter-pair Dice coefficient
    (the sets of character bigrams taken inside each word) of the two normalised names;
    names that are equal once spaces are ignored ("Green Leaf" / "GreenLeaf") score 1.0.
Words make it robust to word order and to one long common word dominating; letter pairs make it
robust to typos, plurals and words written together or apart. Identical names score 1.0 but, being
only a name, still need review.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import Field

from shared.models.base import WireModel
from shared.models.entra import Tenant
from shared.models.mapping import Candidate, Mapping, MappingStatus, MatchReason
from shared.models.psa import PsaClient
from shared.sync.domains import client_primary_domains, client_secondary_domains, tenant_domains

__all__ = [
    "DEFAULT_NAME_THRESHOLD",
    "LEGAL_SUFFIXES",
    "MAX_CANDIDATES",
    "SECONDARY_DOMAIN_SCORE",
    "Suggestion",
    "conflicts",
    "name_similarity",
    "normalise_name",
    "suggest",
    "suggest_all",
]

DEFAULT_NAME_THRESHOLD = 0.6
SECONDARY_DOMAIN_SCORE = 0.9
MAX_CANDIDATES = 5

# Legal and organisational words removed from the end of a name ("Pioneer Law Group" -> "pioneer law",
# "Müller GmbH & Co. KG" -> "muller"). Only whole trailing words: "Group Health" and "Cobalt" keep theirs.
LEGAL_SUFFIXES: frozenset[str] = frozenset(
    {
        "ag",
        "bv",
        "co",
        "company",
        "corp",
        "corporation",
        "gmbh",
        "group",
        "holding",
        "holdings",
        "inc",
        "incorporated",
        "kg",
        "limited",
        "llc",
        "llp",
        "lp",
        "ltd",
        "nv",
        "plc",
        "pllc",
        "pty",
        "sa",
        "sarl",
        "sas",
        "spa",
        "srl",
    }
)
_DROPPED_WORDS = frozenset({"and", "the"})  # "&" is read as "and", so "A & B" == "A and B" == "A B"
_JOINED = re.compile(r"['\u2018\u2019`\u00b4.]")  # O'Brien -> obrien, L.L.C. -> llc
_WORD = re.compile(r"[^\W_]+")

_REASON_RANK = {MatchReason.DOMAIN: 0, MatchReason.SECONDARY_DOMAIN: 1, MatchReason.NAME: 2}


class Suggestion(WireModel):
    """What matching suggests for one tenant; nothing is mapped until a person confirms (R1)."""

    tenant_id: str
    status: MappingStatus  # auto-matched, needs-review or unmatched
    candidates: list[Candidate] = Field(default_factory=list)  # best first, at most MAX_CANDIDATES
    tenant_domains: list[str] = Field(default_factory=list)  # the domains compared (R1.2)

    @property
    def auto_client_id(self) -> str | None:
        """The client when auto-matched, else None."""
        if self.status is MappingStatus.AUTO_MATCHED:
            return self.candidates[0].client_id
        return None


# --- names -------------------------------------------------------------------------------------------


def _name_words(name: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = _JOINED.sub("", text.replace("&", " and "))
    words = [w for w in _WORD.findall(text) if w not in _DROPPED_WORDS]
    core = list(words)
    while core and core[-1] in LEGAL_SUFFIXES:
        core.pop()
    return tuple(core or words)  # a name that is all suffix ("Group") keeps its words


def normalise_name(name: str) -> str:
    """The name as compared: accents, case, punctuation, `&`/`and` and trailing legal suffixes removed."""
    return " ".join(_name_words(name))


@dataclass(frozen=True, slots=True)
class _Name:
    text: str
    words: frozenset[str]
    compact: str
    pairs: frozenset[str]

    @classmethod
    def of(cls, name: str) -> _Name:
        words = _name_words(name)
        pairs = {word[i : i + 2] for word in words for i in range(len(word) - 1)}
        pairs.update(word for word in words if len(word) == 1)
        return cls(" ".join(words), frozenset(words), "".join(words), frozenset(pairs))


def _dice(shared: int, total: int) -> float:
    return 2 * shared / total if total else 0.0


def _similarity(a: _Name, b: _Name) -> float:
    if not a.words or not b.words:
        return 0.0
    if a.compact == b.compact:
        return 1.0
    words = _dice(len(a.words & b.words), len(a.words) + len(b.words))
    pairs = _dice(len(a.pairs & b.pairs), len(a.pairs) + len(b.pairs))
    return (words + pairs) / 2


def name_similarity(a: str, b: str) -> float:
    """How alike two organisation names are, 0.0-1.0, after `normalise_name` (see the module docstring)."""
    return _similarity(_Name.of(a), _Name.of(b))


# --- suggestions -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Client:
    id: str
    primary: frozenset[str]
    secondary: frozenset[str]
    name: _Name


def _profiles(clients: Iterable[PsaClient]) -> list[_Client]:
    return [
        _Client(
            c.id,
            frozenset(client_primary_domains(c)),
            frozenset(client_secondary_domains(c)),
            _Name.of(c.name),
        )
        for c in clients
        if c.active
    ]


def _candidate(domains: frozenset[str], name: _Name, client: _Client, threshold: float) -> Candidate | None:
    shared = sorted(domains & client.primary)
    if shared:
        return Candidate(
            client_id=client.id, score=1.0, reason=MatchReason.DOMAIN, detail="domain " + ", ".join(shared)
        )
    similarity = _similarity(name, client.name)
    names = f"names '{name.text}' / '{client.name.text}' {similarity:.2f}"
    secondary = ", ".join(sorted(domains & client.secondary))
    # A secondary domain and a name together: the stronger gives score and reason, the detail keeps both.
    if secondary and similarity <= SECONDARY_DOMAIN_SCORE:
        return Candidate(
            client_id=client.id,
            score=SECONDARY_DOMAIN_SCORE,
            reason=MatchReason.SECONDARY_DOMAIN,
            detail=f"e-mail domain {secondary}; {names}",
        )
    if secondary or similarity >= threshold:
        detail = f"{names}; e-mail domain {secondary}" if secondary else names
        return Candidate(client_id=client.id, score=similarity, reason=MatchReason.NAME, detail=detail)
    return None


def _rank(candidate: Candidate) -> tuple[float, int, str, str]:
    return (-candidate.score, _REASON_RANK[candidate.reason], candidate.client_id, candidate.detail)


def _suggest(tenant: Tenant, clients: Sequence[_Client], threshold: float) -> Suggestion:
    domains = tenant_domains(tenant)
    domain_set, name = frozenset(domains), _Name.of(tenant.display_name)
    found = [c for c in (_candidate(domain_set, name, client, threshold) for client in clients) if c]
    candidates: list[Candidate] = []
    seen: set[str] = set()
    for candidate in sorted(found, key=_rank):  # a client listed twice in the PSA counts once, at its best
        if candidate.client_id not in seen:
            seen.add(candidate.client_id)
            candidates.append(candidate)
    by_domain = sum(1 for c in candidates if c.reason is MatchReason.DOMAIN)
    if by_domain == 1:
        status = MappingStatus.AUTO_MATCHED
    elif candidates:
        status = MappingStatus.NEEDS_REVIEW
    else:
        status = MappingStatus.UNMATCHED
    return Suggestion(
        tenant_id=tenant.tenant_id,
        status=status,
        candidates=candidates[:MAX_CANDIDATES],
        tenant_domains=domains,
    )


def _check(threshold: float) -> None:
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"name_threshold must be in (0, 1], not {threshold!r}")


def suggest(
    tenant: Tenant, clients: Sequence[PsaClient], *, name_threshold: float = DEFAULT_NAME_THRESHOLD
) -> Suggestion:
    """Suggest the client(s) `tenant` belongs to among the active `clients` (R1.4-R1.6).

    Candidates are best first (score, then domain > secondary-domain > name, then client id), one per
    client, at most `MAX_CANDIDATES`. Auto-matched only when exactly one client shares a primary domain.
    The same input always gives the same suggestion, whatever the order of `clients`.
    """
    _check(name_threshold)
    return _suggest(tenant, _profiles(clients), name_threshold)


def suggest_all(
    tenants: Iterable[Tenant],
    clients: Sequence[PsaClient],
    *,
    name_threshold: float = DEFAULT_NAME_THRESHOLD,
) -> dict[str, Suggestion]:
    """`suggest` for each tenant, keyed by tenant id; the clients are prepared once."""
    _check(name_threshold)
    profiles = _profiles(clients)
    return {t.tenant_id: _suggest(t, profiles, name_threshold) for t in tenants}


def conflicts(mappings: Sequence[Mapping], tenant_id: str, client_id: str) -> str | None:
    """Why confirming `tenant_id` -> `client_id` would break one client per tenant (R1.7), or None.

    Only confirmed mappings hold a client. Confirming the same pair again is not a conflict. A tenant
    can hold one client only by construction (one Mapping row per tenant), so only the client side is
    checked here.
    """
    holders = sorted(
        m.tenant_id
        for m in mappings
        if m.status is MappingStatus.CONFIRMED and m.client_id == client_id and m.tenant_id != tenant_id
    )
    if not holders:
        return None
    return (
        f"Client {client_id} is already mapped to tenant {holders[0]}; "
        f"unmap that tenant before mapping the client to tenant {tenant_id}."
    )
