"""The PSA webhook's HMAC signatures (pure: the clock is an argument)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from shared.security import SignatureRejected, sign, verify

SECRET = "s3cret-for-tests"
NOW = 1_700_000_000
BODY = b'{"event":"contact.updated","clientId":"c-greenleaf"}'


def test_signature_is_hmac_sha256_over_timestamp_dot_body_as_documented() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, BODY) == f"sha256={expected}"


def test_a_fresh_good_signature_is_accepted_and_gives_its_timestamp() -> None:
    assert verify(SECRET, str(NOW), sign(SECRET, NOW, BODY), BODY, now=NOW + 10) == NOW


def test_upper_case_hex_is_accepted() -> None:
    signature = "sha256=" + sign(SECRET, NOW, BODY).removeprefix("sha256=").upper()
    assert verify(SECRET, str(NOW), signature, BODY, now=NOW) == NOW


@pytest.mark.parametrize(
    ("secret", "body"),
    [("another-secret", BODY), (SECRET, BODY + b" "), (SECRET, BODY.replace(b"greenleaf", b"bluebird"))],
    ids=["wrong-secret", "body-changed-by-a-byte", "body-tampered"],
)
def test_a_signature_made_otherwise_is_refused(secret: str, body: bytes) -> None:
    with pytest.raises(SignatureRejected, match="does not match"):
        verify(SECRET, str(NOW), sign(secret, NOW, body), BODY, now=NOW)


def test_the_timestamp_is_part_of_what_is_signed() -> None:
    # A captured signature cannot be replayed under a fresher timestamp.
    with pytest.raises(SignatureRejected, match="does not match"):
        verify(SECRET, str(NOW + 60), sign(SECRET, NOW, BODY), BODY, now=NOW + 60)


def test_a_timestamp_more_than_five_minutes_old_is_refused() -> None:
    signature = sign(SECRET, NOW, BODY)
    assert verify(SECRET, str(NOW), signature, BODY, now=NOW + 300) == NOW
    with pytest.raises(SignatureRejected, match="old"):
        verify(SECRET, str(NOW), signature, BODY, now=NOW + 301)


def test_a_timestamp_in_the_future_beyond_clock_skew_is_refused() -> None:
    ahead = NOW + 31
    with pytest.raises(SignatureRejected, match="future"):
        verify(SECRET, str(ahead), sign(SECRET, ahead, BODY), BODY, now=NOW)
    with pytest.raises(SignatureRejected, match="future"):
        verify(SECRET, str(NOW + 3600), sign(SECRET, NOW + 3600, BODY), BODY, now=NOW)


@pytest.mark.parametrize(
    ("timestamp", "signature", "reason"),
    [
        (None, "sha256=00", "missing X-Signature-Timestamp"),
        (str(NOW), None, "missing X-Signature"),
        ("", "sha256=00", "missing X-Signature-Timestamp"),
        ("yesterday", "sha256=00", "unix seconds"),
        ("-1", "sha256=00", "unix seconds"),
        ("1.7e9", "sha256=00", "unix seconds"),
        (str(NOW), "md5=00", "sha256="),
        (str(NOW), "sha256=", "does not match"),
        (str(NOW), "sha256=zz\u00e9", "does not match"),
    ],
)
def test_missing_or_malformed_headers_are_refused(timestamp: str | None, signature: str | None, reason: str) -> None:
    with pytest.raises(SignatureRejected, match=reason):
        verify(SECRET, timestamp, signature, BODY, now=NOW)


def test_the_refusal_never_carries_the_secret_or_the_expected_signature() -> None:
    expected = sign(SECRET, NOW, BODY)
    with pytest.raises(SignatureRejected) as caught:
        verify(SECRET, str(NOW), "sha256=" + "0" * 64, BODY, now=NOW)
    assert SECRET not in str(caught.value)
    assert expected.removeprefix("sha256=") not in str(caught.value)


def test_an_empty_secret_can_neither_sign_nor_verify() -> None:
    # Never accept unsigned requests because the secret is blank.
    with pytest.raises(ValueError, match="secret"):
        sign("", NOW, BODY)
    with pytest.raises(ValueError, match="secret"):
        verify("", str(NOW), "sha256=00", BODY, now=NOW)
