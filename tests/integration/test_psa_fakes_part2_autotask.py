"""The Autotask fake over real HTTP (httpx), and the signed callbacks the ConnectWise and Autotask
fakes send.

Every fixture's fake asserts at teardown that no request broke the vendor spec, so a test that breaks
it on purpose clears the violations it made after checking them. The callback tests check each
signature with an implementation of the vendor's scheme written here, not the fakes' own.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from shared.devtools.psa_fakes import (
    KEY_HOST,
    AutotaskFake,
    AutotaskWebhooks,
    ConnectWiseCallbacks,
    ConnectWiseFake,
    HostMap,
)
from tests.integration.psa_fakes_http import http, pooled_client, spec

pytestmark = [pytest.mark.integration, pytest.mark.no_azurite]  # the fakes alone: no Azurite


@pytest.fixture
def cw() -> Iterator[ConnectWiseFake]:
    with ConnectWiseFake(spec=spec("connectwise")) as fake:
        yield fake
        fake.assert_conformant()


@pytest.fixture
def autotask() -> Iterator[AutotaskFake]:
    with AutotaskFake(spec=spec("autotask")) as fake:
        yield fake
        fake.assert_conformant()


def _autotask_client(fake: AutotaskFake) -> httpx.Client:
    zone = http().get(fake.zone_url, params={"user": fake.username}).json()
    return pooled_client(base_url=zone["url"] + "V1.0", headers=fake.auth_headers())


# --- Autotask --------------------------------------------------------------------------------------


def test_autotask_discovers_its_zone_once_and_wants_the_three_headers(autotask: AutotaskFake) -> None:
    zone = http().get(autotask.zone_url, params={"user": autotask.username}).json()
    assert set(zone) == {"zoneName", "url", "webUrl", "ci"} and zone["url"].endswith("/ATServicesRest/")
    assert http().get(autotask.zone_url, params={"user": "nobody@x.example"}).status_code == 500
    url = zone["url"] + "V1.0/Companies/entityInformation/fields"
    assert http().get(url, headers={**autotask.auth_headers(), "Secret": "wrong"}).status_code == 401
    answer = http().get(url, headers=autotask.auth_headers())
    assert answer.status_code == 200 and "companyName" in [f["name"] for f in answer.json()["fields"]]
    assert autotask.zone_lookups == 2 and autotask.requests_this_hour == 1  # lookups spend no budget
    assert autotask.outside_extract == ["GET /ATServicesRest/V1.0/zoneInformation"] * 2


def test_autotask_pages_a_query_by_next_page_url_to_the_last_page(autotask: AutotaskFake) -> None:
    company = autotask.load(clients=[{"companyName": "Northwind", "companyType": 1}]).clients[0]
    people = [{"companyID": company, "firstName": f"U{i}", "lastName": "Lee", "isActive": 1} for i in range(12)]
    autotask.load(contacts=people)
    query = {
        "MaxRecords": 5,
        "IncludeFields": ["firstName"],
        "filter": [{"op": "eq", "field": "companyID", "value": company}],
    }
    names: list[str] = []
    with _autotask_client(autotask) as client:
        answer = client.post("/Contacts/query", json=query).json()
        names += [item["firstName"] for item in answer["items"]]
        second = client.get(answer["pageDetails"]["nextPageUrl"]).json()  # GET ...
        names += [item["firstName"] for item in second["items"]]
        last = client.post(second["pageDetails"]["nextPageUrl"], json=query).json()  # ... or POST the same body
        names += [item["firstName"] for item in last["items"]]
        count = client.post("/Contacts/query/count", json=query).json()
    assert names == [f"U{i}" for i in range(12)] and set(answer["items"][0]) == {"id", "firstName"}
    assert last["pageDetails"]["nextPageUrl"] is None and last["pageDetails"]["prevPageUrl"] is not None
    assert (last["pageDetails"]["count"], count["queryCount"]) == (2, 12)


def test_autotask_query_filters_nest_and_or_groups(autotask: AutotaskFake) -> None:
    company = autotask.load(clients=[{"companyName": "Northwind", "companyType": 1}]).clients[0]
    base = {"companyID": company, "lastName": "Lee", "isActive": 1}
    autotask.load(
        contacts=[
            {**base, "firstName": "Ann", "emailAddress": "ann@nw.example"},
            {**base, "firstName": "Bob", "emailAddress2": "ANN@nw.example"},
            {**base, "firstName": "Cy", "isActive": 0},
        ]
    )
    emails = [{"op": "eq", "field": field, "value": "ann@nw.example"} for field in ("emailAddress", "emailAddress2")]
    either = {"op": "or", "items": emails}
    with _autotask_client(autotask) as client:
        by_email = client.post(
            "/Contacts/query", json={"filter": [either, {"op": "noteq", "field": "isActive", "value": 0}]}
        )
        inactive = client.post("/Contacts/query", json={"filter": [{"op": "in", "field": "isActive", "value": [0]}]})
        contains = client.post(
            "/Contacts/query", json={"filter": [{"op": "contains", "field": "firstName", "value": "o"}]}
        )
        unknown = client.post("/Contacts/query", json={"filter": [{"op": "eq", "field": "nope", "value": 1}]})
    assert [c["firstName"] for c in by_email.json()["items"]] == ["Ann", "Bob"]
    assert [c["firstName"] for c in inactive.json()["items"]] == ["Cy"]
    assert [c["firstName"] for c in contains.json()["items"]] == ["Bob"]
    assert unknown.status_code == 500 and unknown.json()["errors"]


def test_autotask_patch_changes_what_is_sent_while_put_nulls_the_rest(autotask: AutotaskFake) -> None:
    autotask.define_udf("Entra Object ID")
    company = autotask.load(clients=[{"companyName": "Northwind", "companyType": 1}]).clients[0]
    with _autotask_client(autotask) as client:
        created = client.post(
            f"/Companies/{company}/Contacts",
            json={
                "firstName": "Ann",
                "lastName": "Lee",
                "isActive": 1,
                "emailAddress": "ann@nw.example",
                "emailAddress2": "a.lee@nw.example",
                "externalID": "oid-1",
                "userDefinedFields": [{"name": "Entra Object ID", "value": "oid-1"}],
            },
        ).json()
        contact = created["itemId"]
        assert client.patch(f"/Companies/{company}/Contacts", json={"id": contact, "isActive": 0}).json() == created
        kept = client.get(f"/Contacts/{contact}").json()["item"]
        client.put(
            f"/Companies/{company}/Contacts", json={"id": contact, "firstName": "Ann", "lastName": "Lee", "isActive": 0}
        )
        nulled = client.get(f"/Contacts/{contact}").json()["item"]
    assert (kept["isActive"], kept["emailAddress2"], kept["externalID"]) == (0, "a.lee@nw.example", "oid-1")
    assert (nulled["emailAddress"], nulled["externalID"], nulled["companyID"]) == (None, None, company)
    assert nulled["userDefinedFields"] == [{"name": "Entra Object ID", "value": None}]


def test_autotask_refuses_an_item_with_http_500_and_errors() -> None:
    with AutotaskFake(unique_emails=True, spec=spec("autotask")) as fake, _autotask_client(fake) as client:
        company = fake.load(clients=[{"companyName": "Northwind", "companyType": 1}]).clients[0]
        fake.load(
            contacts=[
                {
                    "companyID": company,
                    "firstName": "Ann",
                    "lastName": "Lee",
                    "isActive": 1,
                    "emailAddress": "ann@nw.example",
                }
            ]
        )
        missing = client.post(f"/Companies/{company}/Contacts", json={"firstName": "Bob", "isActive": 1})
        taken = client.post(
            f"/Companies/{company}/Contacts",
            json={"firstName": "Bob", "lastName": "Lee", "isActive": 1, "emailAddress3": "ANN@nw.example"},
        )
        required = [
            f["name"] for f in client.get("/Contacts/entityInformation/fields").json()["fields"] if f["isRequired"]
        ]
        fake.assert_conformant()
    assert missing.status_code == 500 and missing.json() == {"errors": ["Missing Required Field: lastName"]}
    assert taken.status_code == 500 and "already exists" in taken.json()["errors"][0]
    assert "lastName" in required and len(fake.contacts()) == 1


def test_autotask_counts_its_hourly_budget_and_refuses_past_it() -> None:
    with AutotaskFake(hourly_limit=3, spec=spec("autotask")) as fake, _autotask_client(fake) as client:
        statuses = [client.get("/Contacts/entityInformation/fields").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429] and fake.requests_this_hour == 3
        assert "3 requests an hour" in client.get("/Contacts/entityInformation/fields").json()["errors"][0]


def test_autotask_a_fourth_concurrent_request_to_one_endpoint_hits_the_thread_limit(autotask: AutotaskFake) -> None:
    slow = autotask.slow(0.6, times=3)  # each of the three holds its thread while it waits
    headers, url = autotask.auth_headers(), f"{autotask.base_url}/V1.0/Contacts/entityInformation/fields"
    statuses: list[int] = []
    threads = [
        threading.Thread(target=lambda: statuses.append(http().get(url, headers=headers).status_code)) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while slow.hits < 3 and time.monotonic() < deadline:  # the three are in flight
        time.sleep(0.01)
    fourth = http().get(url, headers=headers)
    other = http().get(f"{autotask.base_url}/V1.0/Companies/entityInformation/fields", headers=headers)
    for thread in threads:
        thread.join()
    assert fourth.status_code == 429 and "thread" in fourth.json()["errors"][0]
    assert other.status_code == 200 and statuses == [200, 200, 200] and slow.hits == 3


def test_autotask_records_a_body_off_its_spec_and_injected_faults(autotask: AutotaskFake) -> None:
    company = autotask.load(clients=[{"companyName": "Northwind", "companyType": 1}]).clients[0]
    broken = autotask.fault(500, times=1, path_prefix="/V1.0/Contacts/query")
    with _autotask_client(autotask) as client:
        assert client.post("/Contacts/query", json={"filter": []}).status_code == 500
        off_spec = client.post(f"/Companies/{company}/Contacts", json={"firstName": "Ann", "isActive": "yes"})
    assert off_spec.status_code == 400 and "IsActive" in off_spec.json()["problems"][0]  # compared ignoring case
    assert broken.hits == 1 and len(autotask.spec_violations) == 1
    autotask.clear_spec_violations()


# --- callbacks -------------------------------------------------------------------------------------


class _Receiver(ThreadingHTTPServer):
    """The app's callback endpoint stand-in: keeps every POST's raw body and headers."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        super().__init__(("127.0.0.1", 0), _Receive)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks"


