"""Syncro's customers and contacts as its API renders them (`psa-specs/syncro.json` gives examples,
not schemas, for answers: every field is optional here and unknown ones are ignored)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["SyncroContact", "SyncroContactPage", "SyncroCustomer", "SyncroCustomerPage", "SyncroMeta"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @field_validator("properties", mode="before", check_fields=False)
    @classmethod
    def _object(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {}


class SyncroContact(_Record):
    id: int
    customer_id: int | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    title: str | None = None  # taken on PUT; whether answers carry it is detected (`title_shown`)
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)  # the contact's custom fields, by name

    @property
    def title_shown(self) -> bool:
        """The answer carried a `title` key (the spec's examples do not show one)."""
        return "title" in self.model_fields_set


class SyncroCustomer(_Record):
    id: int
    business_name: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    fullname: str | None = None
    email: str | None = None
    disabled: bool | None = False
    properties: dict[str, Any] = Field(default_factory=dict)

    @property
    def display_name(self) -> str:
        person = " ".join(p for p in (self.firstname, self.lastname) if p)
        return self.business_name or self.fullname or person or f"Customer {self.id}"


class SyncroMeta(BaseModel):
    model_config = ConfigDict(extra="ignore")

    total_pages: int = 1
    page: int = 1


class SyncroContactPage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    contacts: list[SyncroContact] = Field(default_factory=list)
    meta: SyncroMeta = Field(default_factory=SyncroMeta)


class SyncroCustomerPage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    customers: list[SyncroCustomer] = Field(default_factory=list)
    meta: SyncroMeta = Field(default_factory=SyncroMeta)
