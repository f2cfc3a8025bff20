"""Onboarding a tenant without GDAP: Microsoft's admin-consent link for the app, and its callback.

The link sends a customer tenant's administrator to Microsoft's admin-consent page for the partner's
multi-tenant app (`/organizations/v2.0/adminconsent`, asking for the app's configured Graph
permissions with the `.default` scope). Microsoft then sends the browser back to our callback with
`tenant=<id>&admin_consent=True&state=...`, or `error=...&error_description=...`.

The state is ours: `<issued-at>.<nonce>.<mac>`, an HMAC-SHA256 over the first two parts keyed with
CONSENT_STATE_SECRET, accepted for STATE_LIFETIME. A callback whose state is missing, forged or too
old registers nothing (ValidationFailed on `state`). Within its lifetime a state can be replayed,
which only registers the same consented tenant again (registration is idempotent).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from shared.config import Settings
from shared.errors import ConfigError, ValidationFailed
from shared.models import Mapping, Tenant
from shared.models.base import WireModel
from shared.service.app import App
from shared.service.discovery import register_tenant
from shared.service.mappings import refresh_suggestions

__all__ = [
    "CONSENT_SCOPE",
    "GRAPH_PERMISSIONS",
    "STATE_LIFETIME",
    "ConsentLink",
    "ConsentResult",
    "GraphPermission",
    "check_state",
    "complete_consent",
    "consent_link",
    "sign_state",
]

CONSENT_SCOPE = "https://graph.microsoft.com/.default"  # the permissions configured on the app registration
STATE_LIFETIME = timedelta(minutes=15)
FUTURE_SKEW = timedelta(seconds=30)  # a state from a little ahead of our clock (another instance) is fine
_PURPOSE = b"admin-consent-state."  # keeps a MAC made here from meaning anything elsewhere
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class GraphPermission(WireModel):
    """One application permission of Microsoft Graph the app asks for, in plain words. All are read-only."""

    name: str
    plain_words: str
    why: str
    partner_only: bool = False  # consented in the partner tenant only, never asked of a customer


# The same list as infra/README.md, step 3 (the app registration).
GRAPH_PERMISSIONS: tuple[GraphPermission, ...] = (
    GraphPermission(
        name="User.Read.All",
        plain_words="Read every user's profile",
        why="names, email addresses, phones, job title, department, office and address, and whether the account "
        "is enabled: what a contact is made of",
    ),
    GraphPermission(
        name="Organization.Read.All",
        plain_words="Read the organization's name and domains",
        why="to suggest which PSA client the tenant belongs to",
    ),
    GraphPermission(
        name="GroupMember.Read.All",
        plain_words="Read who is in which group",
        why="only when a filter limits the sync to members of a group",
    ),
    GraphPermission(
        name="LicenseAssignment.Read.All",
        plain_words="Read the organization's licences",
        why="each contact's Microsoft 365 licence and the unused-licence report",
    ),
    GraphPermission(
        name="AuditLog.Read.All",
        plain_words="Read last sign-in times and MFA registration",
        why="last sign-in and MFA status on contacts (needs Entra ID P1 in the tenant; skipped without it)",
    ),
    GraphPermission(
        name="SecurityEvents.Read.All",
        plain_words="Read the Microsoft Secure Score",
        why="the client's Secure Score and its trend",
    ),
    GraphPermission(
        name="DelegatedAdminRelationship.Read.All",
        plain_words="Read the partner's GDAP relationships",
        why="to find the customer tenants the MSP manages (in the MSP's own tenant only)",
        partner_only=True,
    ),
)


@dataclass(frozen=True)
class ConsentLink:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class ConsentResult:
    """What a valid callback came to: the registered tenant (and its mapping suggestion), or Microsoft's refusal."""

    tenant: Tenant | None
    mapping: Mapping | None
    refusal: str | None  # e.g. "access_denied: AADSTS65004: User declined to consent ..."


def consent_link(settings: Settings, redirect_uri: str, now: datetime) -> ConsentLink:
    """Microsoft's admin-consent URL for the app, coming back to `redirect_uri` with a fresh signed state."""
    if not settings.graph_client_id:
        raise ConfigError(settings.missing("GRAPH_CLIENT_ID"))
    query = urlencode(
        {
            "client_id": settings.graph_client_id,
            "scope": CONSENT_SCOPE,
            "redirect_uri": redirect_uri,
            "state": sign_state(_secret(settings), now),
        }
    )
    return ConsentLink(
        url=f"{_authority(settings)}/organizations/v2.0/adminconsent?{query}", expires_at=now + STATE_LIFETIME
    )


def sign_state(secret: bytes, issued_at: datetime, nonce: str | None = None) -> str:
    stamp = str(int(issued_at.timestamp()))
    nonce = nonce or secrets.token_urlsafe(12)
    return f"{stamp}.{nonce}.{_mac(secret, stamp, nonce)}"


def check_state(secret: bytes, state: str | None, now: datetime) -> None:
    """Accept a state this app signed within STATE_LIFETIME; otherwise ValidationFailed naming `state`."""
    parts = (state or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1]:
        raise ValidationFailed("state is missing or malformed: start again from the console", field="state")
    stamp, nonce, mac = parts
    if not hmac.compare_digest(mac.encode(), _mac(secret, stamp, nonce).encode()):
        raise ValidationFailed("state was not issued by this app: start again from the console", field="state")
    issued = datetime.fromtimestamp(int(stamp), tz=now.tzinfo)
    if issued - now > FUTURE_SKEW:
        raise ValidationFailed("state is dated in the future: start again from the console", field="state")
    if now - issued > STATE_LIFETIME:
        minutes = int(STATE_LIFETIME.total_seconds() // 60)
        raise ValidationFailed(
            f"the consent link expired (links last {minutes} minutes): get a new one from the console", field="state"
        )


async def complete_consent(
    app: App,
    *,
    state: str | None,
    tenant_id: str | None,
    admin_consent: str | None,
    error: str | None = None,
    error_description: str | None = None,
) -> ConsentResult:
    """Check the state first (nothing is registered without it), then register and discover the tenant."""
    check_state(_secret(app.settings), state, app.clock())
    if error:
        return ConsentResult(None, None, f"{error}: {error_description}" if error_description else error)
    if (admin_consent or "").lower() != "true":
        raise ValidationFailed("admin_consent is not True: the administrator did not consent", field="admin_consent")
    if not tenant_id or not _GUID.match(tenant_id):
        raise ValidationFailed("tenant must be the tenant id (a GUID) Microsoft sends back", field="tenant")
    tenant = await register_tenant(app, tenant_id.lower())
    mappings = {m.tenant_id: m for m in await refresh_suggestions(app)}
    return ConsentResult(tenant, mappings.get(tenant.tenant_id), None)


def _secret(settings: Settings) -> bytes:
    if settings.consent_state_secret is None or not settings.consent_state_secret.get_secret_value():
        raise ConfigError(settings.missing("CONSENT_STATE_SECRET"))
    return settings.consent_state_secret.get_secret_value().encode()


def _mac(secret: bytes, stamp: str, nonce: str) -> str:
    digest = hmac.new(secret, _PURPOSE + f"{stamp}.{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authority(settings: Settings) -> str:
    authority = settings.graph_authority.rstrip("/")
    return authority if "://" in authority else f"https://{authority}"
