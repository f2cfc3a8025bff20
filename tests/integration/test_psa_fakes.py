"""The Syncro and Alga PSA fakes over real HTTP (httpx), and the SpecChecker behind them.

Every fixture's fake asserts at teardown that no request broke the vendor spec, so a test that
breaks it on purpose clears the violations it made after checking them.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.devtools.psa_fakes import AlgaFake, SpecChecker, SpecUnavailable, SyncroFake, spec_dir

pytestmark = [pytest.mark.integration, pytest.mark.no_azurite]  # the fakes alone: no Azurite


@pytest.fixture
def syncro() -> Iterator[SyncroFake]:
    with SyncroFake() as fake:
        yield fake
        fake.assert_conformant()


@pytest.fixture
def alga() -> Iterator[AlgaFake]:
    with AlgaFake() as fake:
        yield fake
        fake.assert_conformant()


def _syncro_client(fake: SyncroFake) -> httpx.Client:
    return httpx.Client(base_url=fake.base_url, headers={"Authorization": fake.api_key}, timeout=5)


def _alga_client(fake: AlgaFake) -> httpx.Client:
    return httpx.Client(base_url=fake.base_url, headers={"x-api-key": fake.api_key}, timeout=5)


def _alga_client_record(fake: AlgaFake, name: str = "Northwind") -> str:
    return fake.load(clients=[{"client_name": name, "billing_cycle": "monthly"}]).clients[0]


# --- SpecChecker -----------------------------------------------------------------------------------


def test_spec_folder_is_found_beside_the_repo() -> None:
    folder = spec_dir()
    assert folder is not None and (folder / "syncro.json").is_file()


def test_syncro_spec_accepts_a_conforming_request_and_names_each_problem_of_another() -> None:
    checker = SpecChecker.load("syncro")
    assert checker.available
    assert checker.check("GET", "/api/v1/contacts", {"customer_id": ["7"], "page": ["2"]}, None) == []
    assert checker.check("PUT", "/api/v1/contacts/5", {}, {"name": "Ann", "title": "CEO"}) == []
    problems = checker.check("GET", "/api/v1/contacts", {"page": ["two"], "per_page": ["100"]}, None)
    assert any("'page'" in p and "not an integer" in p for p in problems)
    assert any("'per_page' is not in the spec" in p for p in problems)
    assert checker.check("PUT", "/api/v1/contacts/5", {}, {"email": "a@b.example"}) == [
        "PUT /contacts/{id}: body $: 'name' is a required property"
    ]
    assert checker.check("GET", "/contacts", {}, None)  # Syncro's paths start at /api/v1


def test_alga_spec_is_strict_about_body_keys_but_lets_put_be_partial() -> None:
    checker = SpecChecker.load("alga")
    contact = f"/api/v1/contacts/{uuid.uuid4()}"
    assert checker.check("POST", "/api/v1/contacts", {}, {"full_name": "Ann", "email": "ann@nw.example"}) == []
    assert checker.check("PUT", contact, {}, {"is_inactive": True}) == []  # partial (Alga's .partial())
    assert checker.check("GET", "/api/v1/contacts/search", {"query": ["ann"]}, None) == []  # literal beats {id}
    problems = checker.check("POST", "/api/v1/contacts", {}, {"full_name": "Ann", "email": "ann", "title": "CEO"})
    assert any("'title' was unexpected" in p for p in problems)
    assert any("'ann' is not a 'email'" in p for p in problems)
    assert checker.check("GET", "/api/v1/contacts/not-a-uuid", {}, None) == [
        "GET /api/v1/contacts/{id}: path parameter 'id': 'not-a-uuid' is not a uuid"
    ]
    assert checker.check("PATCH", contact, {}, {}) != []  # no such method there


def test_autotask_swagger2_spec_checks_base_path_camel_case_bodies_and_header_parameters() -> None:
    checker = SpecChecker.load("autotask")
    path = "/ATServicesRest/V1.0/Companies/12/Contacts"
    headers = {"ApiIntegrationCode": "code", "UserName": "api@nw.example", "Secret": "s"}
    body = {"firstName": "Ann", "lastName": "Lee", "isActive": 1, "companyID": 12}
    assert checker.check("POST", path, {}, body, headers) == []
    problems = checker.check("POST", path, {}, {**body, "isActive": "yes"}, {"UserName": "x"})
    assert any("IsActive" in p and "'integer'" in p for p in problems)  # compared ignoring case
    assert any("'ApiIntegrationCode' is missing" in p for p in problems)
    assert checker.check("GET", "/V1.0/Contacts/query", {"search": ["{}"]}, None)  # basePath is required
    assert checker.check("GET", "/ATServicesRest/V1.0/Contacts/query", {}, None) == [
        "GET /V1.0/Contacts/query: required query parameter 'search' is missing"
    ]


def test_openapi_3_0_nullable_allows_null(tmp_path: Path) -> None:
    spec = {
        "openapi": "3.0.0",
        "servers": [{"url": "https://{sub}.example.com/api"}],
        "paths": {
            "/things": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"note": {"type": "string", "nullable": True}},
                                }
                            }
                        }
                    }
                }
            }
        },
    }
    (tmp_path / "thing.json").write_text(json.dumps(spec))
    checker = SpecChecker.load("thing", tmp_path)
    assert checker.check("POST", "/api/things", {}, {"note": None}) == []
    assert checker.check("POST", "/api/things", {}, {"note": 3}) != []


def test_without_the_spec_folder_ci_fails_and_a_local_run_checks_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(SpecUnavailable):
        SpecChecker.load("syncro", tmp_path)
    monkeypatch.delenv("CI")
    checker = SpecChecker.load("syncro", tmp_path)
    assert not checker.available and checker.reason
    assert checker.check("GET", "/nowhere", {"x": ["1"]}, {"y": 1}) == []


# --- Syncro ----------------------------------------------------------------------------------------


def test_syncro_pages_contacts_at_its_fixed_page_size_to_the_last_page(syncro: SyncroFake) -> None:
    customer = syncro.load(clients=[{"business_name": "Northwind"}]).clients[0]
    other = syncro.load(clients=[{"business_name": "Contoso"}]).clients[0]
    people = [{"customer_id": customer, "name": f"User {i}", "email": f"u{i}@nw.example"} for i in range(60)]
    syncro.load(contacts=[*people, {"customer_id": other, "name": "Elsewhere"}])
    seen: list[str] = []
    with _syncro_client(syncro) as client:
        page = 1
        while True:
            answer = client.get("/contacts", params={"customer_id": customer, "page": page}).json()
            seen += [contact["name"] for contact in answer["contacts"]]
            assert answer["meta"]["per_page"] == 25 and answer["meta"]["total_entries"] == 60
            if page >= answer["meta"]["total_pages"]:
                break
            page += 1
        assert page == 3 and len(answer["contacts"]) == 10
        assert client.get("/contacts", params={"page": 9}).json()["contacts"] == []
        customers = client.get("/customers", params={"business_name": "north"}).json()
        assert [c["business_name"] for c in customers["customers"]] == ["Northwind"]
    assert seen == [f"User {i}" for i in range(60)]


def test_syncro_shapes_contacts_and_customers_as_its_spec_does(syncro: SyncroFake) -> None:
    customer = syncro.load(clients=[{"business_name": "Northwind", "properties": {"microsoft_secure_score": "41"}}])
    with _syncro_client(syncro) as client:
        created = client.post(
            "/contacts",
            json={"customer_id": customer.clients[0], "name": "Ann Lee", "email": "ann@nw.example", "title": "CEO"},
        )
        assert created.status_code == 200
        contact = created.json()
        assert isinstance(contact["id"], int) and contact["title"] is None  # title is taken only on PUT
        updated = client.put(
            f"/contacts/{contact['id']}", json={"name": "Ann Lee", "title": "CEO", "properties": {"azure_license": "x"}}
        )
        assert updated.json()["title"] == "CEO" and updated.json()["properties"] == {"azure_license": "x"}
        assert updated.json()["email"] == "ann@nw.example"  # partial: kept
        single = client.get(f"/customers/{customer.clients[0]}").json()["customer"]
        assert single["properties"] == {"microsoft_secure_score": "41"} and len(single["contacts"]) == 1
        assert client.post("/contacts", json={"customer_id": 999, "name": "Nobody"}).status_code == 404
        refused = client.post("/contacts", json={"customer_id": customer.clients[0], "email": "not-an-email"})
        assert refused.status_code == 422 and refused.json()["errors"] == "Email is not an email"
        assert client.get("/contacts/999").json() == {"message": "Not found"}
    assert syncro.contacts()[0]["properties"] == {"azure_license": "x"}
    assert syncro.writes == 4 and syncro.deletes == []


def test_syncro_records_every_delete(syncro: SyncroFake) -> None:
    ids = syncro.load(clients=[{"business_name": "Northwind"}])
    contact = syncro.load(contacts=[{"customer_id": ids.clients[0], "name": "Ann"}]).contacts[0]
    with _syncro_client(syncro) as client:
        assert client.delete(f"/contacts/{contact}").status_code == 200
    assert [record.path for record in syncro.deletes] == [f"/api/v1/contacts/{contact}"]
    assert syncro.contacts() == []


def test_syncro_refuses_a_request_off_its_spec_and_records_it(syncro: SyncroFake) -> None:
    with _syncro_client(syncro) as client:
        unknown = client.get("/contacts", params={"per_page": 100})
        bad_body = client.put("/contacts/1", json={"email": "ann@nw.example"})  # no name
    assert unknown.status_code == 400 and "per_page" in unknown.json()["problems"][0]
    assert bad_body.status_code == 400
    assert [v.path for v in syncro.spec_violations] == ["/api/v1/contacts", "/api/v1/contacts/1"]
    with pytest.raises(AssertionError, match="2 request"):
        syncro.assert_conformant()
    syncro.clear_spec_violations()


def test_syncro_wants_its_key_raw_or_as_bearer(syncro: SyncroFake) -> None:
    url = f"{syncro.base_url}/customers"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "wrong"}).status_code == 401
    assert httpx.get(url, headers={"Authorization": syncro.api_key}).status_code == 200
    assert httpx.get(url, headers={"Authorization": f"Bearer {syncro.api_key}"}).status_code == 200


def test_syncro_rate_limit_answers_429_without_retry_after_unless_asked() -> None:
    for send_retry_after in (False, True):
        with SyncroFake(rate_limit=3, send_retry_after=send_retry_after) as fake, _syncro_client(fake) as client:
            statuses = [client.get("/customers").status_code for _ in range(4)]
            last = client.get("/customers")
            assert statuses == [200, 200, 200, 429] and last.status_code == 429
            assert ("retry-after" in last.headers) is send_retry_after
            assert fake.throttled == 2


# --- Alga ------------------------------------------------------------------------------------------


def test_alga_pages_contacts_by_limit_to_the_last_page(alga: AlgaFake) -> None:
    client_id = _alga_client_record(alga)
    alga.load(
        contacts=[{"full_name": f"User {i}", "email": f"u{i}@nw.example", "client_id": client_id} for i in range(45)]
    )
    names: list[str] = []
    with _alga_client(alga) as client:
        page = 1
        while True:
            answer = client.get("/contacts", params={"client_id": client_id, "limit": 20, "page": page}).json()
            names += [c["full_name"] for c in answer["data"]]
            if not answer["pagination"]["hasNext"]:
                break
            page += 1
        assert answer["pagination"] == {
            "page": 3,
            "limit": 20,
            "total": 45,
            "totalPages": 3,
            "hasNext": False,
            "hasPrev": True,
        }
        too_many = client.get("/contacts", params={"limit": 101})
        assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "VALIDATION_ERROR"
    assert sorted(names) == sorted(f"User {i}" for i in range(45)) and names[0] == "User 44"  # newest first


def test_alga_email_is_unique_across_the_tenant_ignoring_case(alga: AlgaFake) -> None:
    first, second = _alga_client_record(alga, "Northwind"), _alga_client_record(alga, "Contoso")
    alga.load(
        contacts=[
            {
                "full_name": "Ann",
                "email": "ann@nw.example",
                "client_id": first,
                "additional_email_addresses": [{"email_address": "sales@nw.example"}],
            }
        ]
    )
    with _alga_client(alga) as client:
        for taken in ("ANN@nw.example", "sales@NW.example"):
            answer = client.post("/contacts", json={"full_name": "Bob", "email": taken, "client_id": second})
            assert answer.status_code == 409
            assert answer.json()["error"]["code"] == "CONFLICT"
        assert client.post("/contacts", json={"full_name": "Bob", "email": "bob@nw.example"}).status_code == 201
    assert len(alga.contacts()) == 2


def test_alga_email_filter_is_a_substring_match(alga: AlgaFake) -> None:
    alga.load(
        contacts=[
            {"full_name": "Ann", "email": "ann@nw.example"},
            {"full_name": "Joann", "email": "joann@nw.example"},
            {"full_name": "Old Ann", "email": "ann@old.example", "is_inactive": True},
        ]
    )
    with _alga_client(alga) as client:
        everyone = client.get("/contacts", params={"email": "ann@nw.example"}).json()["data"]
        active = client.get("/contacts", params={"email": "ANN@", "is_inactive": "false"}).json()["data"]
    assert sorted(c["email"] for c in everyone) == ["ann@nw.example", "joann@nw.example"]
    assert sorted(c["email"] for c in active) == ["ann@nw.example", "joann@nw.example"]


def test_alga_primary_email_changes_only_by_promotion_or_demotion(alga: AlgaFake) -> None:
    contact = alga.load(
        contacts=[
            {
                "full_name": "Ann",
                "email": "ann@nw.example",
                "additional_email_addresses": [{"email_address": "ann.lee@nw.example"}],
            }
        ]
    ).contacts[0]
    with _alga_client(alga) as client:
        swapped = client.put(f"/contacts/{contact}", json={"email": "ann.lee@nw.example"})
        assert swapped.status_code == 200
        data = swapped.json()["data"]
        assert data["email"] == "ann.lee@nw.example"
        assert [e["email_address"] for e in data["additional_email_addresses"]] == ["ann@nw.example"]
        refused = client.put(f"/contacts/{contact}", json={"email": "brand.new@nw.example"})
        assert refused.status_code == 400 and "additional" in refused.json()["error"]["message"]
        demoted = client.put(
            f"/contacts/{contact}",
            json={
                "email": "brand.new@nw.example",
                "additional_email_addresses": [{"email_address": "ann.lee@nw.example"}],
            },
        )
        assert demoted.status_code == 200
        data = demoted.json()["data"]
        assert data["email"] == "brand.new@nw.example"
        assert [e["email_address"] for e in data["additional_email_addresses"]] == ["ann.lee@nw.example"]


def test_alga_put_is_partial_and_a_list_sent_replaces_the_list(alga: AlgaFake) -> None:
    contact = alga.load(
        contacts=[
            {
                "full_name": "Ann",
                "email": "ann@nw.example",
                "role": "CEO",
                "phone_numbers": [
                    {"phone_number": "+1 555 0100", "canonical_type": "work"},
                    {"phone_number": "+1 555 0199", "canonical_type": "mobile"},
                ],
            }
        ]
    ).contacts[0]
    with _alga_client(alga) as client:
        answer = client.put(
            f"/contacts/{contact}",
            json={"is_inactive": True, "phone_numbers": [{"phone_number": "555-0142", "canonical_type": "mobile"}]},
        )
        unknown = client.put(f"/contacts/{contact}", json={"title": "CEO"})
    data = answer.json()["data"]
    assert data["role"] == "CEO" and data["is_inactive"] is True
    assert [(p["phone_number"], p["canonical_type"], p["is_default"]) for p in data["phone_numbers"]] == [
        ("555-0142", "mobile", True)
    ]
    assert unknown.status_code == 400 and alga.spec_violations[-1].path == f"/api/v1/contacts/{contact}"
    alga.clear_spec_violations()


def test_alga_refuses_unknown_query_params_and_unknown_body_keys(alga: AlgaFake) -> None:
    client_id = _alga_client_record(alga)
    with _alga_client(alga) as client:
        paged = client.get(f"/clients/{client_id}/contacts", params={"page": 2})  # the spec declares no paging here
        extra = client.post("/contacts", json={"full_name": "Ann", "email": "ann@nw.example", "mobile": "555"})
        assert client.get(f"/clients/{client_id}/contacts").status_code == 200
    assert paged.status_code == 400 and extra.status_code == 400
    assert extra.json()["error"]["code"] == "SPEC_VIOLATION"
    assert len(alga.spec_violations) == 2 and alga.contacts() == []
    alga.clear_spec_violations()


def test_alga_records_every_delete_and_frees_the_email(alga: AlgaFake) -> None:
    contact = alga.load(contacts=[{"full_name": "Ann", "email": "ann@nw.example"}]).contacts[0]
    with _alga_client(alga) as client:
        assert client.delete(f"/contacts/{contact}").status_code == 204
        assert client.get(f"/contacts/{contact}").json()["error"]["code"] == "NOT_FOUND"
        assert client.post("/contacts", json={"full_name": "Ann", "email": "ann@nw.example"}).status_code == 201
    assert [record.method for record in alga.deletes] == ["DELETE"]


def test_alga_wants_x_api_key(alga: AlgaFake) -> None:
    url = f"{alga.base_url}/clients"
    assert httpx.get(url).json()["error"]["code"] == "UNAUTHORIZED"
    assert httpx.get(url, headers={"x-api-key": "wrong"}).status_code == 401
    assert httpx.get(url, headers={"x-api-key": alga.api_key, "x-tenant-id": alga.tenant}).status_code == 200


def test_alga_token_bucket_answers_429_with_retry_after() -> None:
    with AlgaFake(burst=3, per_minute=60) as fake, _alga_client(fake) as client:
        answers = [client.get("/clients") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[2].headers["x-ratelimit-remaining"] == "0"
        throttled = answers[3]
        assert throttled.headers["retry-after"] == "1"
        assert throttled.json()["error"]["code"] == "RATE_LIMITED"
        time.sleep(1.05)  # one token back at 60 a minute
        assert client.get("/clients").status_code == 200
        assert fake.throttled == 1


# --- faults ----------------------------------------------------------------------------------------


def test_each_injected_fault_fires_and_counts_its_hits(alga: AlgaFake) -> None:
    with _alga_client(alga) as client:
        busy = alga.fault(503, retry_after=7, times=2, path_prefix="/contacts", method="GET")
        assert client.get("/clients").status_code == 200  # another path: untouched
        first, second = client.get("/contacts"), client.get("/contacts")
        assert (first.status_code, first.headers["retry-after"]) == (503, "7")
        assert second.status_code == 503 and client.get("/contacts").status_code == 200
        assert busy.hits == 2

        broken = alga.fault(500, path_prefix="/api/v1/clients")  # a full path works too
        assert client.get("/clients").json()["error"]["code"] == "INTERNAL_ERROR"
        throttled = alga.fault(429)
        answer = client.get("/clients")
        assert answer.status_code == 429 and "retry-after" not in answer.headers
        assert (broken.hits, throttled.hits) == (1, 1)

        slow = alga.slow(0.3)
        started = time.monotonic()
        assert client.get("/clients").status_code == 200
        assert time.monotonic() - started >= 0.3 and slow.hits == 1
    assert alga.throttled == 1
    assert [r.fault for r in alga.requests if r.fault] == ["status", "status", "status", "status", "slow"]


def test_a_dropped_connection_raises_in_httpx(syncro: SyncroFake) -> None:
    dropped = syncro.drop(times=1)
    with _syncro_client(syncro) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/customers")
        assert client.get("/customers").status_code == 200  # a new connection is answered
    assert dropped.hits == 1 and syncro.requests[0].status == 0
