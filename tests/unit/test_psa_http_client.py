"""The shared PSA HTTP client: pacing, Retry-After, retries, and the two kinds of PSA error (R8.7, R3.5).

Every test runs on a fake clock: waits are recorded, never slept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from pydantic import SecretStr

from shared.errors import PsaError, PsaRefused, PsaUnavailable
from shared.psa.http import HeaderAuth, PsaHttpClient, RateLimiter, RetryPolicy

Handler = Callable[[httpx.Request], httpx.Response]


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def client(
    handler: Handler,
    time: FakeTime,
    *,
    attempts: int = 4,
    max_wait: float = 60.0,
    limiter: RateLimiter | None = None,
) -> PsaHttpClient:
    return PsaHttpClient(
        vendor="acme",
        base_url="https://psa.example/api/v1",
        auth=HeaderAuth({"x-api-key": SecretStr("k3y")}),
        limiter=limiter or RateLimiter(1000.0, 1000, clock=time.clock, sleep=time.sleep),
        policy=RetryPolicy(attempts=attempts, initial_wait=0.5, max_wait=max_wait, timeout=5),
        transport=httpx.MockTransport(handler),
        sleep=time.sleep,
    )


def answers(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler giving `responses` in turn (the last one again after that), and the requests seen."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = responses[min(len(seen), len(responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handle, seen


OK = httpx.Response(200, json={"ok": True})


async def test_r8_7_retry_after_seconds_is_waited_then_the_request_succeeds() -> None:
    time = FakeTime()
    handle, seen = answers(httpx.Response(429, headers={"Retry-After": "7"}, json={"error": "slow down"}), OK)
    http = client(handle, time)

    assert await http.json("GET", "/contacts") == {"ok": True}

    assert time.sleeps == [7.0]
    assert len(seen) == 2
    assert (http.stats.requests, http.stats.throttled, http.stats.retries) == (2, 1, 1)


async def test_r8_7_retry_after_as_an_http_date_is_waited_until_that_time() -> None:
    time = FakeTime()
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    handle, _ = answers(httpx.Response(429, headers={"Retry-After": when}), OK)

    await client(handle, time).json("GET", "/contacts")

    assert len(time.sleeps) == 1 and 27 <= time.sleeps[0] <= 30


async def test_r8_7_a_throttle_holds_back_every_request_sharing_the_limiter() -> None:
    time = FakeTime()
    limiter = RateLimiter(1000.0, 1000, clock=time.clock, sleep=time.sleep)
    handle, _ = answers(httpx.Response(429, headers={"Retry-After": "12"}), OK)
    first = client(handle, time, limiter=limiter)
    other = client(answers(OK)[0], time, limiter=limiter)
    await first.json("GET", "/contacts")
    time.now -= 12  # as if the other worker asked while the first one was still waiting
    time.sleeps.clear()

    await other.json("GET", "/customers")

    assert sum(time.sleeps) == pytest.approx(12.0, abs=0.01)
    assert other.stats.paced_seconds == pytest.approx(12.0, abs=0.01)


async def test_r8_7_a_throttle_without_retry_after_backs_off_within_the_policy() -> None:
    time = FakeTime()
    handle, seen = answers(httpx.Response(429), httpx.Response(429), httpx.Response(429), OK)

    await client(handle, time, max_wait=3.0).json("GET", "/contacts")

    assert len(seen) == 4 and len(time.sleeps) == 3
    assert all(0 < wait <= 3.0 for wait in time.sleeps)


async def test_r8_7_an_outage_is_retried_then_raised_as_unavailable() -> None:
    time = FakeTime()
    handle, seen = answers(httpx.Response(503, json={"error": "down for maintenance"}))
    http = client(handle, time, attempts=4)

    with pytest.raises(PsaUnavailable, match="down for maintenance") as raised:
        await http.json("GET", "/contacts")

    assert raised.value.status == 503
    assert len(seen) == 4 and len(time.sleeps) == 3
    assert (http.stats.server_errors, http.stats.retries) == (4, 3)


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("timed out"), httpx.RemoteProtocolError("Server disconnected"), httpx.ConnectError("refused")],
)
async def test_r8_7_timeouts_and_resets_are_retried(failure: Exception) -> None:
    time = FakeTime()
    handle, seen = answers(failure, OK)
    http = client(handle, time)

    assert await http.json("PUT", "/contacts/1", body={"name": "A"}) == {"ok": True}

    assert len(seen) == 2 and http.stats.transport_errors == 1


async def test_r8_5_a_create_reset_mid_request_is_not_repeated_so_it_cannot_be_made_twice() -> None:
    time = FakeTime()
    handle, seen = answers(httpx.ReadTimeout("timed out"), OK)

    with pytest.raises(PsaUnavailable, match="not repeated"):
        await client(handle, time).json("POST", "/contacts", body={"name": "A"})

    assert len(seen) == 1 and time.sleeps == []


async def test_r8_5_a_create_the_vendor_cannot_have_taken_is_repeated() -> None:
    time = FakeTime()
    handle, seen = answers(
        httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(503), httpx.ConnectError("refused"), OK
    )

    await client(handle, time).json("POST", "/contacts", body={"name": "A"})

    assert len(seen) == 4


async def test_r8_5_a_create_answered_500_is_not_repeated() -> None:
    handle, seen = answers(httpx.Response(500, json={"error": "oops"}), OK)

    with pytest.raises(PsaUnavailable):
        await client(handle, FakeTime()).json("POST", "/contacts", body={"name": "A"})

    assert len(seen) == 1


async def test_r8_7_a_retry_after_longer_than_the_policy_allows_gives_up_at_once() -> None:
    time = FakeTime()
    handle, seen = answers(httpx.Response(429, headers={"Retry-After": "3600"}), OK)

    with pytest.raises(PsaUnavailable) as raised:
        await client(handle, time, max_wait=60).json("GET", "/contacts")

    assert raised.value.status == 429
    assert len(seen) == 1 and time.sleeps == []


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (422, {"record": {"id": None}, "errors": "Email is not an email"}, "422: Email is not an email"),
        (409, {"error": {"code": "CONFLICT", "message": "A contact with email a@b.c already exists"}}, "already"),
        (400, {"error": {"code": "VALIDATION_ERROR", "message": "Validation failed", "details": ["bad"]}}, "bad"),
        (404, {"message": "Not found"}, "404: Not found"),
    ],
)
async def test_r3_5_a_refusal_of_one_item_is_psa_refused_with_the_vendor_message_and_not_retried(
    status: int, body: dict[str, object], message: str
) -> None:
    time = FakeTime()
    handle, seen = answers(httpx.Response(status, json=body))

    with pytest.raises(PsaRefused, match=message) as raised:
        await client(handle, time).json("POST", "/contacts", body={"name": "A"})

    assert raised.value.status == status
    assert len(seen) == 1 and time.sleeps == []


async def test_a_refused_api_key_is_a_psa_error_but_no_item_refusal() -> None:
    handle, _ = answers(httpx.Response(401, json={"error": "Not authorized"}))

    with pytest.raises(PsaError, match="API key") as raised:
        await client(handle, FakeTime()).json("GET", "/contacts")

    assert not isinstance(raised.value, PsaRefused | PsaUnavailable)


async def test_the_auth_hook_sends_the_key_and_requests_go_under_the_base_url() -> None:
    handle, seen = answers(OK)

    await client(handle, FakeTime()).json("GET", "/contacts", params={"page": 2, "customer_id": 7})

    assert seen[0].headers["x-api-key"] == "k3y"
    assert str(seen[0].url) == "https://psa.example/api/v1/contacts?page=2&customer_id=7"


async def test_a_success_that_is_not_json_is_unavailable_not_a_crash() -> None:
    handle, _ = answers(httpx.Response(200, text="<html>maintenance</html>"))

    with pytest.raises(PsaUnavailable, match="not JSON"):
        await client(handle, FakeTime()).json("GET", "/contacts")


async def test_r8_7_a_408_is_retried_even_for_a_create() -> None:
    handle, seen = answers(httpx.Response(408), OK)

    await client(handle, FakeTime()).json("POST", "/contacts", body={"name": "A"})

    assert len(seen) == 2


def test_an_answer_of_an_unknown_shape_is_unavailable_not_a_crash() -> None:
    from pydantic import BaseModel

    class Thing(BaseModel):
        id: int

    http = client(answers(OK)[0], FakeTime())

    assert http.shape(Thing, {"id": 3}) == Thing(id=3)
    with pytest.raises(PsaUnavailable, match="shape"):
        http.shape(Thing, {"name": "no id"})
