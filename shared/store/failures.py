"""Storage failures at the edge: what Table and Queue Storage still fail with once the SDK's retries are
spent becomes `StorageUnavailable` (a `StorageError`) naming the app setting in use, in one place.

`StorageFailurePolicy` sits first in every table and queue client's pipeline, outside the retry policy.
It lets through the answers the stores act on (404 not found, 409 exists, 412 modified, 304) and turns
the rest into StorageUnavailable when the account cannot be reached (refused, reset, timed out), refuses
the credentials (401/403, or no token for the managed identity) or answers 5xx, and into a plain
StorageError for any other 4xx (a request the app should not have sent).

The retries are short (`TABLE_OPTIONS`, `QUEUE_OPTIONS`): an account that refuses connections fails a
call in about 3 s, one that never answers in about 15 s, where the SDKs' defaults take 5 s (tables) and
90 s (queues), and 5 minutes a try against a host that never answers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError, ServiceResponseError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncHTTPPolicy

from shared.errors import StorageError, StorageUnavailable

__all__ = ["QUEUE_OPTIONS", "TABLE_OPTIONS", "StorageFailurePolicy"]

# The stores' logic: not found, already exists, changed since read (ETag), not modified.
_ACTED_ON = frozenset({304, 404, 409, 412})

# A try may take 3 s to connect and 30 s to answer (the service's own limit per operation is 30 s).
# Tables: 3 retries after 0, 1 and 2 s; an account that refuses connections fails in about 3 s.
TABLE_OPTIONS: dict[str, Any] = {
    "connection_timeout": 3,
    "read_timeout": 30,
    "retry_total": 3,
    "retry_backoff_factor": 0.5,
    "retry_backoff_max": 8,
}
# Queues: the storage SDK's exponential retry (default waits 15, 18 and 24 s), made to wait about 0.5, 1
# and 1 s: initial + base**try, each +/- the jitter (whole seconds: the SDK's fields are ints).
QUEUE_OPTIONS: dict[str, Any] = {
    "connection_timeout": 3,
    "read_timeout": 30,
    "retry_total": 3,
    "initial_backoff": 0,
    "increment_base": 1,
    "random_jitter_range": 1,
}


class StorageFailurePolicy(AsyncHTTPPolicy[Any, Any]):
    """Outside the retries: a failure still there when they are spent raises StorageUnavailable.

    `service` is "table" or "queue"; `setting` is the app setting that points at the account
    (`AzureWebJobsStorage`, or `AzureWebJobsStorage__tableServiceUri` / `__queueServiceUri`).
    """

    def __init__(self, service: str, setting: str) -> None:
        super().__init__()
        self.service = service
        self.setting = setting

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        endpoint = _endpoint(request.http_request.url)
        try:
            response = await self.next.send(request)
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise self._unavailable(endpoint, f"cannot be reached: {_reason(exc)}") from exc
        except ClientAuthenticationError as exc:  # the identity's token: raised before any request is sent
            raise self._unavailable(endpoint, f"refused the app's identity: {_reason(exc)}") from exc
        status = response.http_response.status_code
        if status < 400 or status in _ACTED_ON:
            return response
        code = response.http_response.headers.get("x-ms-error-code") or response.http_response.reason
        if status in (401, 403):
            raise self._unavailable(endpoint, f"refused the app's credentials ({status} {code})")
        if status >= 500:
            raise self._unavailable(endpoint, f"failed after retries ({status} {code})")
        # Another 4xx is a request this app should not have sent: not the account's fault, still no 500.
        raise StorageError(f"the {self.service} service refused a request ({status} {code})")

    def _unavailable(self, endpoint: str, what: str) -> StorageUnavailable:
        return StorageUnavailable(
            f"storage is unavailable: the {self.service} service at {endpoint} {what} (check {self.setting})",
            endpoint=endpoint,
            setting=self.setting,
        )


def _endpoint(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _reason(exc: Exception) -> str:
    # azure-core's message repeats the inner error; its first line is enough for an operator.
    text = str(getattr(exc, "message", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
