"""What every full pass reads of a tenant, in one `$batch` (`GraphTenantDirectory.fixed_reads`): the
users (the first page in the batch, the rest followed), the subscribed SKUs, the latest Secure Score,
the MFA report (on a tenant that may have Entra ID P1) and the delta start. Each read keeps its own
outcome, its value or the `GraphError` its own answer maps to, so the caller decides what degrades
(`shared.service.tenant_reads`); `value` raises the error of a read that must not fail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from shared.errors import GraphError
from shared.graph.pages import RegistrationDetail, SecureScore, SubscribedSku
from shared.models import EntraUser

__all__ = ["FixedReads", "value"]

T = TypeVar("T")


@dataclass(frozen=True)
class FixedReads:
    users: list[EntraUser] | GraphError  # every user, with sign-in activity when `sign_in_activity`
    skus: list[SubscribedSku] | GraphError
    secure_score: SecureScore | GraphError | None
    registration_details: list[RegistrationDetail] | GraphError | None = None  # None: not asked
    delta_link: str | GraphError | None = None  # None: not asked
    sign_in_activity: bool = False


def value(read: T | GraphError) -> T:
    """The read's value, or its error raised."""
    if isinstance(read, GraphError):
        raise read
    return read
