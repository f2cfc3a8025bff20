"""Signing and checking the PSA webhook's requests (pure: no I/O, the clock is an argument)."""

from shared.security.signature import (
    MAX_AGE_SECONDS,
    MAX_FUTURE_SKEW_SECONDS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureRejected,
    replay_key,
    sign,
    verify,
)

__all__ = [
    "MAX_AGE_SECONDS",
    "MAX_FUTURE_SKEW_SECONDS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SignatureRejected",
    "replay_key",
    "sign",
    "verify",
]
