"""ConnectWise PSA's callback signature (R8.8): base64 HMAC-SHA256 of the raw body keyed by the SHA-256
of the signing key, compared in constant time; a key URL is taken only on https *.myconnectwise.net."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from shared.security.connectwise import check_key_url, connectwise_signature, verify_connectwise
from shared.security.signature import SignatureRejected

BODY = b'{"MessageId":"m-1","Type":"contact","Action":"updated","ID":12}'
KEY = "the-signing-key"


def reference(body: bytes, key: str) -> str:
    """The scheme as public verifiers write it, independently of the code under test."""
    digest = hmac.new(hashlib.sha256(key.encode()).digest(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def test_r8_8_a_callback_signed_with_the_key_verifies() -> None:
    assert connectwise_signature(BODY, KEY) == reference(BODY, KEY)
    verify_connectwise(BODY, reference(BODY, KEY), KEY)


@pytest.mark.parametrize(
    ("signature", "why"),
    [
        (reference(BODY, "another-key"), "does not match"),
        (reference(BODY + b" ", KEY), "does not match"),
        ("", "missing"),
        (None, "missing"),
        ("not base64 ü", "does not match"),
    ],
)
def test_r8_8_anything_else_is_refused(signature: str | None, why: str) -> None:
    with pytest.raises(SignatureRejected, match=why):
        verify_connectwise(BODY, signature, KEY)


def test_the_digests_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    verify_connectwise(BODY, reference(BODY, KEY), KEY)

    assert calls == [(reference(BODY, KEY).encode(), reference(BODY, KEY).encode())]


@pytest.mark.parametrize(
    "url",
    [
        "https://api-na.myconnectwise.net/v4_6_release/apis/3.0/system/callbackkey/1",
        "https://API-EU.MyConnectWise.net/key",
        "https://api-au.myconnectwise.net:443/key",
    ],
)
def test_a_key_url_on_a_myconnectwise_host_over_https_is_taken(url: str) -> None:
    assert check_key_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://api-na.myconnectwise.net/key",  # not https
        "https://api-na.evil.example/key",
        "https://myconnectwise.net.evil.example/key",
        "https://evilmyconnectwise.net/key",
        "https://myconnectwise.net/key",  # the bare domain is no API host
        "https://user:pw@api-na.myconnectwise.net/key",
        "https://api-na.myconnectwise.net:8443/key",
        "https://127.0.0.1/key",
        "",
        None,
        42,
        "https://api-na.myconnectwise.net/" + "k" * 3000,
    ],
)
def test_any_other_key_url_is_refused_before_anything_is_fetched(url: object) -> None:
    with pytest.raises(SignatureRejected):
        check_key_url(url)
