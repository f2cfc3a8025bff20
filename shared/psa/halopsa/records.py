"""HaloPSA's users, clients, sites and custom-field definitions as its API renders them.

Halo's spec declares its answers only as "Success", so every key here is optional and unknown ones
are ignored: a user `id`, `name`, `firstname`, `surname`, `site_id`, `client_id`, the email, phone
and text fields, `primary_address` (`line1`..`line4`, `postcode`), `inactive`, `azureoid`,
`customfields` (`[{id, name, value, ...}]`); a client `id`, `name`, `website`, `domain`,
`inactive`, `main_site_id`, `accountsemailaddress`, `customfields`. Lists are `{"record_count",
"users"|"clients"|"sites": [...]}` (a bare array is read too).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "HaloAddress",
    "HaloClient",
    "HaloClientPage",
    "HaloCustomField",
    "HaloFieldInfo",
    "HaloSite",
    "HaloSitePage",
    "HaloUser",
    "HaloUserPage",
]


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


class HaloCustomField(_Record):
    id: int | None = None
    name: str = ""
    value: Any = None


class HaloAddress(_Record):
    line1: str | None = None
    line2: str | None = None
    line3: str | None = None
    line4: str | None = None
    postcode: str | None = None


class _WithCustomFields(_Record):
    customfields: list[HaloCustomField] = Field(default_factory=list)

    @field_validator("customfields", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []

    def custom_values(self) -> dict[str, Any]:
        """Custom field name -> value."""
        return {field.name: field.value for field in self.customfields if field.name}


class HaloUser(_WithCustomFields):
    id: int
    name: str | None = None
    firstname: str | None = None
    surname: str | None = None
    site_id: float | int | None = None  # Halo's spec types it as a double
    client_id: int | None = None
    emailaddress: str | None = None
    email2: str | None = None
    email3: str | None = None
    title: str | None = None
    phonenumber: str | None = None
    mobilenumber: str | None = None
    department: str | None = None
    primary_address: HaloAddress | None = None
    inactive: bool | None = False
    azureoid: str | None = None

    @field_validator("primary_address", mode="before")
    @classmethod
    def _address(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else None


class HaloClient(_WithCustomFields):
    id: int
    name: str | None = None
    website: str | None = None
    domain: str | None = None
    inactive: bool | None = False
    main_site_id: int | None = None
    accountsemailaddress: str | None = None


class HaloSite(_Record):
    id: int
    client_id: int | None = None
    inactive: bool | None = False


class HaloFieldInfo(_Record):
    """A `/FieldInfo` entry: a custom field's definition."""

    id: int | None = None
    name: str = ""


class HaloUserPage(_Record):
    record_count: int | None = None
    users: list[HaloUser] = Field(default_factory=list)


class HaloClientPage(_Record):
    record_count: int | None = None
    clients: list[HaloClient] = Field(default_factory=list)


class HaloSitePage(_Record):
    sites: list[HaloSite] = Field(default_factory=list)
