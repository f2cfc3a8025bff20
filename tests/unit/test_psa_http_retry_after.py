"""`Retry-After` read as seconds or as an HTTP date; vendor messages read from their error shapes."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from shared.psa.http import retry_after_seconds, vendor_message

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 1.5 ", 1.5),
        ("-3", 0.0),
        ("Fri, 01 May 2026 12:00:45 GMT", 45.0),
        ("Fri, 01 May 2026 11:59:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, NOW) == seconds


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"error": {"code": "CONFLICT", "message": "A contact with email a@b.c exists"}}, "exists"),
        ({"success": False, "message": ["Email is not an email", "second"]}, "Email is not an email; second"),
        ({"record": {}, "errors": "Customer can't be blank"}, "Customer can't be blank"),
        ({"error": "Not authorized"}, "Not authorized"),
    ],
)
def test_the_vendor_message_is_read_from_its_own_error_shape(body: object, message: str) -> None:
    assert message in vendor_message(httpx.Response(422, json=body))


def test_a_body_that_is_not_json_still_gives_a_message() -> None:
    assert vendor_message(httpx.Response(502, text="<html>Bad gateway</html>")) == "502: <html>Bad gateway</html>"
    assert vendor_message(httpx.Response(503)) == "503 Service Unavailable"
