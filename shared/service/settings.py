"""Reading and changing the sync settings, globally or for one tenant (R2.3, R2.4, R4.2, R5.5).

Each section is changed on its own: field controls, filters, exclusion patterns, the safety brake.

* Globally, a PUT replaces the section; a key not named takes its default.
* For a tenant, a PUT replaces that tenant's overrides of the section, which are merged over the global
  values key by key when a run reads them (`TenantOverrides.merged_over`): a control or filter not named
  keeps the global value, a filter set to null is lifted for that tenant, and `{}` drops the overrides.
  Exclusion patterns and the safety brake are overridden as a whole.

Every value is validated by the models in `shared.models.sync_settings`; a refusal is ValidationFailed
naming the field (a bad regular expression names the pattern).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.errors import NotFound, ValidationFailed
from shared.models import FieldControls, Filters, SafetyBrake, SyncSettings, TenantOverrides
from shared.models.base import WireModel
from shared.service.app import App
from shared.sync.patterns import problem as pattern_problem

__all__ = [
    "ExclusionsInput",
    "FieldControlsInput",
    "FiltersInput",
    "SafetyBrakeInput",
    "Section",
    "SectionInput",
    "TenantSettingsView",
    "read_section",
    "write_section",
]


class Section(StrEnum):
    FIELD_CONTROLS = "field-controls"
    FILTERS = "filters"
    EXCLUSIONS = "exclusions"
    SAFETY_BRAKE = "safety-brake"


_STRICT = ConfigDict(extra="forbid")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_EXAMPLE_ID = "0f6bd3a5-5d9e-4e4a-9c1e-6f3a2b7d8c90"


class FieldControlsInput(FieldControls):
    """Which fields a sync may overwrite on a linked contact; an unknown control is refused."""

    model_config = _STRICT


class FiltersInput(Filters):
    """Which users are considered; `"all"` covers values that appear later; null lifts a filter.
    Groups are Entra object ids (GUIDs); for a tenant, each must be one of its groups."""

    model_config = _STRICT

    @field_validator("groups")
    @classmethod
    def _group_ids(cls, value: list[str] | None) -> list[str] | None:
        for group_id in value or []:
            if not _GUID.fullmatch(group_id):
                raise ValueError(f"{group_id!r} is not a group id (an Entra object id such as {_EXAMPLE_ID})")
        return value


class ExclusionsInput(WireModel):
    """Anchored regular expressions checked against the local part of the email identity and UPN.
    They run on RE2 (linear time), so a backreference or a lookaround is refused."""

    model_config = _STRICT

    patterns: list[str] | None = Field(default=None, max_length=200)

    @field_validator("patterns")
    @classmethod
    def _linear_time(cls, value: list[str] | None) -> list[str] | None:
        for pattern in value or []:
            if (why := pattern_problem(pattern)) is not None:
                raise ValueError(f"pattern '{pattern}' cannot be used: {why}")
        return value


class SafetyBrakeInput(SafetyBrake):
    """Hold a tenant's inactivations above max(minContacts, percent % of its linked contacts)."""

    model_config = _STRICT


SectionInput = FieldControlsInput | FiltersInput | ExclusionsInput | SafetyBrakeInput

_ALIAS = {
    Section.FIELD_CONTROLS: "fieldControls",
    Section.FILTERS: "filters",
    Section.EXCLUSIONS: "exclusionPatterns",
    Section.SAFETY_BRAKE: "safetyBrake",
}  # TenantOverrides names its sections as SyncSettings does
_SECTION_OF: dict[type[BaseModel], Section] = {
    FieldControlsInput: Section.FIELD_CONTROLS,
    FiltersInput: Section.FILTERS,
    ExclusionsInput: Section.EXCLUSIONS,
    SafetyBrakeInput: Section.SAFETY_BRAKE,
}
M = TypeVar("M", bound=BaseModel)


class TenantSettingsView(WireModel):
    """A section for one tenant: what a run uses, and what the tenant overrides ({} for nothing)."""

    tenant_id: str
    effective: dict[str, Any]
    overrides: dict[str, Any]


async def read_section(app: App, section: Section, tenant_id: str | None = None) -> dict[str, Any] | TenantSettingsView:
    """The global section, or for a tenant its effective value and its overrides."""
    if tenant_id is None:
        return _section_of(await app.sync_settings.global_settings(), section)
    await _require_tenant(app, tenant_id)
    overrides = await app.sync_settings.overrides(tenant_id)
    return _view(tenant_id, section, overrides, await app.sync_settings.global_settings())


