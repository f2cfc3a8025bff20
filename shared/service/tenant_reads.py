"""What a tenant's pass reads from Graph: its users and the facts that go beside its contacts."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from shared.errors import GraphForbidden
from shared.graph.client import TenantGraph
from shared.graph.pages import SecureScore, SubscribedSku
from shared.models import EntraUser
from shared.sync.facts import P1_NOTE, FactsInputs, MfaRegistration

__all__ = ["TenantReads", "read_full_pass"]

log = logging.getLogger(__name__)

SECURE_SCORE_NOTE = "Secure Score not readable (needs SecurityEvents.Read.All)"


@dataclass(frozen=True)
class TenantReads:
    users: list[EntraUser]
    facts: FactsInputs
    notes: list[str]
    skus: list[SubscribedSku] = field(default_factory=list)
    secure_score: SecureScore | None = None
    complete: bool = True  # a full list of users (False: a delta pass)


async def read_full_pass(graph: TenantGraph, group_ids: list[str] | None = None) -> TenantReads:
    """Every user (with sign-in activity where the tenant has Entra ID P1) and the licence and MFA facts.

    A tenant without P1 answers 403 for sign-in activity and the MFA report: those facts are left empty
    with a note, and the tenant's sync goes on.
    """
    notes: list[str] = []
    p1 = True
    try:
        users = await graph.users(sign_in_activity=True)
    except GraphForbidden:
        p1 = False
        users = await graph.users(sign_in_activity=False)
    subscribed = await graph.subscribed_skus()
    skus = {s.sku_id: s.sku_part_number or s.sku_id for s in subscribed}
    mfa: dict[str, MfaRegistration] | None = None
    if p1:
        try:
            mfa = {
                r.id: MfaRegistration(
                    id=r.id, is_mfa_registered=r.is_mfa_registered, methods_registered=r.methods_registered or []
                )
                for r in await graph.registration_details()
            }
        except GraphForbidden:
            p1 = False
    if not p1:
        notes.append(P1_NOTE)
    try:
        score = await graph.latest_secure_score()
    except GraphForbidden:
        score = None
        notes.append(SECURE_SCORE_NOTE)
    return TenantReads(
        users=users,
        facts=FactsInputs(sku_part_numbers=skus, entra_p1=p1, mfa=mfa),
        notes=notes,
        skus=subscribed,
        secure_score=score,
    )
