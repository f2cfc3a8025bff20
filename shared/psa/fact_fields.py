"""Microsoft facts (R4.4) in a PSA's named custom fields (HaloPSA custom fields, ConnectWise custom
fields, Autotask UDFs), both ways. The names come from the connector's settings (`FactFieldSettings`);
which of them exist in the PSA is for the connector to learn (R8.4: a missing one is skipped).

Values are text, as a free-text custom field holds them (the form Syncro's integration made
familiar): the licence's name; MFA `enabled` / `disabled`; the methods comma-separated; the last
sign-in ISO 8601 in UTC; the client's numbers in decimal. Reading back gives the same facts, so a
fact that did not change is never written again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.config import FactFieldSettings
from shared.models import ClientMicrosoftFacts, MicrosoftFacts

__all__ = ["NOWHERE", "FactFields"]

NOWHERE = "-"  # a setting's value that keeps that fact nowhere


@dataclass(frozen=True)
class FactFields:
    """Which PSA field keeps which fact: `contact` maps `MicrosoftFacts` names, `client` maps
    `ClientMicrosoftFacts` names, each to the PSA's field name."""

    contact: Mapping[str, str]
    client: Mapping[str, str]

    @classmethod
    def from_settings(cls, settings: FactFieldSettings) -> FactFields:
        contact = {
            "license": settings.contact_license_field,
            "mfa_registered": settings.contact_mfa_status_field,
            "mfa_methods": settings.contact_mfa_methods_field,
            "last_sign_in": settings.contact_last_sign_in_field,
        }
        client = {
            "secure_score": settings.client_secure_score_field,
            "licensed_users": settings.client_licensed_users_field,
            "active_users": settings.client_active_users_field,
        }
        return cls(
            {k: v.strip() for k, v in contact.items() if v.strip() not in ("", NOWHERE)},
            {k: v.strip() for k, v in client.items() if v.strip() not in ("", NOWHERE)},
        )

    def contact_values(self, facts: MicrosoftFacts) -> dict[str, str]:
        """PSA field name -> text, for every contact fact this PSA is told to keep."""
        status = "" if facts.mfa_registered is None else ("enabled" if facts.mfa_registered else "disabled")
        methods = "" if facts.mfa_methods is None else ", ".join(facts.mfa_methods)
        seen = facts.last_sign_in.astimezone(UTC).isoformat().replace("+00:00", "Z") if facts.last_sign_in else ""
        values = {"license": facts.license or "", "mfa_registered": status, "mfa_methods": methods}
        values["last_sign_in"] = seen
        return {name: values[fact] for fact, name in self.contact.items()}

    def client_values(self, facts: ClientMicrosoftFacts) -> dict[str, str]:
        values = {"secure_score": facts.secure_score, "licensed_users": facts.licensed_users}
        values["active_users"] = facts.active_users
        return {name: "" if values[fact] is None else str(values[fact]) for fact, name in self.client.items()}

    def contact_facts(self, stored: Mapping[str, Any]) -> MicrosoftFacts | None:
        """The facts in a contact's fields (`stored`: PSA field name, any case -> value); None when
        none of them holds anything."""
        found = _lowered(stored)
        text = {fact: _text(found.get(name.lower())) for fact, name in self.contact.items()}
        if not any(text.values()):
            return None
        status = text.get("mfa_registered", "").casefold()
        registered = True if status == "enabled" else False if status == "disabled" else None
        methods = [m.strip() for m in text.get("mfa_methods", "").split(",") if m.strip()]
        return MicrosoftFacts(
            license=text.get("license") or None,
            mfa_registered=registered,
            # Methods are known with the status (an empty list then), unknown without it.
            mfa_methods=methods if methods or registered is not None else None,
            last_sign_in=_when(text.get("last_sign_in", "")),
        )

    def client_facts(self, stored: Mapping[str, Any]) -> ClientMicrosoftFacts | None:
        found = _lowered(stored)
        numbers = {fact: _number(found.get(name.lower())) for fact, name in self.client.items()}
        if all(value is None for value in numbers.values()):
            return None
        licensed, active = numbers.get("licensed_users"), numbers.get("active_users")
        return ClientMicrosoftFacts(
            secure_score=numbers.get("secure_score"),
            licensed_users=int(licensed) if licensed is not None else None,
            active_users=int(active) if active is not None else None,
        )


def _lowered(values: Mapping[str, Any]) -> dict[str, Any]:
    return {str(key).lower(): value for key, value in values.items()}


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _when(text: str) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _number(value: Any) -> float | None:
    text = _text(value)
    try:
        return float(text) if text else None
    except ValueError:
        return None  # edited by hand into something else: written again
