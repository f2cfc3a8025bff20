"""Graph collection pages, validated straight from the raw bytes (about 1000x faster than the SDK's models).
The items are the app's models (`shared.models.graph_reads`, `EntraUser`); the page around them is Graph's."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import Field

from shared.models import EntraUser
from shared.models.base import WireModel

__all__ = ["Page", "UserPage"]

T = TypeVar("T")


class Page(WireModel, Generic[T]):
    value: list[T] = Field(default_factory=list)
    next_link: str | None = Field(default=None, alias="@odata.nextLink")
    delta_link: str | None = Field(default=None, alias="@odata.deltaLink")


UserPage = Page[EntraUser]
