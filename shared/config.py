"""Every app setting the app reads, validated once.

This is the only module that reads the environment. A missing or malformed setting raises
`ConfigError` naming it, at first use (never at import time: the Functions host imports every
blueprint to index it, and one bad setting must not stop them all).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.errors import ConfigError

__all__ = [
    "AlgaSettings",
    "AutotaskSettings",
    "ConnectWiseSettings",
    "DiscoveryMode",
    "FactFieldSettings",
    "HaloSettings",
    "PsaConnectionSettings",
    "PsaHttpSettings",
    "PsaProvider",
    "Settings",
    "SyncroSettings",
    "load_settings",
]

DEV_STORAGE = "UseDevelopmentStorage=true"
KEY_VAULT_REFERENCE = "@Microsoft.KeyVault("
_NOT_DEPLOYED: dict[str, Any] = {"appSetting": False}  # read by the code, never set by the deployment


class DiscoveryMode(StrEnum):
    GDAP = "gdap"  # customer tenants from the partner's active GDAP relationships
    REGISTERED = "registered"  # only tenants registered by id after admin consent
    BOTH = "both"


class PsaProvider(StrEnum):
    DIRECTORY = "directory"  # the built-in contact directory in Table Storage
    SYNCRO = "syncro"
    ALGA = "alga"
    HALOPSA = "halopsa"
    CONNECTWISE = "connectwise"
    AUTOTASK = "autotask"


class PsaConnectionSettings(BaseModel):
    """What every REST PSA's connection has, read from `PSA_<PROVIDER>__<NAME>` (e.g.
    `PSA_SYNCRO__BASE_URL`): its base URL, timeout and retries. Retries: `retry_attempts` tries in all,
    backoff from `retry_initial_wait_seconds` up to `retry_max_wait_seconds`; a `Retry-After` longer
    than that is left to the host's retry of the tenant. An empty value means the default. Checked
    when the connector is built (the registry)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    base_url: str = ""
    timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    retry_attempts: int = Field(default=6, ge=1, le=20)
    retry_initial_wait_seconds: float = Field(default=1.0, ge=0, le=60)
    retry_max_wait_seconds: float = Field(default=60.0, ge=0, le=600)

    @model_validator(mode="before")
    @classmethod
    def _empty_is_default(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data


class PsaHttpSettings(PsaConnectionSettings):
    """A REST PSA reached with one API key, at a rate a minute. The rate is the vendor's published
    limit for the whole app; each instance paces itself to its share (`PSA_MAX_INSTANCES`,
    `shared.psa.http.pacing`). `burst` 0: the vendor counts a sliding minute (no burst)."""

    api_key: SecretStr | None = None
    rate_limit_per_minute: float = Field(default=60.0, gt=0)
    burst: int = Field(default=0, ge=0)


class FactFieldSettings(BaseModel):
    """The PSA's custom fields (or UDFs) that keep the Microsoft facts (R8.4), by their names in the
    PSA (an empty value is the default name; `-` keeps that fact nowhere). A named field the PSA does
    not have is skipped with one note per tenant run, never a failure."""

    contact_license_field: str = "Azure License"
    contact_mfa_status_field: str = "Azure MFA Status"
    contact_mfa_methods_field: str = "Azure MFA Methods"
    contact_last_sign_in_field: str = "Azure Last Activity"
    client_secure_score_field: str = "Microsoft Secure Score"
    client_licensed_users_field: str = "Azure Licensed User Count"
    client_active_users_field: str = "Azure Active User Count"


class HaloSettings(FactFieldSettings, PsaConnectionSettings):
    """`PSA_HALOPSA__*`: the resource server `https://<tenant>.halopsa.com/api`, an API application
    with client credentials (`client_id`, `client_secret`; `tenant` for hosted Halo's `?tenant=`).
    The auth server comes from `GET /api/authinfo` unless `auth_url` is set. Halo publishes no rate
    limit: `rate_limit_requests` per rolling `rate_window_seconds` (300 per 5 minutes, as hosted users
    report). `page_size` users a list page; `batch_size` users per `POST /Users` array. Custom fields
    are named as Halo names them (`CF...`)."""

    client_id: str = ""
    client_secret: SecretStr | None = None
    tenant: str = ""
    auth_url: str = ""
    rate_limit_requests: int = Field(default=300, gt=0)
    rate_window_seconds: float = Field(default=300.0, gt=0, le=3600)
    page_size: int = Field(default=250, ge=1, le=1000)
    batch_size: int = Field(default=50, ge=1, le=100)
    retry_initial_wait_seconds: float = Field(default=5.0, ge=0, le=60)
    retry_max_wait_seconds: float = Field(default=300.0, ge=0, le=600)
    contact_license_field: str = "CFazureLicense"
    contact_mfa_status_field: str = "CFazureMfaStatus"
    contact_mfa_methods_field: str = "CFazureMfaMethods"
    contact_last_sign_in_field: str = "CFazureLastActivity"
    client_secure_score_field: str = "CFmicrosoftSecureScore"
    client_licensed_users_field: str = "CFazureLicensedUserCount"
    client_active_users_field: str = "CFazureActiveUserCount"


class ConnectWiseSettings(FactFieldSettings, PsaConnectionSettings):
    """`PSA_CONNECTWISE__*`: `https://api-<region>.myconnectwise.net/v4_6_release/apis/3.0`; Basic auth
    `company_id+public_key:private_key` (an API member's keys) and the developer `client_id`; answers
    pinned to `api_version`. About 1,000 requests a minute before ConnectWise throttles. The Entra
    object id goes in `entra_id_field`: a contact custom field's caption, or `userDefinedField1`..`10`
    (empty: nowhere). Phones are the communication types `phone_type` and `mobile_type`."""

    company_id: str = ""
    public_key: str = ""
    private_key: SecretStr | None = None
    client_id: str = ""
    api_version: str = "2025.1"
    rate_limit_per_minute: float = Field(default=1000.0, gt=0)
    entra_id_field: str = ""
    phone_type: str = "Direct"
    mobile_type: str = "Cell"


class AutotaskSettings(FactFieldSettings, PsaConnectionSettings):
    """`PSA_AUTOTASK__*`: the API user's `username`, `secret` and `integration_code` (the API tracking
    identifier). The zone's base URL is found once through `discovery_url` (`zoneInformation?user=`)
    unless `base_url` is set. Autotask's 10,000 requests an hour are shared with every other tool of
    the MSP: the app spends at most `requests_per_hour` of them, counted across all its instances, with
    at most `threads_per_endpoint` requests at once per endpoint. `webhook_secret` checks Autotask's
    webhooks (`X-Hook-Signature`); a webhook for a change made by `api_resource_id` (the API user's
    resource id) is the sync's own and starts nothing. `owner_resource_id`: the owner of a company the
    app creates (Autotask requires one)."""

    discovery_url: str = "https://webservices.autotask.net/ATServicesRest"
    username: str = ""
    secret: SecretStr | None = None
    integration_code: str = ""
    requests_per_hour: int = Field(default=2000, ge=1, le=10_000)
    threads_per_endpoint: int = Field(default=3, ge=1, le=3)
    webhook_secret: SecretStr | None = None
    api_resource_id: str = ""
    owner_resource_id: str = ""


class SyncroSettings(PsaHttpSettings):
    """`PSA_SYNCRO__*`: `https://<subdomain>.syncromsp.com/api/v1`; 180 requests a minute per IP."""

    rate_limit_per_minute: float = Field(default=180.0, gt=0)
    burst: int = Field(default=0, ge=0)


class AlgaSettings(PsaHttpSettings):
    """`PSA_ALGA__*`: `https://<host>/api/v1`; a token bucket per key, burst 120, 60 a minute.
    `tenant_id`: sent as `x-tenant-id` when set."""

    tenant_id: str | None = None
    rate_limit_per_minute: float = Field(default=60.0, gt=0)
    burst: int = Field(default=120, ge=0)


class Settings(BaseSettings):
    """App settings; names are the platform's (`AzureWebJobsStorage`) or upper-case."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True, env_nested_delimiter="__")

    # Storage: a connection string locally, identity-based service URIs in Azure.
    storage_connection: str | None = Field(default=None, alias="AzureWebJobsStorage")
    table_service_uri: str | None = Field(default=None, alias="AzureWebJobsStorage__tableServiceUri")
    queue_service_uri: str | None = Field(default=None, alias="AzureWebJobsStorage__queueServiceUri")
    storage_client_id: str | None = Field(default=None, alias="AzureWebJobsStorage__clientId")
    storage_name_prefix: str = Field(default="", alias="STORAGE_NAME_PREFIX", pattern=r"^[A-Za-z0-9]*$")

    # Microsoft Graph: one multi-tenant app registration in the partner tenant.
    partner_tenant_id: str | None = Field(default=None, alias="PARTNER_TENANT_ID")
    graph_client_id: str | None = Field(default=None, alias="GRAPH_CLIENT_ID")
    graph_client_secret: SecretStr | None = Field(default=None, alias="GRAPH_CLIENT_SECRET")
    graph_client_certificate: SecretStr | None = Field(default=None, alias="GRAPH_CLIENT_CERTIFICATE")
    graph_federated_identity_client_id: str | None = Field(default=None, alias="GRAPH_FEDERATED_IDENTITY_CLIENT_ID")
    graph_authority: str = Field(default="login.microsoftonline.com", alias="GRAPH_AUTHORITY")
    graph_base_url: str = Field(default="https://graph.microsoft.com/v1.0", alias="GRAPH_BASE_URL")
    graph_ca_bundle: str | None = Field(default=None, alias="GRAPH_CA_BUNDLE")
    discovery_mode: DiscoveryMode = Field(default=DiscoveryMode.GDAP, alias="DISCOVERY_MODE")

    # Schedules (NCRONTAB, six fields) are read by the host through %NAME% binding expressions.
    sync_schedule: str = Field(default="0 0 * * * *", alias="SYNC_SCHEDULE")
    discovery_schedule: str = Field(default="0 30 2 * * *", alias="DISCOVERY_SCHEDULE")
    full_sync_interval_hours: int = Field(default=24, ge=1, le=168, alias="FULL_SYNC_INTERVAL_HOURS")

    # The PSA and its webhook.
    psa_provider: PsaProvider = Field(default=PsaProvider.DIRECTORY, alias="PSA_PROVIDER")
    # Flex Consumption's maximumInstanceCount (the Bicep sets both): each instance paces to its share.
    psa_max_instances: int = Field(default=10, ge=1, le=1000, alias="PSA_MAX_INSTANCES")
    psa_syncro: SyncroSettings = Field(default_factory=SyncroSettings, alias="PSA_SYNCRO")
    psa_alga: AlgaSettings = Field(default_factory=AlgaSettings, alias="PSA_ALGA")
    psa_halopsa: HaloSettings = Field(default_factory=HaloSettings, alias="PSA_HALOPSA")
    psa_connectwise: ConnectWiseSettings = Field(default_factory=ConnectWiseSettings, alias="PSA_CONNECTWISE")
    psa_autotask: AutotaskSettings = Field(default_factory=AutotaskSettings, alias="PSA_AUTOTASK")
    webhook_secret: SecretStr | None = Field(default=None, alias="WEBHOOK_SECRET")

    # App Service sets these on every site; they tell Azure from a developer's machine.
    website_site_name: str | None = Field(default=None, alias="WEBSITE_SITE_NAME", json_schema_extra=_NOT_DEPLOYED)
    website_instance_id: str | None = Field(default=None, alias="WEBSITE_INSTANCE_ID", json_schema_extra=_NOT_DEPLOYED)
    website_auth_enabled: bool = Field(default=False, alias="WEBSITE_AUTH_ENABLED", json_schema_extra=_NOT_DEPLOYED)
    # Local only: with the app bound to loopback, unauthenticated calls act as an admin (functions/auth.py).
    local_dev_identity: bool = Field(default=False, alias="LOCAL_DEV_IDENTITY", json_schema_extra=_NOT_DEPLOYED)

    # Signs the state of an admin-consent link (onboarding a tenant without GDAP).
    consent_state_secret: SecretStr | None = Field(default=None, alias="CONSENT_STATE_SECRET")

    # Graph change notifications (issue 15): one subscription per confirmed tenant, notifications to
    # NOTIFICATION_URL + /api/notifications/users, coalesced into one delta pass per window.
    notifications_enabled: bool = Field(default=False, alias="NOTIFICATIONS_ENABLED")
    notification_url: str = Field(default="", alias="NOTIFICATION_URL")  # the app's public https base URL
    notification_window_seconds: int = Field(default=5, ge=0, le=300, alias="NOTIFICATION_WINDOW_SECONDS")
    subscription_schedule: str = Field(default="0 15 */6 * * *", alias="SUBSCRIPTION_SCHEDULE")

    # Secrets whose Key Vault reference did not resolve (Azure hands the app the reference text itself).
    unresolved_references: tuple[str, ...] = Field(default=(), exclude=True, json_schema_extra={"appSetting": False})

    @model_validator(mode="before")
    @classmethod
    def _drop_unresolved_references(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        unresolved = sorted(k for k, v in data.items() if _is_reference(v))
        cleaned = {k: v for k, v in data.items() if k not in unresolved}
        for key, value in data.items():  # nested settings (PSA_SYNCRO__API_KEY) arrive as one dict
            if isinstance(value, dict) and any(_is_reference(v) for v in value.values()):
                alias = _alias_of(cls, key)
                unresolved += sorted(f"{alias}__{k.upper()}" for k, v in value.items() if _is_reference(v))
                cleaned[key] = {k: v for k, v in value.items() if not _is_reference(v)}
        if not unresolved:
            return data
        # Never use "@Microsoft.KeyVault(...)" as a secret: treat it as unset and say which setting it was.
        return cleaned | {"unresolved_references": tuple(sorted(unresolved))}

    def missing(self, alias: str) -> str:
        """Why a setting the caller needs has no value, naming it."""
        if alias in self.unresolved_references:
            return f"{alias} is a Key Vault reference that did not resolve (missing secret or no access)"
        return f"{alias} is not set"

    @field_validator("local_dev_identity")
    @classmethod
    def _never_on_app_service(cls, value: bool, info: ValidationInfo) -> bool:
        if value and (info.data.get("website_site_name") or info.data.get("website_instance_id")):
            raise ValueError(
                "is for a developer's machine only, and this is App Service (WEBSITE_SITE_NAME or WEBSITE_INSTANCE_ID "
                "is set): remove it"
            )
        return value

    @field_validator("graph_base_url", "notification_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith(KEY_VAULT_REFERENCE)


def _alias_of(settings: type[BaseSettings], key: str) -> str:
    field = settings.model_fields.get(key)
    return (field.alias if field is not None and field.alias else key).upper()


def _setting_name(loc: tuple[int | str, ...]) -> str:
    """An error's location as the app setting's name: `PSA_SYNCRO__BASE_URL` for a nested one."""
    if not loc:
        return "?"
    head = str(loc[0])
    if len(loc) == 1:
        return head
    return "__".join([_alias_of(Settings, head), *(str(part).upper() for part in loc[1:])])


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings; `overrides` (by alias or field name) win over the environment."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(f"{_setting_name(err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"invalid app settings: {problems}") from exc
