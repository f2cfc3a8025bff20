"""Tenant -> PSA client mappings (SYNC_RULES R1)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from shared.models.base import WireModel

__all__ = ["Candidate", "Mapping", "MappingStatus", "MatchReason"]


class MappingStatus(StrEnum):
    AUTO_MATCHED = "auto-matched"  # a suggestion: one client shares a primary domain
    NEEDS_REVIEW = "needs-review"  # a suggestion a person must look at
    UNMATCHED = "unmatched"
    CONFIRMED = "confirmed"  # the only status the sync acts on
    SKIPPED = "skipped"


class MatchReason(StrEnum):
    DOMAIN = "domain"
    SECONDARY_DOMAIN = "secondary-domain"
    NAME = "name"


class Candidate(WireModel):
    client_id: str
    score: float
    reason: MatchReason
    detail: str = ""  # e.g. the shared domain or the two normalised names


class Mapping(WireModel):
    tenant_id: str
    status: MappingStatus
    client_id: str | None = None  # the confirmed client (status confirmed only)
    candidates: list[Candidate] = Field(default_factory=list)
    imported_client_id: str | None = None  # the client made by "import", so a second import reuses it
    decided_by: str | None = None
    decided_at: datetime | None = None
    suggested_at: datetime | None = None
