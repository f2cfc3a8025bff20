"""Everything the planner needs about one tenant, read beforehand by the caller."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from shared.models.contacts import Ambiguity, ContactLink
from shared.models.entra import EntraUser
from shared.models.psa import Capabilities, PsaContact
from shared.models.sync_settings import SyncSettings
from shared.sync.facts import FactsInputs

__all__ = ["TenantInputs"]


@dataclass(frozen=True, kw_only=True)
class TenantInputs:
    """One tenant's pass.

    `complete` True: `users` is the full list, so a linked user missing from it was deleted. False: a
    delta pass; only users with `removed` set are deleted and users not in it are left alone. A user
    listed twice (delta pages may repeat one) counts once, the last entry winning.
    `contacts` are the mapped client's contacts, active and inactive (others are ignored, R3.5);
    `links` and `ambiguities` are the tenant's. `group_members` maps a group id to its transitive user
    ids (R2.4); `non_person_ids` are users known to be shared, room or equipment mailboxes (R2.3).
    `facts` None writes no Microsoft 365 facts. `brake_released`: an operator approved the held
    inactivations (R5.5). `capabilities`: what the PSA can hold (R8.1); the plan writes nothing else,
    counts nothing else as an update, and matches on additional emails only where the PSA keeps them.
    """

    tenant_id: str
    client_id: str
    users: Sequence[EntraUser]
    complete: bool
    contacts: Sequence[PsaContact]
    links: Sequence[ContactLink] = ()
    ambiguities: Sequence[Ambiguity] = ()
    settings: SyncSettings = field(default_factory=SyncSettings)
    group_members: Mapping[str, Collection[str]] = field(default_factory=dict)
    non_person_ids: Collection[str] = frozenset()
    facts: FactsInputs | None = None
    brake_released: bool = False
    capabilities: Capabilities = field(default_factory=Capabilities)
