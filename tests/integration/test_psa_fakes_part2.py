"""The HaloPSA and ConnectWise PSA fakes over real HTTP (httpx).

Every fixture's fake asserts at teardown that no request broke the vendor spec, so a test that breaks
it on purpose clears the violations it made after checking them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from shared.devtools.psa_fakes import ConnectWiseFake, HaloFake
from tests.integration.psa_fakes_http import CW_ACCEPT, cw_client, http, pooled_client, spec

pytestmark = [pytest.mark.integration, pytest.mark.no_azurite]  # the fakes alone: no Azurite


@pytest.fixture
def halo() -> Iterator[HaloFake]:
    with HaloFake(spec=spec("halopsa")) as fake:
        yield fake
        fake.assert_conformant()


@pytest.fixture
def cw() -> Iterator[ConnectWiseFake]:
    with ConnectWiseFake(spec=spec("connectwise")) as fake:
        yield fake
        fake.assert_conformant()


def _halo_token(fake: HaloFake, secret: str | None = None) -> httpx.Response:
    auth_url = http().get(f"{fake.base_url}/authinfo").json()["auth_url"]
    form = {"grant_type": "client_credentials", "client_id": fake.client_id, "scope": "all"}
    return http().post(f"{auth_url}/token", data={**form, "client_secret": secret or fake.client_secret})


def _halo_client(fake: HaloFake) -> httpx.Client:
    token = _halo_token(fake).json()["access_token"]
    return pooled_client(base_url=fake.base_url, headers={"Authorization": f"Bearer {token}"})


# --- the spec quirks normalised (psa-specs/SOURCES.md, "Validator notes") ----------------------------


def test_the_specs_quirks_are_normalised_so_real_requests_conform() -> None:
    halo, cw, autotask = spec("halopsa"), spec("connectwise"), spec("autotask")
    users = {"exclude_generaluser": ["true"], "includeinactive": ["true"], "site_id": ["3"]}  # declared twice
    assert halo.check("GET", "/api/Users", users, None) == []
    assert halo.check("GET", "/api/Users", {"page_no": ["two"]}, None) == [
        "GET /Users: query parameter 'page_no': 'two' is not an integer"  # `int` read as integer
    ]
    clientid = {"clientId": "x"}
    assert (
        cw.check("DELETE", "/v4_6_release/apis/3.0/company/contacts/5", {"transferContactId": ["7"]}, None, clientid)
        == []
    )
    ops = [{"op": "replace", "path": "firstName", "value": "Ann"}]  # `value` is a .NET object: any JSON
    assert cw.check("PATCH", "/v4_6_release/apis/3.0/company/contacts/5", {}, ops, clientid) == []
    query = {"MaxRecords": 500, "filter": [{"op": "in", "field": "id", "value": [1, 2]}]}  # no ValueItem wrapper
    headers = {"ApiIntegrationCode": "c", "UserName": "u", "Secret": "s"}
    assert autotask.check("POST", "/ATServicesRest/V1.0/Contacts/query", {}, query, headers) == []


# --- HaloPSA ---------------------------------------------------------------------------------------


def test_halo_api_needs_a_live_bearer_token_from_the_auth_server_in_authinfo() -> None:
    with HaloFake(token_lifetime=0.3, spec=spec("halopsa")) as fake:
        assert http().get(f"{fake.base_url}/Users").status_code == 401
        assert _halo_token(fake, secret="wrong").json() == {"error": "invalid_client"}
        grant = _halo_token(fake).json()
        assert grant["token_type"] == "Bearer" and grant["expires_in"] == 1
        headers = {"Authorization": f"Bearer {grant['access_token']}"}
        assert http().get(f"{fake.base_url}/Users", headers=headers).status_code == 200
        time.sleep(0.35)
        assert http().get(f"{fake.base_url}/Users", headers=headers).status_code == 401
        assert fake.token_requests == 2
        assert set(fake.outside_extract) == {"GET /api/authinfo", "POST /auth/token"}
        fake.assert_conformant()


def test_halo_pages_users_by_page_no_to_the_last_page(halo: HaloFake) -> None:
    client_id = halo.load(clients=[{"name": "Northwind"}]).clients[0]
    halo.load(contacts=[{"client_id": client_id, "firstname": f"User{i:02}", "surname": "Lee"} for i in range(7)])
    names: list[str] = []
    with _halo_client(halo) as client:
        page = 1
        while True:
            params: dict[str, str | int] = {
                "client_id": client_id,
                "pageinate": "true",
                "page_size": 3,
                "page_no": page,
            }
            answer = client.get("/Users", params=params).json()
            names += [user["name"] for user in answer["users"]]
            if page * answer["page_size"] >= answer["record_count"]:
                break
            page += 1
    assert page == 3 and answer["record_count"] == 7 and len(answer["users"]) == 1
    assert names == [f"User{i:02} Lee" for i in range(7)]


def test_halo_lists_inactive_users_only_with_includeinactive_and_filters_by_client_and_search(halo: HaloFake) -> None:
    north, south = halo.load(clients=[{"name": "Northwind"}, {"name": "Southwind"}]).clients
    halo.load(
        contacts=[
            {"client_id": north, "name": "Ann Lee", "emailaddress": "ann@nw.example"},
            {"client_id": north, "name": "Old Bob", "emailaddress": "bob@nw.example", "inactive": True},
            {"client_id": south, "name": "Cy", "emailaddress": "cy@sw.example", "email2": "ann@nw.example"},
        ]
    )
    with _halo_client(halo) as client:
        active = client.get("/Users", params={"client_id": north}).json()
        everyone = client.get("/Users", params={"client_id": north, "includeinactive": "true"}).json()
        found = client.get("/Users", params={"search": "ANN@nw", "includeinactive": "true"}).json()
    assert [u["name"] for u in active["users"]] == ["Ann Lee"] and active["record_count"] == 1
    assert [u["name"] for u in everyone["users"]] == ["Ann Lee", "Old Bob"]
    assert [u["name"] for u in found["users"]] == ["Ann Lee", "Cy"]  # email2 is searched too


def test_halo_post_users_takes_an_array_creates_on_the_site_and_updates_only_what_is_sent(halo: HaloFake) -> None:
    client_id = halo.load(clients=[{"name": "Northwind", "website": "nw.example", "domain": "nw.example"}]).clients[0]
    field_id = halo.define_field("CFazureLicense")
    with _halo_client(halo) as client:
        site = client.get("/Client").json()["clients"][0]["main_site_id"]
        assert client.get("/Site", params={"client_id": client_id}).json()["sites"][0]["id"] == site
        created = client.post(
            "/Users",
            json=[
                {
                    "site_id": site,
                    "firstname": "Ann",
                    "surname": "Lee",
                    "emailaddress": "ann@nw.example",
                    "title": "CEO",
                    "azureoid": "oid-1",
                    "primary_address": {"line1": "1 Main St", "postcode": "12345"},
                    "customfields": [{"name": "CFazureLicense", "value": "Business Premium"}],
                    "_dont_fire_automations": True,
                }
            ],
        ).json()
        assert created["name"] == "Ann Lee" and created["client_id"] == client_id and created["site_name"] == "Main"
        updated = client.post("/Users", json=[{"id": created["id"], "inactive": True, "_dont_fire_automations": True}])
        user = updated.json()
        assert user["inactive"] is True and user["title"] == "CEO" and user["azureoid"] == "oid-1"
        assert user["primary_address"]["line1"] == "1 Main St"
        assert [(f["id"], f["value"]) for f in user["customfields"]] == [(field_id, "Business Premium")]
        no_site = client.post("/Users", json=[{"firstname": "Nobody"}])
        undefined = client.post("/Users", json=[{"site_id": site, "name": "X", "customfields": [{"name": "CFnope"}]}])
        both = client.post("/Users", json=[{"site_id": site, "name": "Kept?"}, {"firstname": "No site"}])
        echoing = client.post("/Users", json=[{"id": created["id"], "title": "Chair"}])
    assert no_site.status_code == 400 and "site_id" in no_site.json()["message"]
    assert undefined.status_code == 400 and "CFnope" in undefined.json()["message"]
    assert both.status_code == 400 and len(halo.contacts()) == 1  # all or nothing
    assert echoing.status_code == 200 and halo.automations_fired == 1  # only the save without the flag
    assert "GET /api/Site" in halo.outside_extract


def test_halo_refuses_a_body_key_off_its_spec_and_records_it(halo: HaloFake) -> None:
    halo.load(clients=[{"name": "Northwind"}])
    site = halo.clients()[0]["main_site_id"]
    with _halo_client(halo) as client:
        answer = client.post("/Users", json=[{"site_id": site, "name": "Ann", "mobile": "555"}])
    assert answer.status_code == 400 and "'mobile' was unexpected" in answer.json()["details"][0]
    assert [v.path for v in halo.spec_violations] == ["/api/Users"] and halo.contacts() == []
    halo.clear_spec_violations()


def test_halo_faults_take_paths_as_sent_as_its_api_root_is_the_server_root(halo: HaloFake) -> None:
    busy = halo.fault(503, times=1, path_prefix="/api/Users")
    slow = halo.slow(0.05, path_prefix="/api/Client")
    with _halo_client(halo) as client:
        assert client.get("/Users").status_code == 503 and client.get("/Users").status_code == 200
        assert client.get("/Client").status_code == 200
    assert (busy.hits, slow.hits) == (1, 1) and halo.request_count(path_prefix="/api/Users") == 2


def test_halo_rate_limit_is_a_rolling_window_of_a_configured_size() -> None:
    with HaloFake(rate_limit=3, rate_window=300, spec=spec("halopsa")) as fake:
        with _halo_client(fake) as client:  # authinfo and the token spend two of the three
            statuses = [client.get("/Client").status_code for _ in range(2)]
        assert statuses == [200, 429] and fake.throttled == 1


# --- ConnectWise PSA -------------------------------------------------------------------------------


def test_connectwise_wants_basic_auth_and_the_client_id_header(cw: ConnectWiseFake) -> None:
    url = f"{cw.base_url}/company/companies"
    headers = cw.auth_headers()
    assert http().get(url, headers={"Authorization": headers["Authorization"]}).status_code == 401
    assert http().get(url, headers={**headers, "clientId": "someone-else"}).status_code == 401
    wrong_key = http().get(
        url, auth=(f"{cw.company_id}+{cw.public_key}", "wrong"), headers={"clientId": cw.client_id or ""}
    )
    assert wrong_key.status_code == 401
    answer = http().get(url, headers={**headers, **CW_ACCEPT})
    assert answer.status_code == 200 and answer.json() == []
    assert http().get(url).json()["code"] == "Unauthorized"


def test_connectwise_pages_forward_only_by_link_to_the_last_page(cw: ConnectWiseFake) -> None:
    north, south = cw.load(
        clients=[{"identifier": "North", "name": "Northwind"}, {"identifier": "South", "name": "S"}]
    ).clients
    people = [{"firstName": f"User{i:02}", "company": {"id": north if i % 3 else south}} for i in range(12)]
    cw.load(contacts=people)
    ids: list[int] = []
    with cw_client(cw) as client:
        forward = {"pagination-type": "forward-only"}
        params: dict[str, str | int] = {"conditions": f"company/id={north} and inactiveFlag=false", "pageSize": 3}
        answer = client.get("/company/contacts", params=params, headers=forward)
        while True:
            ids += [contact["id"] for contact in answer.json()]
            link = answer.headers.get("link")
            if link is None:
                break
            answer = client.get(link.split(">")[0][1:], headers=forward)  # <url>; rel="next"
        navigable = client.get("/company/contacts", params={"page": 2, "pageSize": 5})
    wanted = [c["id"] for c in cw.contacts() if c["company"]["id"] == north]
    assert ids == wanted and len(ids) == 8
    assert [c["id"] for c in navigable.json()] == [6, 7, 8, 9, 10]
    assert 'rel="next"' in navigable.headers["link"] and 'rel="prev"' in navigable.headers["link"]


def test_connectwise_filters_by_conditions_and_child_conditions(cw: ConnectWiseFake) -> None:
    north = cw.load(clients=[{"identifier": "North", "name": "Northwind", "website": "nw.example"}]).clients[0]
    email = {"type": {"name": "Email"}, "defaultFlag": True}
    cw.load(
        contacts=[
            {
                "firstName": "Ann",
                "company": {"id": north},
                "communicationItems": [{**email, "value": "ann@nw.example"}],
            },
            {"firstName": "Old", "company": {"id": north}, "inactiveFlag": True},
            {"firstName": "Bob", "communicationItems": [{"type": {"id": 2}, "value": "ann@nw.example"}]},
        ]
    )
    child = 'communicationItems/value="ANN@nw.example" AND communicationItems/communicationType="Email"'
    with cw_client(cw) as client:
        active = client.get("/company/contacts", params={"conditions": f"company/id={north} AND inactiveFlag=false"})
        by_email = client.get("/company/contacts", params={"childConditions": child})
        companies = client.get("/company/companies", params={"conditions": 'website like "nw*"', "fields": "id,name"})
        broken = client.get("/company/contacts", params={"conditions": "company/id="})
    assert [c["firstName"] for c in active.json()] == ["Ann"]
    assert [c["firstName"] for c in by_email.json()] == ["Ann"]  # Bob's is a phone
    assert companies.json() == [{"id": north, "name": "Northwind"}]
    assert broken.status_code == 400 and broken.json()["code"] == "InvalidObject"


def test_connectwise_patch_changes_one_field_while_put_blanks_every_field_not_sent(cw: ConnectWiseFake) -> None:
    north = cw.load(clients=[{"identifier": "North", "name": "Northwind"}]).clients[0]
    field_id = cw.define_field("Entra object id")
    contact = cw.load(
        contacts=[
            {
                "firstName": "Ann",
                "lastName": "Lee",
                "title": "CEO",
                "company": {"id": north},
                "communicationItems": [{"type": {"id": 1}, "value": "ann@nw.example", "defaultFlag": True}],
                "customFields": [{"id": field_id, "value": "oid-1"}],
            }
        ]
    ).contacts[0]
    with cw_client(cw) as client:
        patched = client.patch(
            f"/company/contacts/{contact}", json=[{"op": "replace", "path": "title", "value": "Chair"}]
        )
        assert patched.status_code == 200
        kept = patched.json()
        assert (kept["title"], kept["lastName"], kept["company"]["name"]) == ("Chair", "Lee", "Northwind")
        assert (
            kept["communicationItems"][0]["value"] == "ann@nw.example" and kept["customFields"][0]["value"] == "oid-1"
        )
        put = client.put(f"/company/contacts/{contact}", json={"firstName": "Ann", "title": "Chair"}).json()
    assert (put["lastName"], put["company"], put["communicationItems"]) == (None, None, [])
    assert put["customFields"][0]["value"] is None  # PUT is dangerous: all of it is gone


def test_connectwise_refuses_to_patch_communication_items_and_changes_them_by_communications(
    cw: ConnectWiseFake,
) -> None:
    contact = cw.load(
        contacts=[{"firstName": "Ann", "communicationItems": [{"type": {"name": "Email"}, "value": "ann@nw.example"}]}]
    ).contacts[0]
    replace = [{"op": "replace", "path": "communicationItems", "value": [{"value": "new@nw.example"}]}]
    with cw_client(cw) as client:
        refused = client.patch(f"/company/contacts/{contact}", json=replace)
        item = client.get(f"/company/contacts/{contact}/communications").json()[0]
        changed = client.patch(
            f"/company/contacts/{contact}/communications/{item['id']}",
            json=[{"op": "replace", "path": "value", "value": "ann.lee@nw.example"}],
        )
        added = client.post(
            f"/company/contacts/{contact}/communications",
            json={"type": {"name": "Email"}, "value": "sales@nw.example", "defaultFlag": True},
        )
    assert refused.status_code == 400 and refused.json()["code"] == "InvalidPatch"
    assert "Could not cast or convert" in refused.json()["message"]
    assert changed.status_code == 200 and added.status_code == 201
    items = cw.contacts()[0]["communicationItems"]
    assert [(i["value"], i["defaultFlag"]) for i in items] == [
        ("ann.lee@nw.example", False),
        ("sales@nw.example", True),
    ]
    assert "PATCH /v4_6_release/apis/3.0/company/contacts/{id}/communications/{comm_id}" in cw.outside_extract


def test_connectwise_replaces_custom_fields_whole(cw: ConnectWiseFake) -> None:
    first, second = cw.define_field("Entra object id"), cw.define_field("Licence")
    contact = cw.load(contacts=[{"firstName": "Ann", "customFields": [{"id": first, "value": "oid"}]}]).contacts[0]
    with cw_client(cw) as client:
        ops = [{"op": "replace", "path": "customFields", "value": [{"id": second, "value": "E3"}]}]
        answer = client.patch(f"/company/contacts/{contact}", json=ops).json()
        unknown = client.patch(f"/company/contacts/{contact}", json=[{**ops[0], "value": [{"id": 99, "value": "x"}]}])
    assert [(f["id"], f["value"]) for f in answer["customFields"]] == [(first, None), (second, "E3")]
    assert unknown.status_code == 400


def test_connectwise_throttles_with_retry_after_and_records_spec_violations() -> None:
    with ConnectWiseFake(rate_limit=2, spec=spec("connectwise")) as fake, cw_client(fake) as client:
        off_spec = client.get("/company/contacts", params={"limit": 5})
        assert off_spec.status_code == 400 and "'limit' is not in the spec" in off_spec.json()["errors"][0]
        assert client.get("/company/contacts").status_code == 200
        throttled = client.get("/company/contacts")
        assert throttled.status_code == 429 and throttled.headers["retry-after"] and fake.throttled == 1
        assert [v.path for v in fake.spec_violations] == ["/v4_6_release/apis/3.0/company/contacts"]


def test_connectwise_injected_faults_fire_and_count_their_hits(cw: ConnectWiseFake) -> None:
    busy = cw.fault(503, retry_after=2, times=2, path_prefix="/company/contacts", method="GET")
    dropped = cw.drop(path_prefix="/company/companies")
    with cw_client(cw) as client:
        assert [client.get("/company/contacts").status_code for _ in range(3)] == [503, 503, 200]
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/company/companies")
    assert (busy.hits, dropped.hits) == (2, 1) and cw.writes == 0 and cw.deletes == []