class _Receive(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append((body, {k.lower(): v for k, v in self.headers.items()}))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _cw_verifies(body: bytes, signature: str, key_url: str, transport: HostMap) -> bool:
    """ConnectWise's scheme, written here: fetch the key from a *.myconnectwise.net key URL, then compare
    base64(HMAC-SHA256(SHA-256(key), body))."""
    if not httpx.URL(key_url).host.endswith(".myconnectwise.net"):
        return False

    async def fetch() -> str:
        async with httpx.AsyncClient(transport=transport) as client:
            return str((await client.get(key_url)).json()["signing_key"])

    key = hashlib.sha256(asyncio.run(fetch()).encode()).digest()
    expected = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, signature)


def test_connectwise_callbacks_verify_by_the_key_at_their_key_url(cw: ConnectWiseFake, receiver: _Receiver) -> None:
    contact = cw.load(contacts=[{"firstName": "Ann", "lastName": "Lee"}]).contacts[0]
    sender, transport = ConnectWiseCallbacks(cw), HostMap({KEY_HOST: cw.root_url})
    callback = sender.contact(contact)
    callback.post(receiver.url, http())
    callback.post(receiver.url, http())  # a replay: the very same bytes and signature
    sender.contact(contact, wrong_signature=True).post(receiver.url, http())
    sender.company(contact, key_host="api-na.evil.example").post(receiver.url, http())
    (body, headers), replayed, wrong, foreign = receiver.received
    payload = json.loads(body)
    assert (payload["Type"], payload["Action"], payload["ID"]) == ("contact", "updated", contact)
    assert json.loads(payload["Entity"])["firstName"] == "Ann"
    assert httpx.URL(payload["Metadata"]["key_url"]).host == KEY_HOST
    assert _cw_verifies(body, headers["x-content-signature"], payload["Metadata"]["key_url"], transport)
    assert replayed == (body, headers) and json.loads(replayed[0])["MessageId"] == payload["MessageId"]
    key_url = json.loads(wrong[0])["Metadata"]["key_url"]
    assert not _cw_verifies(wrong[0], wrong[1]["x-content-signature"], key_url, transport)
    fetched = cw.key_fetches
    foreign_url = json.loads(foreign[0])["Metadata"]["key_url"]
    assert not _cw_verifies(foreign[0], foreign[1]["x-content-signature"], foreign_url, transport)
    assert cw.key_fetches == fetched and json.loads(foreign[0])["Entity"] is None  # no company of that id
    with pytest.raises(httpx.ConnectError), httpx.Client(transport=transport) as client:
        client.get(foreign_url)  # a host the test did not map is never reached
    assert transport.attempts[-1] == foreign_url


