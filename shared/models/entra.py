"""Microsoft Entra ID objects as the app reads them from Graph (v1.0 property names on the wire)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator

from shared.models.base import WireModel

__all__ = [
    "USER_SELECT",
    "AssignedLicense",
    "ConnectionHealth",
    "EntraUser",
    "SignInActivity",
    "Tenant",
    "TenantSource",
    "VerifiedDomain",
]


class AssignedLicense(WireModel):
    sku_id: str
    disabled_plans: list[str] = Field(default_factory=list)


class SignInActivity(WireModel):
    last_sign_in_date_time: datetime | None = None
    last_non_interactive_sign_in_date_time: datetime | None = None


class Removed(WireModel):
    reason: str = "changed"


class EntraUser(WireModel):
    """A user as Graph returns it; every field but `id` may be absent from a partial (delta) object."""

    id: str
    display_name: str | None = None
    given_name: str | None = None
    surname: str | None = None
    mail: str | None = None
    user_principal_name: str | None = None
    proxy_addresses: list[str] = Field(default_factory=list)
    other_mails: list[str] = Field(default_factory=list)
    account_enabled: bool = True
    user_type: str | None = None
    job_title: str | None = None
    department: str | None = None
    office_location: str | None = None
    business_phones: list[str] = Field(default_factory=list)
    mobile_phone: str | None = None
    street_address: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    company_name: str | None = None
    assigned_licenses: list[AssignedLicense] = Field(default_factory=list)
    sign_in_activity: SignInActivity | None = None
    removed: Removed | None = Field(default=None, alias="@removed")

    @field_validator("proxy_addresses", "other_mails", "business_phones", "assigned_licenses", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("account_enabled", mode="before")
    @classmethod
    def _null_is_enabled(cls, value: Any) -> Any:
        return True if value is None else value

    @property
    def is_guest(self) -> bool:
        return (self.user_type or "").lower() == "guest"


# Properties the sync reads: every one exists on msgraph-sdk's User model (a test checks it).
USER_SELECT: tuple[str, ...] = (
    "id",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "userPrincipalName",
    "proxyAddresses",
    "otherMails",
    "accountEnabled",
    "userType",
    "jobTitle",
    "department",
    "officeLocation",
    "businessPhones",
    "mobilePhone",
    "streetAddress",
    "city",
    "state",
    "postalCode",
    "country",
    "companyName",
    "assignedLicenses",
)


class VerifiedDomain(WireModel):
    name: str
    is_default: bool = False
    is_initial: bool = False
    type: str | None = None


class TenantSource(StrEnum):
    GDAP = "gdap"
    REGISTERED = "registered"


class ConnectionHealth(StrEnum):
    OK = "ok"
    NOT_CONSENTED = "not-consented"
    FORBIDDEN = "forbidden"
    ERROR = "error"
    UNKNOWN = "unknown"


class Tenant(WireModel):
    """A customer tenant the MSP manages, as discovery last saw it."""

    tenant_id: str
    display_name: str = ""
    domains: list[str] = Field(default_factory=list)  # verified, not initial (*.onmicrosoft.com)
    initial_domain: str | None = None
    source: TenantSource = TenantSource.GDAP
    managed: bool = True  # False once the tenant left the partner's relationships; never deleted
    discovered_at: datetime | None = None
    last_seen_at: datetime | None = None
    left_at: datetime | None = None
    health: ConnectionHealth = ConnectionHealth.UNKNOWN
    health_message: str | None = None
