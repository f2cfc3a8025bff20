"""The app's one error tree.

    SyncError                    anything the app raises on purpose
    ├── ConfigError              a missing or malformed app setting
    ├── ValidationFailed         bad input from an operator or a caller (HTTP 400)
    ├── NotFound                 an unknown id (HTTP 404)
    ├── Conflict                 breaks a rule such as one client per tenant (HTTP 409)
    ├── GraphError               Microsoft Graph or its token endpoint refused or failed (transient: retry)
    │   ├── GraphPermanent       retrying cannot help: the tenant fails at once, with this message
    │   │   ├── TenantNotConsented       the app is not consented in that customer tenant
    │   │   ├── GraphForbidden           403: a role or licence (Entra ID P1) is missing
    │   │   ├── GraphRequestRefused      400 / 404: a malformed or unknown id (a deleted group in the filters)
    │   │   └── GraphCredentialRejected  Entra refused the partner app's own credential (a wrong secret)
    │   └── DeltaExpired         410 / syncStateNotFound: start a full pass
    ├── PsaError                 the PSA refused or failed a call
    │   ├── PsaRefused           the PSA refused this item (validation, duplicate email): that user fails (R3.5)
    │   └── PsaUnavailable       throttled past the retries, 5xx, timeout, reset: the host retries the tenant (R8.7)
    └── StorageError             Table or Queue Storage failed
        └── StorageUnavailable   unreachable, credentials refused, 5xx after the retries: the message names the setting

Adapters translate library errors into these at the boundary (`raise ... from exc`);
the HTTP layer maps them to status codes in one place.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "Conflict",
    "DeltaExpired",
    "GraphCredentialRejected",
    "GraphError",
    "GraphForbidden",
    "GraphPermanent",
    "GraphRequestRefused",
    "NotFound",
    "PsaError",
    "PsaRefused",
    "PsaUnavailable",
    "StorageError",
    "StorageUnavailable",
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


class GraphPermanent(GraphError):
    """The same request would be refused again: fail the tenant now rather than after every retry."""


class TenantNotConsented(GraphPermanent):
    pass


class GraphForbidden(GraphPermanent):
    pass


class GraphRequestRefused(GraphPermanent):
    """Graph refused the request itself (400, 404): the message names what it refused."""


class GraphCredentialRejected(GraphPermanent):
    """Entra refused the partner app's credential (wrong or expired secret or certificate): every tenant fails."""


class DeltaExpired(GraphError):
    pass


class PsaError(SyncError):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class PsaRefused(PsaError):
    """The PSA refused this one item; the rest of the tenant goes on."""


class PsaUnavailable(PsaError):
    """The PSA could not be reached or kept asking to slow down; never a failed user."""


class StorageError(SyncError):
    pass


class StorageUnavailable(StorageError):
    """The storage account failed a call after the retries; the message names the app setting in use."""

    def __init__(self, message: str, *, endpoint: str, setting: str) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.setting = setting
