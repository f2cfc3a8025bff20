"""HMAC-SHA256 request signatures for the PSA webhook.

The recipe, for the sender:

    timestamp = str(int(time.time()))                      # unix seconds
    digest    = HMAC-SHA256(key=secret, msg=timestamp + "." + raw_body_bytes)
    headers   = {"X-Signature-Timestamp": timestamp, "X-Signature": "sha256=" + hex(digest)}

The receiver recomputes the digest over the exact bytes it got, compares in constant time, and
refuses a timestamp more than 5 minutes old or ahead of its own clock by more than a small skew.
Inside those 5 minutes the same request is accepted once: `replay_key` names it (its timestamp and
body; the headers' spelling, such as the digest's case, does not change it) for the receiver to
record. Nothing here reads the clock or the environment: callers pass both.
"""

from __future__ import annotations

import hashlib
import hmac

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

TIMESTAMP_HEADER = "X-Signature-Timestamp"
SIGNATURE_HEADER = "X-Signature"
MAX_AGE_SECONDS = 300
MAX_FUTURE_SKEW_SECONDS = 30  # clocks drift; a request from further ahead is refused
_SCHEME = "sha256="


class SignatureRejected(Exception):
    """The request is not provably from the holder of the secret; the message says why (never a secret)."""


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The `X-Signature` value for `body` sent at `timestamp` (unix seconds): `sha256=<hex>`."""
    if not secret:
        raise ValueError("a signing secret is required")
    return _SCHEME + _digest(secret, str(timestamp), body)


def verify(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    now: float,
    max_age: int = MAX_AGE_SECONDS,
    max_skew: int = MAX_FUTURE_SKEW_SECONDS,
) -> int:
    """Check a request's signature headers against `body`; returns the timestamp, else raises SignatureRejected.

    `now` is the receiver's clock in unix seconds. The timestamp is checked before the digest, and the
    digest compare is constant-time, so neither a stale request nor a guess learns anything.
    """
    if not secret:
        raise ValueError("a signing secret is required")
    if not timestamp:
        raise SignatureRejected(f"missing {TIMESTAMP_HEADER} header")
    if not signature:
        raise SignatureRejected(f"missing {SIGNATURE_HEADER} header")
    stamp = timestamp.strip()
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise SignatureRejected(f"{TIMESTAMP_HEADER} must be unix seconds")
    sent = int(stamp)
    if now - sent > max_age:
        raise SignatureRejected(f"timestamp is more than {max_age} seconds old")
    if sent - now > max_skew:
        raise SignatureRejected("timestamp is in the future")
    given = signature.strip()
    if not given.lower().startswith(_SCHEME):
        raise SignatureRejected(f"{SIGNATURE_HEADER} must be '{_SCHEME}<hex digest>'")
    expected = _digest(secret, stamp, body)
    if not hmac.compare_digest(given[len(_SCHEME) :].lower().encode(), expected.encode()):
        raise SignatureRejected("signature does not match")
    return sent


def replay_key(timestamp: int, body: bytes) -> str:
    """What makes a verified request the same request again: a hash of its timestamp (as `verify`
    returns it) and its exact body. A replay cannot change either without breaking the signature."""
    return hashlib.sha256(str(timestamp).encode() + b"." + body).hexdigest()


def _digest(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
