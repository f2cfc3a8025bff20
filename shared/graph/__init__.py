"""Microsoft Graph: credentials per customer tenant, request building and fast page reading, delta.

The surface: `GraphUserDirectory` (the `UserDirectory` port's adapter; `tenant(id)` gives a
`GraphTenantDirectory`), `build_credential` and `new_http_client`, which the wiring uses."""

from shared.graph.client import GraphTenantDirectory, GraphUserDirectory, new_http_client
from shared.graph.credentials import build_credential

__all__ = ["GraphTenantDirectory", "GraphUserDirectory", "build_credential", "new_http_client"]
