"""Graph's error answers as the app's errors (`shared.errors`), the same for a direct request and for
one answered inside a `$batch`: a delta link Graph no longer knows is `DeltaExpired`, 401/403
`GraphForbidden`, 400/404 `GraphRequestRefused` (the same request fails every time), anything else a
plain `GraphError` carrying its status (throttled past the retries, 5xx: transient)."""

from __future__ import annotations

from shared.errors import DeltaExpired, GraphError, GraphForbidden, GraphRequestRefused

__all__ = ["graph_error_for"]


def graph_error_for(status: int | None, code: str | None, message: str, where: str) -> GraphError:
    """The error for Graph's answer `status` / `code` / `message` to the request `where` names."""
    lowered = (code or "").lower()
    if status == 410 or lowered == "syncstatenotfound" or "resyncrequired" in lowered:
        return DeltaExpired(f"delta link expired for {where}: {message}", status=status, code=code)
    if status in (401, 403):
        return GraphForbidden(f"forbidden: {where}: {message}", status=status, code=code)
    if status in (400, 404):
        return GraphRequestRefused(f"Graph refused {where}: {status} {code}: {message}", status=status, code=code)
    return GraphError(f"Graph answered {status} for {where}: {code}: {message}", status=status, code=code)
