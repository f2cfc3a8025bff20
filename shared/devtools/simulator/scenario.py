"""The scenario file (SCENARIOS.md) as pydantic models, and `load_scenario` to read one.

The PSA's clients and contacts, the settings, decisions, resolutions and sync types are the app's own
models and vocabularies (`shared.models`, the settings API's input models, the service's Decision and
Resolution), with unknown keys refused. Structural parts forbid unknown keys so a typo fails loudly,
naming the field. Graph objects
(users, groups, SKUs, registration details, scores, domains) keep any extra Graph property: users
stay plain dicts of Graph v1.0 properties, checked to have an `id` and only real property names.
JSON names are camelCase; the Python attributes are their snake_case forms.

A bad file raises `shared.errors.ValidationFailed` whose message names the file and the field
(`tenants[1].users[0]: ...`), never a traceback. Cross-references inside the file are checked too:
unique ids, group members, contacts' clients, per-tenant settings, and that every Graph change in
`steps` names a tenant and a user that exist at that point of the scenario. Decisions, resolutions
and approvals are not checked against the data: refusing those is the app's job (SCENARIOS.md).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from shared.devtools.simulator.user_properties import is_user_property
from shared.errors import ValidationFailed
from shared.models import PsaClient, PsaContact, RunType, SyncSettings, TenantOverrides, Trigger
from shared.service import ambiguities, mappings
from shared.service.settings import FieldControlsInput, FiltersInput, SafetyBrakeInput

__all__ = [
    "AddOp",
    "Approval",
    "Decision",
    "GlobalSettings",
    "GraphOp",
    "Group",
    "Partner",
    "PsaData",
    "RegistrationDetail",
    "Resolution",
    "Scenario",
    "ScenarioClient",
    "ScenarioContact",
    "SecureScoreEntry",
    "Settings",
    "Step",
    "SubscribedSku",
    "Sync",
    "Tenant",
    "TenantSettings",
    "UpdateOp",
    "UserOp",
    "VerifiedDomain",
    "load_scenario",
    "parse_scenario",
]


_STRICT = ConfigDict(extra="forbid")  # over the app's models' own camelCase configuration


class _Structural(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


class _GraphObject(BaseModel):
    model_config = ConfigDict(extra="allow", alias_generator=to_camel, populate_by_name=True)


def _check_user(user: dict[str, Any]) -> dict[str, Any]:
    user_id = user.get("id")
    if not isinstance(user_id, str) or not user_id:
        raise ValueError("a user needs an 'id' (a non-empty string)")
    _check_user_properties(user)
    return user


def _check_user_properties(properties: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(name for name in properties if not is_user_property(name))
    if unknown:
        raise ValueError(f"not Microsoft Graph v1.0 user properties: {', '.join(unknown)}")
    return properties


GraphUser = Annotated[dict[str, Any], AfterValidator(_check_user)]
UserProperties = Annotated[dict[str, Any], AfterValidator(_check_user_properties)]

RelationshipStatus = Literal[
    "active",
    "activating",
    "approvalPending",
    "approved",
    "created",
    "expired",
    "expiring",
    "terminated",
    "terminating",
    "terminationRequested",
    "none",  # no GDAP relationship at all (tenant-by-tenant consent)
]


# --- Graph objects -------------------------------------------------------------------------------


class VerifiedDomain(_GraphObject):
    name: str
    is_default: bool = False
    is_initial: bool = False
    type: str = "Managed"


class Group(_GraphObject):
    id: str
    display_name: str = ""
    members: list[str] = Field(default_factory=list)  # user or group ids of the same tenant


class PrepaidUnits(_GraphObject):
    enabled: int = 0
    suspended: int = 0
    warning: int = 0
    locked_out: int = 0


class SubscribedSku(_GraphObject):
    sku_id: str
    sku_part_number: str
    prepaid_units: PrepaidUnits = Field(default_factory=PrepaidUnits)
    consumed_units: int = 0


class RegistrationDetail(_GraphObject):
    id: str  # the user's id
    is_mfa_registered: bool = False
    methods_registered: list[str] = Field(default_factory=list)


class SecureScoreEntry(_GraphObject):
    created_date_time: str
    current_score: float
    max_score: float


# --- Structure -----------------------------------------------------------------------------------


class Partner(_Structural):
    tenant_id: str
    display_name: str = "Partner"


class Tenant(_Structural):
    tenant_id: str
    display_name: str
    relationship: RelationshipStatus = "active"
    consented: bool = True
    premium: bool = True
    verified_domains: list[VerifiedDomain] = Field(default_factory=list)
    users: list[GraphUser] = Field(default_factory=list)
    groups: list[Group] = Field(default_factory=list)
    subscribed_skus: list[SubscribedSku] = Field(default_factory=list)
    user_registration_details: list[RegistrationDetail] = Field(default_factory=list)
    secure_scores: list[SecureScoreEntry] = Field(default_factory=list)


class ScenarioClient(PsaClient):
    """A client of the PSA: the app's PsaClient; an unknown key is refused."""

    model_config = _STRICT


