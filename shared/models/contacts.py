"""Links between Entra users and PSA contacts, and the ambiguities a person must settle (R3, R6)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from shared.models.base import WireModel

__all__ = ["Ambiguity", "AmbiguityStatus", "ContactLink", "InactiveReason"]


class InactiveReason(StrEnum):
    DISABLED = "disabled-in-microsoft"
    DELETED = "deleted-in-microsoft"


class ContactLink(WireModel):
    """One Entra user <-> one PSA contact of the tenant's mapped client."""

    tenant_id: str
    user_id: str
    contact_id: str
    client_id: str
    synced_hash: str | None = None  # hash of the Entra values last written, to skip unchanged users
    inactivated_by_sync: bool = False
    inactive_reason: InactiveReason | None = None
    user_deleted: bool = False  # gone from Entra; the link is kept for a restore (R5.2)


class AmbiguityStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class Ambiguity(WireModel):
    tenant_id: str
    user_id: str
    display_name: str | None = None
    email: str | None = None
    candidate_contact_ids: list[str] = Field(default_factory=list)
    status: AmbiguityStatus = AmbiguityStatus.OPEN
    resolution: str | None = None  # "existing", "new" or "dismiss"
    contact_id: str | None = None  # the contact it was resolved to
    created_at: datetime | None = None
    updated_at: datetime | None = None
    resolved_by: str | None = None
