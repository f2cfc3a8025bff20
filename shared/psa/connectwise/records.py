"""ConnectWise PSA's contacts and companies as its API renders them (`psa-specs/connectwise.json`:
`Contact`, `Company`, `ContactCommunicationItem`, `CustomFieldValue`); unknown keys are ignored."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["CwCommunication", "CwCompany", "CwContact", "CwCustomField", "CwReference"]

_UDF = re.compile(r"userDefinedField([1-9]|10)")


def _with_ids(value: Any) -> list[Any]:
    """The list's objects that have an id (anything else in a list is dropped)."""
    return [v for v in value if isinstance(v, dict) and isinstance(v.get("id"), int)] if isinstance(value, list) else []


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class CwReference(_Record):
    id: int | None = None
    name: str | None = None


class CwCommunication(_Record):
    id: int
    type: CwReference = Field(default_factory=CwReference)
    value: str = ""
    default_flag: bool | None = Field(default=False, alias="defaultFlag")
    communication_type: str | None = Field(default=None, alias="communicationType")  # "Email", "Phone", "Fax"

    @property
    def is_email(self) -> bool:
        return (self.communication_type or "").lower() == "email" or (self.type.name or "").lower() == "email"

    def of_type(self, name: str) -> bool:
        return (self.type.name or "").lower() == name.lower()


class CwCustomField(_Record):
    id: int
    caption: str = ""
    value: Any = None


class _WithCustomFields(_Record):
    custom_fields: list[CwCustomField] = Field(default_factory=list, alias="customFields")
    user_defined: dict[str, Any] = Field(default_factory=dict)  # userDefinedField1..10

    @field_validator("custom_fields", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return _with_ids(value)

    @model_validator(mode="before")
    @classmethod
    def _udfs(cls, data: Any) -> Any:
        if isinstance(data, dict):
            found = {key: value for key, value in data.items() if _UDF.fullmatch(key)}
            return {**data, "user_defined": found}
        return data

    def custom_values(self) -> dict[str, Any]:
        """Custom field caption -> value."""
        return {field.caption: field.value for field in self.custom_fields if field.caption}


class CwContact(_WithCustomFields):
    id: int
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    title: str | None = None
    address_line1: str | None = Field(default=None, alias="addressLine1")
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    inactive_flag: bool | None = Field(default=False, alias="inactiveFlag")
    company: CwReference | None = None
    communication_items: list[CwCommunication] = Field(default_factory=list, alias="communicationItems")

    @field_validator("communication_items", mode="before")
    @classmethod
    def _items(cls, value: Any) -> Any:
        return _with_ids(value)

    @field_validator("company", mode="before")
    @classmethod
    def _company(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else None


class CwCompany(_WithCustomFields):
    id: int
    identifier: str | None = None
    name: str | None = None
    website: str | None = None
    deleted_flag: bool | None = Field(default=False, alias="deletedFlag")
    invoice_to_email_address: str | None = Field(default=None, alias="invoiceToEmailAddress")
