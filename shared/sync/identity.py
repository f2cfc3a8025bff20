"""Who a user is by e-mail: the email identity (R2.1) and every address they answer to (R3.2)."""

from __future__ import annotations

import re

from shared.models.entra import EntraUser
from shared.sync.domains import is_initial_domain

__all__ = ["email_identity", "is_address", "local_part", "user_addresses"]

# Deliberately loose: one "@", no spaces, and a domain with at least one dot and no empty label.
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$")
_SMTP = "smtp:"


def is_address(value: str | None) -> bool:
    """True if `value` (stripped) looks like an e-mail address."""
    return value is not None and _ADDRESS.match(value.strip()) is not None


def local_part(address: str) -> str:
    """What comes before the last "@" (the whole value if there is none)."""
    return address.rpartition("@")[0] if "@" in address else address


def email_identity(user: EntraUser) -> str | None:
    """The address the sync knows a user by (R2.1), stripped, in the case Entra gives it.

    `mail` if it is a valid address; else the UPN if it is valid and not on an initial
    (`*.onmicrosoft.com`) domain; else None.
    """
    if is_address(user.mail):
        return (user.mail or "").strip()
    upn = (user.user_principal_name or "").strip()
    if is_address(upn) and not is_initial_domain(upn.rpartition("@")[2]):
        return upn
    return None


def user_addresses(user: EntraUser) -> frozenset[str]:
    """Every address of the user, lower-cased (R3.2).

    `mail`, the UPN, the `smtp:` / `SMTP:` entries of `proxyAddresses` (not `x500:`, `sip:` and the like)
    and `otherMails`; values that are not addresses are left out.
    """
    values = [user.mail, user.user_principal_name, *user.other_mails]
    values += [p[len(_SMTP) :] for p in user.proxy_addresses if p[: len(_SMTP)].lower() == _SMTP]
    return frozenset(v.strip().lower() for v in values if v is not None and is_address(v))