class ScenarioContact(PsaContact):
    """A contact of the PSA: the app's PsaContact; an unknown key is refused."""

    model_config = _STRICT


class PsaData(_Structural):
    clients: list[ScenarioClient] = Field(default_factory=list)
    contacts: list[ScenarioContact] = Field(default_factory=list)


class TenantSettings(_Structural):
    """A tenant's overrides, each section as the settings API's tenant PUT takes it: a control or filter
    named replaces the global one, a filter given as null is lifted, one not named keeps its global
    value; `exclusionPatterns` and `safetyBrake` replace the global ones whole."""

    field_controls: FieldControlsInput | None = None
    filters: FiltersInput | None = None
    exclusion_patterns: list[str] | None = None
    safety_brake: SafetyBrakeInput | None = None

    def overrides(self) -> TenantOverrides:
        """The overrides as the app stores them (only the keys named, explicit nulls kept)."""
        return TenantOverrides.model_validate(self.model_dump(exclude_unset=True))

    @model_validator(mode="after")
    def _patterns_compile(self) -> TenantSettings:
        self.overrides()  # the app's own check of the patterns, at load rather than in a run
        return self


class GlobalSettings(SyncSettings):
    """The global settings (SyncSettings), each section as the settings API takes it: a section not
    given, or a key not named in one, takes its default; `exclusionPatterns` replaces the default list."""

    model_config = _STRICT

    field_controls: FieldControlsInput = Field(default_factory=FieldControlsInput)
    filters: FiltersInput = Field(default_factory=FiltersInput)
    safety_brake: SafetyBrakeInput = Field(default_factory=SafetyBrakeInput)


class Settings(GlobalSettings):
    tenants: dict[str, TenantSettings] = Field(default_factory=dict)

    def global_settings(self) -> SyncSettings:
        """The global settings as the app stores them, without the tenants' overrides."""
        return SyncSettings.model_validate(self.model_dump(exclude={"tenants"}))


class Decision(_Structural):
    """A mapping decision (shared.service.mappings.Decision) for a tenant, as the API takes it."""

    tenant_id: str
    action: mappings.Decision
    client_id: str | None = None

    @model_validator(mode="after")
    def _map_needs_client(self) -> Decision:
        if self.action is mappings.Decision.MAP and not self.client_id:
            raise ValueError("a 'map' decision needs a 'clientId'")
        return self


class Resolution(_Structural):
    """An ambiguity's resolution (shared.service.ambiguities.Resolution), as the API takes it."""

    tenant_id: str
    user_id: str
    action: ambiguities.Resolution
    contact_id: str | None = None

    @model_validator(mode="after")
    def _existing_needs_contact(self) -> Resolution:
        if self.action is ambiguities.Resolution.EXISTING and not self.contact_id:
            raise ValueError("an 'existing' resolution needs a 'contactId'")
        return self


