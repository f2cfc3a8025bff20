"""The app's one error tree.

    SyncError                    anything the app raises on purpose
    ├── ConfigError              a missing or malformed app setting
    ├── ValidationFailed         bad input from an operator or a caller (HTTP 400)
    ├── NotFound                 an unknown id (HTTP 404)
    ├── Conflict                 breaks a rule such as one client per tenant (HTTP 409)
    ├── GraphError               Microsoft Graph or its token endpoint refused or failed
    │   ├── TenantNotConsented   the app is not consented in that customer tenant
    │   ├── GraphForbidden       403: a role or licence (Entra ID P1) is missing
    │   └── DeltaExpired         410 / syncStateNotFound: start a full pass
    ├── PsaError                 the PSA refused or failed a call
    └── StorageError             Table or Queue Storage failed

Adapters translate library errors into these at the boundary (`raise ... from exc`);
the HTTP layer maps them to status codes in one place.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "Conflict",
    "DeltaExpired",
    "GraphError",
    "GraphForbidden",
    "NotFound",
    "PsaError",
    "StorageError",
    "SyncError",
    "TenantNotConsented",
    "ValidationFailed",
]


class SyncError(Exception):
    """Base of every error the app raises on purpose."""


class ConfigError(SyncError):
    pass


class ValidationFailed(SyncError):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(SyncError):
    pass


class Conflict(SyncError):
    pass


class GraphError(SyncError):
    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class TenantNotConsented(GraphError):
    pass


class GraphForbidden(GraphError):
    pass


class DeltaExpired(GraphError):
    pass


class PsaError(SyncError):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class StorageError(SyncError):
    pass
