"""Access tokens the simulated token endpoint issues and the simulated Graph accepts.

A token is an unsigned JWT (`alg: none`) carrying the usual claims (`tid`, `aud`, `appid`, `exp`),
so code that peeks at a token's tenant can; the simulator itself trusts only tokens it issued,
looked up by value, each bound to the tenant it was issued for.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["GRAPH_AUDIENCES", "Grant", "TokenIssuer", "decode_jwt_part", "encode_jwt_part"]

GRAPH_AUDIENCES = frozenset({"https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000"})


@dataclass(frozen=True)
class Grant:
    tenant_id: str
    client_id: str
    audience: str
    expires_at: float


def encode_jwt_part(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).rstrip(b"=").decode()


def decode_jwt_part(part: str) -> dict[str, Any]:
    """One base64url JSON part of a JWT; ValueError when it is not one."""
    decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    if not isinstance(decoded, dict):
        raise ValueError("not a JSON object")
    return decoded


class TokenIssuer:
    def __init__(self, lifetime: int = 3599) -> None:
        self.lifetime = lifetime
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def issue(self, tenant_id: str, client_id: str, audience: str) -> str:
        now = int(time.time())
        claims = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + self.lifetime,
            "appid": client_id,
            "idtyp": "app",
            "roles": ["User.Read.All", "Directory.Read.All", "AuditLog.Read.All"],
            "tid": tenant_id,
            "uti": secrets.token_urlsafe(16),
            "ver": "1.0",
        }
        token = f"{encode_jwt_part({'typ': 'JWT', 'alg': 'none'})}.{encode_jwt_part(claims)}."
        with self._lock:
            self._grants[token] = Grant(tenant_id, client_id, audience, now + self.lifetime)
        return token

    def lookup(self, token: str) -> Grant | None:
        with self._lock:
            return self._grants.get(token)
