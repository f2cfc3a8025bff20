"""A PSA's own change event starts a run of the client's tenant (R8.8), as the generic webhook does
(`shared.service.webhook`): ConnectWise PSA's callbacks and Autotask's webhooks, each checked by the
vendor's own signature first.

* **ConnectWise**: the signing key is fetched from the callback's `Metadata.key_url`, only from a
  `*.myconnectwise.net` host over https (`shared.security.connectwise`; nothing is fetched for any
  other), through `app.connectwise_keys`, which caches it. The client is the callback's `ID` for a
  company, the `company.id` of its `Entity` for a contact.
* **Autotask**: `X-Hook-Signature` with `PSA_AUTOTASK__WEBHOOK_SECRET`. The client is `Id` for a
  company (`EntityType` `Account`), `Fields.companyID` for a contact (the webhook must send that field:
  README). A change made by the API user itself (`PersonID` = `PSA_AUTOTASK__API_RESOURCE_ID`) is the
  sync's own write echoing back and starts nothing.

**Each event is taken once.** A verified event is recorded in the webhook receipts (the generic
webhook's store) under a hash of its exact body before its run starts; the same body again (an
attacker's replay, or the vendor retrying a delivery whose answer it lost) is answered as a replay and
starts nothing. The receipt is dated by the event's own time (Autotask's `EventTime`, the entity's
`_info.lastUpdated` for ConnectWise) and kept at least a day; an event older than `MAX_EVENT_AGE` is
answered as stale, so no replay outlives its receipt. A ConnectWise callback whose entity carries no
time (a deleted one) is dated now: replayed more than a day later, it would start one ordinary run of
the tenant (which joins a running one, R7.5, and writes nothing that is already right, R7.6).

An event for a company that is not mapped, or that names none, starts nothing (it is answered, not
refused: the vendor has nothing to retry); the hourly sync sees every change anyway.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.config import PsaProvider
from shared.errors import ConfigError, NotFound, ValidationFailed
from shared.models import MappingStatus, RunRecord, RunType, Trigger
from shared.security.autotask import verify_autotask
from shared.security.connectwise import check_key_url, verify_connectwise
from shared.security.signature import SignatureRejected
from shared.service.app import App
from shared.service.runs import start_run

__all__ = [
    "MAX_EVENT_AGE",
    "VendorEventAnswer",
    "accept_autotask_webhook",
    "accept_connectwise_callback",
]

log = logging.getLogger(__name__)

MAX_EVENT_AGE = timedelta(hours=24)  # the receipts are kept at least this long (shared.store.webhook_receipts)
_WORD = re.compile(r"[^A-Za-z]")


@dataclass(frozen=True)
class VendorEventAnswer:
    """What a verified event did: the run it started or joined, else why nothing was started."""

    run: RunRecord | None = None
    started: bool = False
    replay: bool = False
    ignored: str | None = None


# --- ConnectWise PSA ---------------------------------------------------------------------------------


class _CwCallback(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    kind: str = Field(default="", alias="Type")
    action: str = Field(default="", alias="Action")
    record_id: int | str | None = Field(default=None, alias="ID")
    entity: Any = Field(default=None, alias="Entity")


async def accept_connectwise_callback(app: App, body: bytes, signature: str | None) -> VendorEventAnswer:
    """A ConnectWise callback's exact bytes and its `x-content-signature`: verified (else
    SignatureRejected, HTTP 401), then taken once (module docstring)."""
    _require(app, PsaProvider.CONNECTWISE, "ConnectWise PSA callbacks")
    if app.connectwise_keys is None:
        raise ConfigError("ConnectWise callbacks cannot be checked: no signing-key fetcher is wired")
    if not signature or not signature.strip():
        raise SignatureRejected("missing x-content-signature header")
    payload = _json_object(body, "a ConnectWise callback")
    metadata = payload.get("Metadata")
    url = check_key_url(metadata.get("key_url") if isinstance(metadata, dict) else None)  # before any fetch
    key = await app.connectwise_keys.key(url)
    try:
        verify_connectwise(body, signature, key)
    except SignatureRejected:
        fresh = await app.connectwise_keys.key(url, refresh=True)  # the key may have been rotated
        if fresh == key:
            raise
        verify_connectwise(body, signature, fresh)
    callback = _model(_CwCallback, payload)
    entity = _entity(callback.entity)
    kind = callback.kind.strip().lower()
    client_id: str | None = None
    if kind == "company":
        client_id = _id_text(callback.record_id)
    elif kind == "contact":
        company = entity.get("company") if isinstance(entity, dict) else None
        client_id = _id_text(company.get("id")) if isinstance(company, dict) else None
    info = entity.get("_info") if isinstance(entity, dict) else None
    at = _when(info.get("lastUpdated")) if isinstance(info, dict) else None
    ignored = None if kind in ("company", "contact") else f"a {_word(kind)} callback is not about contacts"
    event = f"{_word(kind)}.{_word(callback.action)}"
    return await _take_once(app, "connectwise", event, body, client_id=client_id, at=at, ignored=ignored)


# --- Autotask ----------------------------------------------------------------------------------------


class _AtWebhook(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    action: str = Field(default="", alias="Action")
    entity_type: str = Field(default="", alias="EntityType")
    record_id: int | str | None = Field(default=None, alias="Id")
    fields: dict[str, Any] | None = Field(default=None, alias="Fields")
    event_time: str | None = Field(default=None, alias="EventTime")
    person_id: int | str | None = Field(default=None, alias="PersonID")


async def accept_autotask_webhook(app: App, body: bytes, signature: str | None) -> VendorEventAnswer:
    """An Autotask webhook callout's exact bytes and its `X-Hook-Signature`: verified (else
    SignatureRejected, HTTP 401), then taken once (module docstring)."""
    _require(app, PsaProvider.AUTOTASK, "Autotask webhooks")
    settings = app.settings.psa_autotask
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not secret:
        raise ConfigError(app.settings.missing("PSA_AUTOTASK__WEBHOOK_SECRET"))
    verify_autotask(secret, signature, body)
    hook = _model(_AtWebhook, _json_object(body, "an Autotask webhook"))
    entity = hook.entity_type.strip().lower()
    client_id: str | None = None
    if entity in ("account", "company"):
        client_id = _id_text(hook.record_id)
    elif entity == "contact":
        client_id = _id_text((hook.fields or {}).get("companyID") or (hook.fields or {}).get("companyId"))
    ignored = None
    if entity not in ("account", "company", "contact"):
        ignored = f"a {_word(entity)} webhook is not about contacts"
    elif settings.api_resource_id.strip() and _id_text(hook.person_id) == settings.api_resource_id.strip():
        ignored = "the change was the sync's own (made by the API user)"
    event = f"{_word(entity)}.{_word(hook.action)}"
    at = _when(hook.event_time)
    return await _take_once(app, "autotask", event, body, client_id=client_id, at=at, ignored=ignored)


# --- shared ------------------------------------------------------------------------------------------


async def _take_once(
    app: App, vendor: str, event: str, body: bytes, *, client_id: str | None, at: datetime | None, ignored: str | None
) -> VendorEventAnswer:
    receipts = app.webhook_receipts
    if receipts is None:
        raise ConfigError(f"the {vendor} endpoint cannot tell a replay: no webhook receipt store is wired")
    now = app.clock()
    if at is not None and at < now - MAX_EVENT_AGE:
        log.warning("%s event %s from %s is older than a day: nothing started", vendor, event, at.isoformat())
        return VendorEventAnswer(ignored="stale: the event is more than a day old")
    at = min(at, now) if at is not None else now
    key = hashlib.sha256(vendor.encode() + b"." + body).hexdigest()
    if not await receipts.first_time(key, at):
        log.warning("%s event %s: a replay was refused; nothing started", vendor, event)
        return VendorEventAnswer(replay=True)
    try:
        if ignored is None and client_id is None:
            ignored = "the event names no company"
        tenant_id = await _tenant_of_client(app, client_id) if ignored is None and client_id else None
        if ignored is None and tenant_id is None:
            ignored = f"company {client_id} is not mapped to a tenant"
        if ignored is not None or tenant_id is None:
            log.info("%s event %s: nothing started (%s)", vendor, event, ignored)
            return VendorEventAnswer(ignored=ignored)
        try:
            run, started = await start_run(
                app, RunType.TENANT, Trigger.WEBHOOK, tenant_id=tenant_id, requested_by=f"{vendor}:{event}"
            )
        except NotFound:  # unmapped since it was looked up
            return VendorEventAnswer(ignored=f"company {client_id} is not mapped to a tenant")
    except BaseException:
        await receipts.forget(key, at)  # the vendor's retry of this event must not be taken for a replay
        raise
    log.info("%s event %s: tenant run %s (%s)", vendor, event, run.run_id, "started" if started else "joined")
    return VendorEventAnswer(run=run, started=started)


def _require(app: App, provider: PsaProvider, what: str) -> None:
    if app.settings.psa_provider is not provider:
        raise NotFound(f"{what} are taken only when PSA_PROVIDER is {provider.value}")


def _json_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SignatureRejected(f"the body is not {what} (not JSON)") from exc
    if not isinstance(payload, dict):
        raise SignatureRejected(f"the body is not {what} (not a JSON object)")
    return payload


def _model(model: type[Any], payload: dict[str, Any]) -> Any:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValidationFailed(f"{where}: {first['msg']}", field=where or None) from exc


def _entity(value: Any) -> Any:
    """ConnectWise sends the record as a JSON string (an object is taken too)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _id_text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    return text if text.isascii() and text.isdigit() else None


def _word(value: str) -> str:
    return _WORD.sub("", value)[:40].lower() or "unknown"


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


async def _tenant_of_client(app: App, client_id: str) -> str | None:
    for mapping in await app.mappings.list():
        if mapping.status is MappingStatus.CONFIRMED and mapping.client_id == client_id:
            return mapping.tenant_id
    return None
