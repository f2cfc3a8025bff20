"""Microsoft 365 facts about a client as a whole (R4.4): licensed and active users, Secure Score. Pure."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from shared.models import ClientMicrosoftFacts, EntraUser

__all__ = ["ACTIVE_WINDOW", "client_facts", "client_facts_changed", "is_active", "is_licensed"]

# "Active" = an enabled user who signed in within this window (interactive or not). Without Entra ID P1
# Graph does not give sign-in activity, so the count is unknown (None), never a guess.
ACTIVE_WINDOW = timedelta(days=30)


def is_licensed(user: EntraUser) -> bool:
    return user.account_enabled and bool(user.assigned_licenses)


def is_active(user: EntraUser, now: datetime, window: timedelta = ACTIVE_WINDOW) -> bool:
    activity = user.sign_in_activity
    if not user.account_enabled or activity is None:
        return False
    seen = [t for t in (activity.last_sign_in_date_time, activity.last_non_interactive_sign_in_date_time) if t]
    return any(now - t <= window for t in seen)


def client_facts(
    users: Sequence[EntraUser],
    *,
    now: datetime,
    sign_in_known: bool,
    secure_score: float | None,
    secure_score_max: float | None,
) -> ClientMicrosoftFacts:
    """Every user of the tenant counts: a licence is billed whether or not the user is synced."""
    return ClientMicrosoftFacts(
        licensed_users=sum(is_licensed(u) for u in users),
        active_users=sum(is_active(u, now) for u in users) if sign_in_known else None,
        secure_score=secure_score,
        secure_score_max=secure_score_max,
    )


def client_facts_changed(
    new: ClientMicrosoftFacts, current: ClientMicrosoftFacts | None, held: Collection[str]
) -> bool:
    """True if `new` must be written: there are none yet, or one the PSA keeps (`held`,
    `Capabilities.client_fact_fields`) differs; the others read back blank (R8.1). The time they
    were taken never counts."""
    if current is None:
        return True
    fields = set(held) - {"updated_at"}
    return new.model_dump(include=fields) != current.model_dump(include=fields)