class Approval(_Structural):
    tenant_id: str


class UpdateOp(_Structural):
    op: Literal["update"]
    tenant_id: str
    user_id: str
    values: UserProperties = Field(alias="set")

    @model_validator(mode="after")
    def _id_is_fixed(self) -> UpdateOp:
        if "id" in self.values:
            raise ValueError("'set' cannot change a user's 'id'")
        return self


class UserOp(_Structural):
    op: Literal["disable", "enable", "delete", "restore"]
    tenant_id: str
    user_id: str


class AddOp(_Structural):
    op: Literal["add"]
    tenant_id: str
    user: GraphUser


GraphOp = Annotated[UpdateOp | UserOp | AddOp, Field(discriminator="op")]


class Sync(_Structural):
    type: RunType
    tenant_id: str | None = None
    dry_run: bool = False
    incremental: bool = False
    trigger: Trigger = Trigger.MANUAL

    @model_validator(mode="after")
    def _tenant_needs_id(self) -> Sync:
        if self.type is RunType.TENANT and not self.tenant_id:
            raise ValueError("a sync of type 'tenant' needs a 'tenantId'")
        return self


class Step(_Structural):
    graph: list[GraphOp] = Field(default_factory=list)
    resolve: list[Resolution] = Field(default_factory=list)
    approve: list[Approval] = Field(default_factory=list)
    sync: Sync | None = None
    notify: bool = False  # Graph notifies the app of the step's changes; the runs they start are the step's

    @model_validator(mode="after")
    def _notify_or_sync(self) -> Step:
        if self.notify and self.sync is not None:
            raise ValueError("a step gives either 'notify': true or a 'sync', not both")
        return self


class Scenario(_Structural):
    name: str
    description: str = ""
    partner: Partner
    tenants: list[Tenant] = Field(default_factory=list)
    psa: PsaData = Field(default_factory=PsaData)
    settings: Settings | None = None
    decisions: list[Decision] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)

    def tenant(self, tenant_id: str) -> Tenant:
        for tenant in self.tenants:
            if tenant.tenant_id == tenant_id:
                return tenant
        raise KeyError(tenant_id)

    @model_validator(mode="after")
    def _check_references(self) -> Scenario:
        _check_tenants(self)
        _check_psa(self.psa)
        if self.settings is not None:
            known = {tenant.tenant_id for tenant in self.tenants}
            for tenant_id in self.settings.tenants:
                if tenant_id not in known:
                    raise ValueError(f"settings.tenants[{tenant_id!r}]: no tenant has this tenantId")
        _check_graph_ops(self)
        return self


def _duplicates(values: list[str]) -> list[str]:
    seen: set[str] = set()
    repeated: set[str] = set()
    for value in values:
        (repeated if value in seen else seen).add(value)
    return sorted(repeated)


def _check_tenants(scenario: Scenario) -> None:
    tenant_ids = [tenant.tenant_id for tenant in scenario.tenants]
    if duplicates := _duplicates(tenant_ids):
        raise ValueError(f"tenants: duplicate tenantId {', '.join(duplicates)}")
    if scenario.partner.tenant_id in tenant_ids:
        raise ValueError("partner.tenantId: the partner cannot also be a customer tenant")
    for index, tenant in enumerate(scenario.tenants):
        where = f"tenants[{index}]"
        user_ids = [user["id"] for user in tenant.users]
        group_ids = [group.id for group in tenant.groups]
        if duplicates := _duplicates(user_ids):
            raise ValueError(f"{where}.users: duplicate id {', '.join(duplicates)}")
        if duplicates := _duplicates(group_ids + user_ids):
            raise ValueError(f"{where}.groups: duplicate id {', '.join(duplicates)}")
        objects = set(user_ids) | set(group_ids)
        for group_index, group in enumerate(tenant.groups):
            for member_index, member in enumerate(group.members):
                if member not in objects:
                    raise ValueError(
                        f"{where}.groups[{group_index}].members[{member_index}]: "
                        f"{member!r} is neither a user nor a group of this tenant"
                    )
        for detail_index, detail in enumerate(tenant.user_registration_details):
            if detail.id not in user_ids:
                raise ValueError(
                    f"{where}.userRegistrationDetails[{detail_index}].id: {detail.id!r} is not a user of this tenant"
                )


