"""ConnectWise PSA's callback signature (pure: no I/O).

ConnectWise signs each callback (`/system/callbacks`) it POSTs: `x-content-signature` is
base64(HMAC-SHA256(key = SHA-256 digest of the signing key's UTF-8 bytes, message = the raw body)),
and the body's `Metadata.key_url` says where the signing key is served. That URL is in the body the
signature covers, so it is checked before anything is fetched from it: https, on a `*.myconnectwise.net`
host, no credentials or odd port in it. Anything else is refused, with no request made, since a
forged body could otherwise point the app anywhere (and sign itself with a key its sender serves).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlsplit

from shared.security.signature import SignatureRejected

__all__ = [
    "CONNECTWISE_KEY_HOST_SUFFIX",
    "CONNECTWISE_SIGNATURE_HEADER",
    "check_key_url",
    "connectwise_signature",
    "verify_connectwise",
]

CONNECTWISE_SIGNATURE_HEADER = "x-content-signature"
CONNECTWISE_KEY_HOST_SUFFIX = ".myconnectwise.net"
_MAX_URL = 2048


def check_key_url(url: object) -> str:
    """`url` when ConnectWise may serve a signing key there, else SignatureRejected (nothing fetched)."""
    if not isinstance(url, str) or not url or len(url) > _MAX_URL or not url.isascii():
        raise SignatureRejected("the callback names no usable Metadata.key_url")
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme != "https":
        raise SignatureRejected("the callback's key URL is not https")
    if not host.endswith(CONNECTWISE_KEY_HOST_SUFFIX) or host == CONNECTWISE_KEY_HOST_SUFFIX.lstrip("."):
        raise SignatureRejected(f"the callback's key URL is not on a *{CONNECTWISE_KEY_HOST_SUFFIX} host")
    if parts.username or parts.password or parts.port not in (None, 443):
        raise SignatureRejected("the callback's key URL carries credentials or a port")
    return url.strip()


def connectwise_signature(body: bytes, signing_key: str) -> str:
    """The `x-content-signature` ConnectWise sends for `body` signed with `signing_key`."""
    key = hashlib.sha256(signing_key.encode("utf-8")).digest()
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode("ascii")


def verify_connectwise(body: bytes, signature: str | None, signing_key: str) -> None:
    """SignatureRejected unless `signature` is `body`'s, by `signing_key` (compared in constant time)."""
    if not signature or not signature.strip():
        raise SignatureRejected(f"missing {CONNECTWISE_SIGNATURE_HEADER} header")
    if not signing_key:
        raise SignatureRejected("the signing key is empty")
    expected = connectwise_signature(body, signing_key).encode("ascii")
    if not hmac.compare_digest(signature.strip().encode("utf-8", "replace"), expected):
        raise SignatureRejected("signature does not match")
