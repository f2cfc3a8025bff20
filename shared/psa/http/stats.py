"""What a connector's HTTP client did: requests sent, throttled answers, retries, waits."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["RequestStats"]


@dataclass
class RequestStats:
    """Counts since the client was made (or `reset`). `requests` counts every attempt sent, retries
    included; `throttled` the 429 answers; `retries` the attempts repeated; `paced_seconds` the time
    spent waiting for the rate limiter's slots, `retry_seconds` the time spent between retries."""

    requests: int = 0
    throttled: int = 0
    server_errors: int = 0
    transport_errors: int = 0
    retries: int = 0
    paced_seconds: float = 0.0
    retry_seconds: float = 0.0

    def reset(self) -> None:
        for name, value in asdict(RequestStats()).items():
            setattr(self, name, value)
