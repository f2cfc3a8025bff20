"""What a tenant's directory hands over when Graph is read (the `TenantDirectory` port,
`shared.service.ports`): the partner's GDAP relationships and customers, the organization, the
subscribed SKUs, the MFA report's rows, the latest Secure Score, and a delta read's users and next link.
Graph's v1.0 property names on the wire; the adapter (`shared.graph`) reads its pages into these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from shared.models.base import WireModel
from shared.models.entra import EntraUser, VerifiedDomain

__all__ = [
    "DelegatedAdminCustomer",
    "DelegatedAdminRelationship",
    "DeltaResult",
    "Organization",
    "PrepaidUnits",
    "RegistrationDetail",
    "RelationshipCustomer",
    "SecureScore",
    "SubscribedSku",
]


class RelationshipCustomer(WireModel):
    tenant_id: str
    display_name: str | None = None


class DelegatedAdminRelationship(WireModel):
    id: str
    status: str | None = None
    customer: RelationshipCustomer | None = None


class DelegatedAdminCustomer(WireModel):
    id: str  # the customer's tenant id
    tenant_id: str | None = None
    display_name: str | None = None


class Organization(WireModel):
    id: str
    display_name: str | None = None
    verified_domains: list[VerifiedDomain] = Field(default_factory=list)


class PrepaidUnits(WireModel):
    enabled: int | None = None
    suspended: int | None = None
    warning: int | None = None
    locked_out: int | None = None


class SubscribedSku(WireModel):
    sku_id: str
    sku_part_number: str | None = None
    prepaid_units: PrepaidUnits | None = None
    consumed_units: int | None = None
    capability_status: str | None = None


class RegistrationDetail(WireModel):
    id: str
    is_mfa_registered: bool | None = None
    methods_registered: list[str] | None = None


class SecureScore(WireModel):
    created_date_time: datetime | None = None
    current_score: float | None = None
    max_score: float | None = None


@dataclass(frozen=True)
class DeltaResult:
    users: list[EntraUser]
    delta_link: str
