"""Autotask's webhook signature (R8.8): `sha1=` + base64 HMAC-SHA1 of the raw body with the webhook's
secret, compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from shared.security.autotask import autotask_signature, verify_autotask
from shared.security.signature import SignatureRejected

BODY = b'{"Action":"Update","EntityType":"Contact","Id":30,"Guid":"g","SequenceNumber":1}'
SECRET = "webhook-secret-0123456789"


def reference(body: bytes, secret: str) -> str:
    return "sha1=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha1).digest()).decode()


def test_r8_8_a_webhook_signed_with_the_secret_verifies_with_or_without_its_prefix() -> None:
    assert autotask_signature(BODY, SECRET) == reference(BODY, SECRET)
    verify_autotask(SECRET, reference(BODY, SECRET), BODY)
    verify_autotask(SECRET, "SHA1=" + reference(BODY, SECRET)[5:], BODY)
    verify_autotask(SECRET, reference(BODY, SECRET)[5:], BODY)


@pytest.mark.parametrize(
    ("signature", "why"),
    [
        (reference(BODY, SECRET + "x"), "does not match"),
        (reference(BODY + b"\n", SECRET), "does not match"),
        ("sha1=", "does not match"),
        ("", "missing"),
        (None, "missing"),
    ],
)
def test_r8_8_anything_else_is_refused(signature: str | None, why: str) -> None:
    with pytest.raises(SignatureRejected, match=why):
        verify_autotask(SECRET, signature, BODY)


def test_the_digests_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))

    with pytest.raises(SignatureRejected):
        verify_autotask(SECRET, reference(BODY, "guess"), BODY)

    assert len(calls) == 1 and calls[0][1] == reference(BODY, SECRET)[5:].encode()


def test_a_secret_is_required() -> None:
    with pytest.raises(ValueError, match="secret"):
        verify_autotask("", reference(BODY, SECRET), BODY)
