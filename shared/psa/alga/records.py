"""Alga PSA's clients and contacts as its API renders them (`psa-specs/alga.json`:
`ContactResource`, `ClientEnvelope.data`, the paginated envelopes); unknown keys are ignored."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "AlgaClient",
    "AlgaClientPage",
    "AlgaContact",
    "AlgaContactPage",
    "AlgaEmail",
    "AlgaPagination",
    "AlgaPhone",
]


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AlgaPhone(_Record):
    contact_phone_number_id: str | None = None
    phone_number: str
    extension: str | None = None
    canonical_type: str | None = None  # work, mobile, home, fax, other
    custom_type: str | None = None
    is_default: bool = False
    display_order: int | None = None

    def as_input(self, **changes: Any) -> dict[str, Any]:
        """The item as a request body lists it (the answer's own keys, blanks left out)."""
        keys = ("contact_phone_number_id", "phone_number", "extension", "canonical_type", "custom_type")
        item: dict[str, Any] = {key: getattr(self, key) for key in keys if getattr(self, key)}
        item["is_default"] = self.is_default
        if self.display_order is not None:
            item["display_order"] = self.display_order
        return item | changes


class AlgaEmail(_Record):
    contact_additional_email_address_id: str | None = None
    email_address: str
    canonical_type: str | None = None  # work, personal, billing, other
    custom_type: str | None = None
    display_order: int | None = None

    def as_input(self) -> dict[str, Any]:
        keys = ("contact_additional_email_address_id", "email_address", "canonical_type", "custom_type")
        item: dict[str, Any] = {key: getattr(self, key) for key in keys if getattr(self, key)}
        if self.display_order is not None:
            item["display_order"] = self.display_order
        return item


class AlgaContact(_Record):
    contact_name_id: str
    full_name: str = ""
    client_id: str | None = None
    email: str = ""
    primary_email_canonical_type: str | None = None
    role: str | None = None
    is_inactive: bool = False
    phone_numbers: list[AlgaPhone] = Field(default_factory=list)
    additional_email_addresses: list[AlgaEmail] = Field(default_factory=list)

    @field_validator("phone_numbers", "additional_email_addresses", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return value if isinstance(value, list) else []


class AlgaClient(_Record):
    client_id: str
    client_name: str = ""
    email: str | None = None
    billing_email: str | None = None
    url: str | None = None
    is_inactive: bool = False
    properties: dict[str, Any] = Field(default_factory=dict)

    @field_validator("properties", mode="before")
    @classmethod
    def _object(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {}


class AlgaPagination(_Record):
    page: int = 1
    total_pages: int = Field(default=1, alias="totalPages")
    has_next: bool = Field(default=False, alias="hasNext")


class AlgaContactPage(_Record):
    data: list[AlgaContact] = Field(default_factory=list)
    pagination: AlgaPagination = Field(default_factory=AlgaPagination)


class AlgaClientPage(_Record):
    data: list[AlgaClient] = Field(default_factory=list)
    pagination: AlgaPagination = Field(default_factory=AlgaPagination)
