"""R4.4 client facts: licensed users, active users (30 days), Secure Score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.models import EntraUser
from shared.sync.client_facts import client_facts

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
SPB = [{"skuId": "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"}]


def user(uid: str, *, enabled: bool = True, licensed: bool = True, days_ago: float | None = 1) -> EntraUser:
    sign_in = None if days_ago is None else {"lastSignInDateTime": (NOW - timedelta(days=days_ago)).isoformat()}
    return EntraUser.model_validate(
        {"id": uid, "accountEnabled": enabled, "assignedLicenses": SPB if licensed else [], "signInActivity": sign_in}
    )


def test_r4_4_licensed_counts_enabled_users_holding_any_licence() -> None:
    users = [user("a"), user("b", enabled=False), user("c", licensed=False), user("d")]

    facts = client_facts(users, now=NOW, sign_in_known=True, secure_score=None, secure_score_max=None)

    assert facts.licensed_users == 2


def test_r4_4_active_counts_enabled_users_signed_in_within_30_days() -> None:
    users = [
        user("a", days_ago=1),
        user("b", days_ago=29.9),
        user("c", days_ago=31),
        user("d", days_ago=None),
        user("e", enabled=False, days_ago=1),
        user("f", licensed=False, days_ago=2),
    ]

    facts = client_facts(users, now=NOW, sign_in_known=True, secure_score=41.5, secure_score_max=78)

    assert facts.active_users == 3
    assert (facts.secure_score, facts.secure_score_max) == (41.5, 78)


def test_r4_4_active_is_unknown_without_sign_in_data() -> None:
    facts = client_facts([user("a")], now=NOW, sign_in_known=False, secure_score=None, secure_score_max=None)

    assert facts.active_users is None and facts.licensed_users == 1