def _check_psa(psa: PsaData) -> None:
    client_ids = [client.id for client in psa.clients]
    if duplicates := _duplicates(client_ids):
        raise ValueError(f"psa.clients: duplicate id {', '.join(duplicates)}")
    if duplicates := _duplicates([contact.id for contact in psa.contacts]):
        raise ValueError(f"psa.contacts: duplicate id {', '.join(duplicates)}")
    for index, contact in enumerate(psa.contacts):
        if contact.client_id not in client_ids:
            raise ValueError(f"psa.contacts[{index}].clientId: no client has id {contact.client_id!r}")


def _check_graph_ops(scenario: Scenario) -> None:
    """Replay the steps' Graph changes on user ids alone, so a change to a user who does not
    exist at that point (never added, already deleted, not deleted yet) fails at load time."""
    present = {tenant.tenant_id: {user["id"] for user in tenant.users} for tenant in scenario.tenants}
    deleted: dict[str, set[str]] = {tenant_id: set() for tenant_id in present}
    for step_index, step in enumerate(scenario.steps):
        for op_index, op in enumerate(step.graph):
            where = f"steps[{step_index}].graph[{op_index}]"
            if op.tenant_id not in present:
                raise ValueError(f"{where}.tenantId: no tenant has tenantId {op.tenant_id!r}")
            users, gone = present[op.tenant_id], deleted[op.tenant_id]
            if isinstance(op, AddOp):
                user_id = op.user["id"]
                if user_id in users or user_id in gone:
                    raise ValueError(f"{where}.user.id: user {user_id!r} already exists in that tenant")
                users.add(user_id)
            elif op.op == "restore":
                if op.user_id not in gone:
                    raise ValueError(f"{where}.userId: user {op.user_id!r} is not deleted at this step")
                gone.remove(op.user_id)
                users.add(op.user_id)
            elif op.user_id not in users:
                state = "deleted" if op.user_id in gone else "unknown"
                raise ValueError(f"{where}.userId: user {op.user_id!r} is {state} at this step")
            elif op.op == "delete":
                users.remove(op.user_id)
                gone.add(op.user_id)


# --- Loading -------------------------------------------------------------------------------------


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(error: ValidationError, source: str) -> ValidationFailed:
    lines = []
    first_field: str | None = None
    for item in error.errors(include_url=False)[:5]:
        where = _location(item["loc"])
        message = str(item["ctx"]["error"]) if item["type"] == "value_error" else item["msg"]
        if where and first_field is None:
            first_field = where
        lines.append(f"{where}: {message}" if where else message)
    more = len(error.errors()) - len(lines)
    text = f"{source}: bad scenario file: " + "; ".join(lines) + (f" (and {more} more)" if more > 0 else "")
    if first_field is None and lines:
        match = re.match(r"^([\w.\[\]'\"-]+):", lines[0])
        first_field = match.group(1) if match else None
    return ValidationFailed(text, field=first_field)


def parse_scenario(data: Any, *, source: str = "scenario") -> Scenario:
    """Validate already-decoded JSON (a dict) as a scenario."""
    if not isinstance(data, dict):
        raise ValidationFailed(f"{source}: bad scenario file: the top level must be a JSON object")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise _describe(exc, source) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; a bad one raises ValidationFailed naming the field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationFailed(f"{path}: scenario file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"{path}: cannot read the scenario file: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"{path}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    return parse_scenario(data, source=str(path))
