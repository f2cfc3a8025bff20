"""Who is calling, and whether their app role lets them.

App Service Authentication (Entra ID; `authsettingsV2` in infra/modules/functionapp.bicep) stands in
front of every route but the signed ones and hands the app the caller as `X-MS-CLIENT-PRINCIPAL`:
base64 JSON `{"auth_typ", "name_typ", "role_typ", "claims": [{"typ", "val"}]}`, app roles in the `roles`
claims. The platform sets that header itself; a caller cannot. `reader` may read (GET), `admin` may
do everything; no principal is a 401, a missing role a 403. On App Service the header is believed only
while App Service Authentication is on (WEBSITE_AUTH_ENABLED); otherwise every call is a 503 saying so.

Locally nothing stands in front, so a development identity (admin) can: only when the server runner
says the app is bound to loopback (`create_api(loopback=True)`) AND the LOCAL_DEV_IDENTITY setting is
true, which shared.config refuses on App Service.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from enum import StrEnum

from fastapi import HTTPException, Request
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.bootstrap import get_app
from shared.errors import ConfigError

__all__ = ["DEV_PRINCIPAL", "PRINCIPAL_HEADER", "Principal", "Role", "authorize", "principal_header", "read_principal"]

PRINCIPAL_HEADER = "X-MS-CLIENT-PRINCIPAL"
_ROLE_CLAIMS = frozenset({"roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"})
_NAME_CLAIMS = ("name", "preferred_username", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "appid")
_READS = frozenset({"GET", "HEAD"})


class Role(StrEnum):
    ADMIN = "admin"
    READER = "reader"


@dataclass(frozen=True)
class Principal:
    name: str
    roles: frozenset[str]

    def may(self, method: str) -> bool:
        return Role.ADMIN in self.roles or (method in _READS and Role.READER in self.roles)


DEV_PRINCIPAL = Principal(name="local developer", roles=frozenset({Role.ADMIN}))


class _Claim(BaseModel):
    typ: str
    val: str


class _ClientPrincipal(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name_typ: str | None = None
    role_typ: str | None = None
    claims: list[_Claim] = []


def read_principal(header: str) -> Principal:
    """The principal in an X-MS-CLIENT-PRINCIPAL value; ValueError when it is not one."""
    try:
        raw = base64.b64decode(header.strip() + "=" * (-len(header.strip()) % 4), validate=True)
        principal = _ClientPrincipal.model_validate_json(raw)
    except (binascii.Error, ValueError, ValidationError) as exc:
        raise ValueError(f"{PRINCIPAL_HEADER} is not a client principal") from exc
    role_types = _ROLE_CLAIMS | ({principal.role_typ} if principal.role_typ else set())
    roles = frozenset(c.val for c in principal.claims if c.typ in role_types)
    names = {c.typ: c.val for c in principal.claims}
    name_types = ((principal.name_typ,) if principal.name_typ else ()) + _NAME_CLAIMS
    name = next((names[t] for t in name_types if names.get(t)), "unnamed principal")
    return Principal(name=name, roles=roles)


def principal_header(name: str, *roles: str) -> str:
    """An X-MS-CLIENT-PRINCIPAL value as the platform writes it (tests and local tools send it)."""
    claims = [{"typ": "name", "val": name}, *({"typ": "roles", "val": role} for role in roles)]
    body = {"auth_typ": "aad", "name_typ": "name", "role_typ": "roles", "claims": claims}
    return base64.b64encode(json.dumps(body).encode()).decode()


async def authorize(request: Request) -> Principal:
    """The dependency of every operator route: the caller, if their role allows this method."""
    principal = await _caller(request)
    if not principal.may(request.method):
        needed = "'reader' or 'admin'" if request.method in _READS else "'admin'"
        raise HTTPException(403, f"{principal.name} lacks the app role this call needs: {needed}")
    return principal


async def _caller(request: Request) -> Principal:
    header = request.headers.get(PRINCIPAL_HEADER)
    if header:
        settings = (await get_app()).settings
        if settings.website_site_name and not settings.website_auth_enabled:
            # Without App Service Authentication in front, anyone could have written the header.
            raise ConfigError(
                "App Service Authentication is off (WEBSITE_AUTH_ENABLED is not true), so the caller's "
                f"{PRINCIPAL_HEADER} cannot be trusted: deploy infra/ (authsettingsV2)"
            )
        try:
            return read_principal(header)
        except ValueError as exc:
            raise HTTPException(401, str(exc)) from exc
    if getattr(request.app.state, "loopback", False) and (await get_app()).settings.local_dev_identity:
        return DEV_PRINCIPAL
    raise HTTPException(
        401,
        "not signed in: no client principal from App Service Authentication (sign in with Entra ID, "
        "or send an Entra ID access token for the app)",
        headers={"WWW-Authenticate": "Bearer"},
    )
