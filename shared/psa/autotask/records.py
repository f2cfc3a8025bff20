"""Autotask's contacts and companies as its REST API renders them: camelCase JSON, although the
spec's definitions are PascalCase (`ContactModel`, `CompanyModel`); unknown keys are ignored.
Queries answer `{"items": [...], "pageDetails": {"count", "nextPageUrl", ...}}`, a single GET
`{"item": ...}` (null when there is none), a create `{"itemId": ...}`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "AtCompany",
    "AtContact",
    "AtItem",
    "AtPage",
    "AtPageDetails",
    "AtUdf",
    "AtUdfInfo",
    "AtZone",
]


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class AtUdf(_Record):
    name: str = ""
    value: Any = None


class _WithUdfs(_Record):
    udfs: list[AtUdf] = Field(default_factory=list, alias="userDefinedFields")

    @field_validator("udfs", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []

    def udf_values(self) -> dict[str, Any]:
        return {udf.name: udf.value for udf in self.udfs if udf.name}


class AtContact(_WithUdfs):
    id: int
    company_id: int | None = Field(default=None, alias="companyID")
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    email: str | None = Field(default=None, alias="emailAddress")
    email2: str | None = Field(default=None, alias="emailAddress2")
    email3: str | None = Field(default=None, alias="emailAddress3")
    phone: str | None = None
    mobile: str | None = Field(default=None, alias="mobilePhone")
    title: str | None = None
    street: str | None = Field(default=None, alias="addressLine")
    city: str | None = None
    state: str | None = None
    postal_code: str | None = Field(default=None, alias="zipCode")
    is_active: int | bool | None = Field(default=1, alias="isActive")
    external_id: str | None = Field(default=None, alias="externalID")


class AtCompany(_WithUdfs):
    id: int
    company_name: str | None = Field(default=None, alias="companyName")
    web_address: str | None = Field(default=None, alias="webAddress")
    is_active: int | bool | None = Field(default=True, alias="isActive")


class AtPageDetails(_Record):
    count: int | None = None
    next_page_url: str | None = Field(default=None, alias="nextPageUrl")


class AtPage(_Record):
    items: list[dict[str, Any]] = Field(default_factory=list)
    page_details: AtPageDetails = Field(default_factory=AtPageDetails, alias="pageDetails")


class AtItem(_Record):
    item: dict[str, Any] | None = None


class AtUdfInfo(_Record):
    fields: list[AtUdf] = Field(default_factory=list)


class AtZone(_Record):
    url: str
    zone_name: str | None = Field(default=None, alias="zoneName")
