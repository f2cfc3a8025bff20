"""What a tenant's full pass reads from Graph: its users and the facts that go beside its contacts.

(A delta pass reads only `users_delta` and makes whole users of it with the tenant's user snapshot:
`shared.sync.snapshot.merge_changes`.)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from shared.errors import GraphError, GraphForbidden, GraphPermanent
from shared.models import USER_SELECT, EntraUser
from shared.models.graph_reads import SecureScore, SubscribedSku
from shared.service.ports import TenantDirectory, value
from shared.sync.facts import P1_NOTE, FactsInputs, MfaRegistration

__all__ = ["TenantReads", "latest_delta_url", "read_full_pass"]

log = logging.getLogger(__name__)

SECURE_SCORE_NOTE = "Secure Score not readable (needs SecurityEvents.Read.All)"
MFA_UNREAD_NOTE = "MFA report not read this pass ({error}): MFA facts keep their values"
SECURE_SCORE_UNREAD_NOTE = "Secure Score not read this pass ({error})"


def _transient(exc: GraphError) -> bool:
    """Throttled past the retries, 5xx, the network: an optional read that fails so degrades."""
    return not isinstance(exc, GraphPermanent)


@dataclass(frozen=True)
class TenantReads:
    users: list[EntraUser]
    facts: FactsInputs
    notes: list[str]
    skus: list[SubscribedSku] = field(default_factory=list)
    secure_score: SecureScore | None = None
    complete: bool = True  # a full list of users (False: a delta pass)
    delta_link: str | None = None  # where the next delta pass starts
    p1_asked: bool = False  # this pass asked Graph whether the tenant has Entra ID P1


def latest_delta_url(graph_base_url: str, select: Sequence[str] = USER_SELECT) -> str:
    """`/users/delta?$deltatoken=latest`: a delta link for "from now on", with no users in the answer."""
    fields = quote(",".join(select), safe=",")
    return f"{graph_base_url.rstrip('/')}/users/delta?$select={fields}&$deltatoken=latest"


async def read_full_pass(
    graph: TenantDirectory,
    group_ids: list[str] | None = None,
    *,
    delta_start: str | None = None,
    without_p1: bool = False,
) -> TenantReads:
    """Every user (with sign-in activity where the tenant has Entra ID P1) and the licence and MFA facts.

    A tenant without P1 answers 403 for the MFA report and sign-in activity: those facts are left empty
    with a note, and the tenant's sync goes on. The MFA report and Secure Score are optional reads: one
    that still fails transiently (429, 5xx) after the Graph client's retries degrades the same way,
    with a note, and the contacts are synced all the same (MFA facts then keep their values).
    `without_p1`: the tenant is known to lack P1 (a recent pass found so), so neither is asked.
    `delta_start` (see `latest_delta_url`) is read before the users, so a change made while they are
    read is in the next delta pass rather than lost. All of it is one round trip (a `$batch`) plus the
    users' pages after the first; a tenant found without P1 this pass reads its users once more,
    without sign-in activity.
    """
    # One round trip (`TenantDirectory.fixed_reads`, a `$batch`) for the users' first page and every
    # fixed read; each answer keeps its own status, so each read degrades (or raises) as it did alone.
    fixed = await graph.fixed_reads(delta_start=delta_start, p1=not without_p1)
    delta_link = value(fixed.delta_link) if delta_start else None
    notes: list[str] = []
    p1 = not without_p1
    mfa: dict[str, MfaRegistration] | None = None
    report = fixed.registration_details
    if isinstance(report, GraphForbidden):
        p1 = False  # the report's 403 tells a tenant without P1
    elif isinstance(report, GraphError):
        if not _transient(report):
            raise report
        log.warning("MFA report not read: %s", report)
        notes.append(MFA_UNREAD_NOTE.format(error=_short(report)))
    elif report is not None:
        mfa = {
            r.id: MfaRegistration(
                id=r.id, is_mfa_registered=r.is_mfa_registered, methods_registered=r.methods_registered or []
            )
            for r in report
        }
    read = fixed.users
    if isinstance(read, GraphForbidden) and fixed.sign_in_activity:
        # Sign-in activity refused (no P1): the one extra round trip, once a week for such a tenant.
        p1, mfa = False, None
        read = await graph.users(sign_in_activity=False)
    users = value(read)
    subscribed = value(fixed.skus)
    skus = {s.sku_id: s.sku_part_number or s.sku_id for s in subscribed}
    if not p1:
        notes.append(P1_NOTE)
    score: SecureScore | None = None
    if isinstance(fixed.secure_score, GraphForbidden):
        notes.append(SECURE_SCORE_NOTE)
    elif isinstance(fixed.secure_score, GraphError):
        if not _transient(fixed.secure_score):
            raise fixed.secure_score
        log.warning("Secure Score not read: %s", fixed.secure_score)
        notes.append(SECURE_SCORE_UNREAD_NOTE.format(error=_short(fixed.secure_score)))
    else:
        score = fixed.secure_score
    return TenantReads(
        users=users,
        facts=FactsInputs(sku_part_numbers=skus, entra_p1=p1, mfa=mfa),
        notes=notes,
        skus=subscribed,
        secure_score=score,
        delta_link=delta_link,
        p1_asked=not without_p1,
    )


def _short(exc: GraphError) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return f"{exc.status} {first}"[:200] if exc.status and str(exc.status) not in first else first[:200]