def test_autotask_webhooks_are_signed_with_hmac_sha1_of_the_raw_body(
    autotask: AutotaskFake, receiver: _Receiver
) -> None:
    company = autotask.load(clients=[{"companyName": "Northwind", "companyType": 1}]).clients[0]
    contact = autotask.load(contacts=[{"companyID": company, "firstName": "Ann", "lastName": "Lee", "isActive": 1}])
    sender = AutotaskWebhooks("webhook-secret-0123456789", fake=autotask)
    hook = sender.contact(contact.contacts[0])
    hook.post(receiver.url, http())
    hook.post(receiver.url, http())  # a replay
    sender.company(company, action="Delete", wrong_signature=True).post(receiver.url, http())
    (body, headers), replayed, (wrong_body, wrong_headers) = receiver.received

    def verifies(raw: bytes, header: str) -> bool:
        digest = hmac.new(b"webhook-secret-0123456789", raw, hashlib.sha1).digest()
        return hmac.compare_digest(header, "sha1=" + base64.b64encode(digest).decode())

    payload = json.loads(body)
    assert verifies(body, headers["x-hook-signature"]) and replayed == (body, headers)
    assert (payload["EntityType"], payload["Action"], payload["Id"]) == ("Contact", "Update", contact.contacts[0])
    assert payload["Fields"]["firstName"] == "Ann" and payload["Guid"] == sender.guid
    assert {"EventTime", "SequenceNumber", "PersonID"} <= set(payload)
    assert not verifies(wrong_body, wrong_headers["x-hook-signature"])
    second = json.loads(wrong_body)
    assert (second["EntityType"], second["SequenceNumber"], "Fields" in second) == ("Account", 2, False)
