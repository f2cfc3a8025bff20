"""Matching users without a link to the client's contacts by address (R3.2-R3.4)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from shared.models.entra import EntraUser
from shared.models.psa import PsaContact
from shared.sync.identity import email_identity, user_addresses

__all__ = ["Decision", "Match", "match_users"]


class Decision(StrEnum):
    LINK = "link"
    CREATE = "create"
    QUEUE = "queue"


@dataclass(frozen=True)
class Match:
    """What R3.3 / R3.4 decided for one user: the contact to link, the candidates to queue, or none."""

    decision: Decision
    contact_ids: tuple[str, ...]  # LINK: the one contact; QUEUE: the candidates, sorted; CREATE: ()
    reason: str


def match_users(users: Sequence[EntraUser], contacts: Sequence[PsaContact], taken: Collection[str]) -> dict[str, Match]:
    """Decide, for each user without a link, link / create / queue (R3.2-R3.4).

    A user's candidates are the contacts sharing any of their addresses (R3.2), less `taken` (contacts
    linked to other users) and less the contacts this call links. Users with one candidate are linked;
    when several share that one contact, the single primary-address match wins and the others lose it,
    and a tie (no primary match, or several) queues them all with that contact (R3.4). Linking can leave
    another user with one candidate or none, so this repeats until nothing more is linked: planning again
    over the result then finds the same answer. Deterministic: ties are broken by id, never by order.
    """
    by_address: dict[str, set[str]] = defaultdict(set)
    for contact in contacts:
        for address in contact.addresses():
            by_address[address].add(contact.id)
    primary = {c.id: c.email.strip().casefold() for c in contacts}
    identity = {u.id: (email_identity(u) or "").casefold() for u in users}

    def is_primary(user_id: str, contact_id: str) -> bool:
        return bool(identity[user_id]) and identity[user_id] == primary[contact_id]

    claimed = set(taken)
    found = {u.id: {c for a in user_addresses(u) for c in by_address.get(a, ())} - claimed for u in users}
    pending = sorted(found)
    result: dict[str, Match] = {}
    while True:
        sole: dict[str, list[str]] = defaultdict(list)  # contact -> users for whom it is the one candidate
        for user_id in pending:
            left = found[user_id] - claimed
            if len(left) == 1:
                sole[next(iter(left))].append(user_id)
        linked_any = False
        for contact_id in sorted(sole):
            rivals = sole[contact_id]
            primaries = [u for u in rivals if is_primary(u, contact_id)]
            winner = rivals[0] if len(rivals) == 1 else primaries[0] if len(primaries) == 1 else None
            if winner is None:
                continue
            how = "matched primary email" if is_primary(winner, contact_id) else "matched an alias address"
            if len(rivals) > 1:
                how += " (beat an alias match for the same contact)"
            result[winner] = Match(Decision.LINK, (contact_id,), how)
            claimed.add(contact_id)
            linked_any = True
        pending = [u for u in pending if u not in result]
        if not linked_any:
            break
    for user_id in pending:
        rest = tuple(sorted(found[user_id] - claimed))
        if not rest:
            why = "no matching contact"
            if found[user_id]:
                why += " left (its matches were linked to other users)"
            result[user_id] = Match(Decision.CREATE, (), why)
        elif len(rest) == 1:
            result[user_id] = Match(Decision.QUEUE, rest, "tie with another user for the same contact")
        else:
            result[user_id] = Match(Decision.QUEUE, rest, f"{len(rest)} candidate contacts")
    return result
