"""What an operator controls about the sync: field controls, filters, exclusions, the safety brake."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from shared.models.base import WireModel

__all__ = [
    "DEFAULT_EXCLUSION_PATTERNS",
    "FieldControls",
    "Filters",
    "SafetyBrake",
    "SyncSettings",
    "TenantOverrides",
]

# Anchored, checked against the local part of the email identity and of the UPN (R2.3).
DEFAULT_EXCLUSION_PATTERNS: tuple[str, ...] = (
    r"^svc[-_.]",
    r"^(no-?reply|do-?not-?reply)$",
    r"^(automation|scanner|sync|backup)[-_.]",
)


class FieldControls(WireModel):
    """Which fields a sync may overwrite on a linked contact (R4.2). Creates always fill every field."""

    name: bool = True
    email: bool = False
    phone: bool = True
    mobile: bool = True
    job_title: bool = True
    department: bool = True
    office_location: bool = True
    address: bool = True
    upn: bool = False


ALL_USER_TYPES = ["Member", "Guest"]


def _is_all(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "all"
    return isinstance(value, list) and any(isinstance(v, str) and v.lower() == "all" for v in value)


class Filters(WireModel):
    """A user must meet every filter that is set (R2.4); None means not set."""

    user_types: list[str] | None = None  # unset: members only; include "Guest" to take guests
    domains: list[str] | None = None
    departments: list[str] | None = None
    office_locations: list[str] | None = None
    groups: list[str] | None = None  # group ids, transitive membership
    licensed: bool | None = None

    @field_validator("domains", "departments", "office_locations", "groups", mode="before")
    @classmethod
    def _all(cls, value: Any) -> Any:
        # "all" covers values that appear later too: the same as no filter.
        return None if _is_all(value) else value

    @field_validator("user_types", mode="before")
    @classmethod
    def _all_types(cls, value: Any) -> Any:
        # Unset means members only (R2.2); "all" takes guests as well.
        return list(ALL_USER_TYPES) if _is_all(value) else value


class SafetyBrake(WireModel):
    """Hold a tenant's inactivations above max(min_contacts, percent % of linked contacts) (R5.5)."""

    min_contacts: int = Field(default=5, ge=0)
    percent: float = Field(default=20, ge=0, le=100)


def _check_patterns(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc
    return patterns


class SyncSettings(WireModel):
    """The effective settings for one tenant: global values with its overrides merged in."""

    field_controls: FieldControls = Field(default_factory=FieldControls)
    filters: Filters = Field(default_factory=Filters)
    exclusion_patterns: list[str] = Field(default_factory=lambda: list(DEFAULT_EXCLUSION_PATTERNS))
    safety_brake: SafetyBrake = Field(default_factory=SafetyBrake)

    @field_validator("exclusion_patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        return _check_patterns(value)


class TenantOverrides(WireModel):
    """Per-tenant overrides, merged over the global settings key by key.

    A control or filter not named keeps its global value; a filter set to null is lifted.
    """

    field_controls: dict[str, bool] = Field(default_factory=dict)
    filters: dict[str, Any] = Field(default_factory=dict)
    exclusion_patterns: list[str] | None = None
    safety_brake: SafetyBrake | None = None

    @field_validator("field_controls")
    @classmethod
    def _known_controls(cls, value: dict[str, bool]) -> dict[str, bool]:
        return _known_keys(value, FieldControls, "field control")

    @field_validator("filters")
    @classmethod
    def _known_filters(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _known_keys(value, Filters, "filter")

    @field_validator("exclusion_patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_patterns(value)

    def merged_over(self, base: SyncSettings) -> SyncSettings:
        controls = base.field_controls.model_dump(by_alias=False) | {
            _field_name(FieldControls, k): v for k, v in self.field_controls.items()
        }
        filters = base.filters.model_dump(by_alias=False) | {
            _field_name(Filters, k): v for k, v in self.filters.items()
        }
        return SyncSettings(
            field_controls=FieldControls.model_validate(controls),
            filters=Filters.model_validate(filters),
            exclusion_patterns=(
                self.exclusion_patterns if self.exclusion_patterns is not None else base.exclusion_patterns
            ),
            safety_brake=self.safety_brake or base.safety_brake,
        )


def _field_name(model: type[WireModel], key: str) -> str:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return name
    raise ValueError(f"unknown key {key!r}")


def _known_keys(value: dict[str, Any], model: type[WireModel], what: str) -> dict[str, Any]:
    known = {n for n in model.model_fields} | {i.alias for i in model.model_fields.values() if i.alias}
    unknown = sorted(set(value) - known)
    if unknown:
        raise ValueError(f"unknown {what}: {', '.join(unknown)}")
    return value