async def write_section(
    app: App, body: SectionInput, tenant_id: str | None = None
) -> dict[str, Any] | TenantSettingsView:
    """Replace the global section `body` is of, or a tenant's overrides of it; returns what `read_section` would."""
    section = _SECTION_OF[type(body)]
    if tenant_id is None:
        # Under the row's ETag: an edit of another section at the same moment is kept, not overwritten.
        updated = await app.sync_settings.update_global(
            lambda current: _validated(SyncSettings, current.model_dump() | {_ALIAS[section]: _global_value(body)})
        )
        return _section_of(updated, section)
    await _require_tenant(app, tenant_id)
    if isinstance(body, FiltersInput) and body.groups:
        await _require_groups(app, tenant_id, body.groups)
    current = await app.sync_settings.global_settings()

    def change(overrides: TenantOverrides) -> TenantOverrides:
        changed = _validated(
            TenantOverrides, overrides.model_dump() | {_ALIAS[section]: _override_value(section, body)}
        )
        _view(tenant_id, section, changed, current)  # merging proves the overrides make valid settings
        return changed

    changed = await app.sync_settings.update_overrides(tenant_id, change)
    return _view(tenant_id, section, changed, current)


def _global_value(body: SectionInput) -> Any:
    if isinstance(body, ExclusionsInput):
        if body.patterns is None:
            raise ValidationFailed("patterns is required (a list of regular expressions)", field="patterns")
        return body.patterns
    return body.model_dump()  # the whole section: keys not named take their defaults


def _override_value(section: Section, body: SectionInput) -> Any:
    named = body.model_dump(exclude_unset=True)  # keys the caller named, explicit nulls kept
    if section is Section.EXCLUSIONS:
        return named.get("patterns")  # None: the tenant uses the global patterns again
    if section is Section.SAFETY_BRAKE:
        if not named:
            return None
        missing = [alias for alias in ("minContacts", "percent") if alias not in named]
        if missing:
            raise ValidationFailed(
                f"a tenant's safety brake overrides both minContacts and percent; {missing[0]} is missing",
                field=missing[0],
            )
    return named


def _section_of(settings: SyncSettings, section: Section) -> dict[str, Any]:
    if section is Section.EXCLUSIONS:
        return {"patterns": list(settings.exclusion_patterns)}
    value: dict[str, Any] = settings.model_dump(mode="json")[_ALIAS[section]]
    return value


def _overrides_of(overrides: TenantOverrides, section: Section) -> dict[str, Any]:
    value = overrides.model_dump(mode="json")[_ALIAS[section]]
    if section is Section.EXCLUSIONS:
        return {} if value is None else {"patterns": value}
    return dict(value or {})


def _view(tenant_id: str, section: Section, overrides: TenantOverrides, base: SyncSettings) -> TenantSettingsView:
    try:
        effective = overrides.merged_over(base)
    except (ValidationError, ValueError) as exc:
        raise _refusal(exc) from exc
    return TenantSettingsView(
        tenant_id=tenant_id, effective=_section_of(effective, section), overrides=_overrides_of(overrides, section)
    )


def _validated(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _refusal(exc) from exc


def _refusal(exc: ValidationError | ValueError) -> ValidationFailed:
    if not isinstance(exc, ValidationError):
        return ValidationFailed(str(exc))
    first = exc.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    loc = [str(p) for p in first["loc"]]
    field = "patterns" if loc and loc[0] == "exclusionPatterns" else ".".join(loc[1:]) or (loc[0] if loc else None)
    return ValidationFailed(f"{field}: {message}" if field else message, field=field)


async def _require_groups(app: App, tenant_id: str, group_ids: list[str]) -> None:
    """Each group must exist in the tenant: a deleted one would fail every run of it (Graph's 404)."""
    graph = app.graph.tenant(tenant_id)
    for group_id in dict.fromkeys(group_ids):
        if not await graph.group_exists(group_id):
            raise ValidationFailed(f"groups: tenant {tenant_id} has no group {group_id}", field="groups")


async def _require_tenant(app: App, tenant_id: str) -> None:
    if await app.tenants.get(tenant_id) is None:
        raise NotFound(f"tenant {tenant_id} has not been discovered")
