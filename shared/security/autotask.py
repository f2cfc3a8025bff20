"""Autotask's webhook signature (pure: no I/O).

Autotask signs each webhook callout with the secret key given when the webhook was made:
`X-Hook-Signature: sha1=` + base64(HMAC-SHA1(secret, raw body)). Checked over the exact bytes
received, in constant time. The `sha1=` prefix is taken in any case, or without it (whether every
Autotask zone sends it is unconfirmed; the digest is what proves the sender).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from shared.security.signature import SignatureRejected

__all__ = ["AUTOTASK_SIGNATURE_HEADER", "autotask_signature", "verify_autotask"]

AUTOTASK_SIGNATURE_HEADER = "X-Hook-Signature"
_SCHEME = "sha1="


def autotask_signature(body: bytes, secret: str) -> str:
    """The `X-Hook-Signature` Autotask sends for `body` with the webhook's `secret`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha1).digest()
    return _SCHEME + base64.b64encode(digest).decode("ascii")


def verify_autotask(secret: str, signature: str | None, body: bytes) -> None:
    """SignatureRejected unless `signature` is `body`'s with `secret`."""
    if not secret:
        raise ValueError("a webhook secret is required")
    if not signature or not signature.strip():
        raise SignatureRejected(f"missing {AUTOTASK_SIGNATURE_HEADER} header")
    given = signature.strip()
    if given[: len(_SCHEME)].lower() == _SCHEME:
        given = given[len(_SCHEME) :]
    expected = autotask_signature(body, secret)[len(_SCHEME) :].encode("ascii")
    if not hmac.compare_digest(given.encode("utf-8", "replace"), expected):
        raise SignatureRejected("signature does not match")
