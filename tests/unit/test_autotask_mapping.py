"""R4's fields to and from Autotask's contacts (R8.1, R8.2, R8.5, R8.6), its JSON query filters and
`nextPageUrl` paging (httpx.MockTransport at the HTTP edge), and what counts as a refusal."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from shared.config import load_settings
from shared.errors import PsaRefused, PsaUnavailable
from shared.models import ContactFields
from shared.psa.autotask import AutotaskConnector, build_autotask, is_refusal
from shared.psa.autotask.mapping import HELD_FIELDS, client_of, contact_of, create_body, patch_body
from shared.psa.autotask.records import AtCompany, AtContact
from shared.psa.fact_fields import FactFields

FACTS = FactFields.from_settings(load_settings().psa_autotask)
ZONE = "https://webservices5.autotask.net/ATServicesRest/"


def test_r8_2_a_contact_reads_with_its_extra_emails_and_entra_id() -> None:
    record = AtContact.model_validate(
        {
            "id": 5,
            "companyID": 2,
            "firstName": "Ann",
            "lastName": "-",
            "emailAddress": "ann@nw.example",
            "emailAddress2": "sales@nw.example",
            "emailAddress3": "",
            "mobilePhone": "222",
            "addressLine": "1 High St",
            "zipCode": "LS1",
            "isActive": 0,
            "externalID": "oid-ann",
            "userDefinedFields": [{"name": "Azure License", "value": "Business Basic"}],
        }
    )

    contact = contact_of(record, FACTS)

    assert contact.addresses() == ["ann@nw.example", "sales@nw.example"] and contact.last_name == ""
    assert (contact.mobile, contact.street, contact.postal_code) == ("222", "1 High St", "LS1")
    assert (contact.client_id, contact.active, contact.entra_user_id) == ("2", False, "oid-ann")
    assert contact.microsoft is not None and contact.microsoft.license == "Business Basic"


def test_r8_1_autotask_holds_no_department_office_country_or_upn() -> None:
    assert {"department", "office_location", "country", "upn"}.isdisjoint(HELD_FIELDS)


def test_r4_1_a_create_is_active_with_the_entra_id_and_the_names_autotask_requires() -> None:
    body = create_body(2, ContactFields(email="cher@nw.example", city="Leeds", department="Sales"), "oid-cher")

    assert body == {
        "companyID": 2,
        "emailAddress": "cher@nw.example",
        "city": "Leeds",
        "firstName": "cher",
        "lastName": "-",
        "isActive": 1,
        "externalID": "oid-cher",
    }


def test_r8_6_a_patch_names_the_contact_and_only_the_changed_fields() -> None:
    assert patch_body("5", {"title": "Chair", "mobile": "333"}) == {"id": 5, "title": "Chair", "mobilePhone": "333"}


def test_r1_3_a_companys_web_address_is_its_primary_domain() -> None:
    client = client_of(
        AtCompany.model_validate({"id": 2, "companyName": "NW", "webAddress": "nw.example", "isActive": False}), FACTS
    )

    assert (client.website, client.active) == ("nw.example", False)


@pytest.mark.parametrize(
    ("status", "body", "refused"),
    [
        (500, {"errors": ["Missing Required Field: lastName"]}, True),
        (500, {"errors": []}, False),
        (500, "Internal Server Error", False),
        (503, {"errors": ["busy"]}, False),
        (400, {"errors": ["x"]}, False),
    ],
)
def test_a_500_with_an_errors_array_is_a_refusal_of_the_item(status: int, body: Any, refused: bool) -> None:
    response = httpx.Response(status, json=body) if isinstance(body, dict) else httpx.Response(status, text=body)

    assert is_refusal(response) is refused


class Api:
    """An Autotask zone with 1,100 contacts of company 2, in pages of 500."""

    def __init__(self, next_host: str = "webservices5.autotask.net") -> None:
        self.sent: list[tuple[str, str, Any]] = []
        self.next_host = next_host

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.sent.append((request.method, str(request.url), body))
        if request.url.path.endswith("/zoneInformation"):  # asked without credentials
            assert "Secret" not in request.headers and request.url.params["user"] == "api@nw.example"
            return httpx.Response(200, json={"url": ZONE, "zoneName": "America East 5"})
        assert (request.headers["ApiIntegrationCode"], request.headers["UserName"], request.headers["Secret"]) == (
            "CODE",
            "api@nw.example",
            "s3cret",
        )
        if request.url.path.endswith("/userDefinedFields"):
            return httpx.Response(200, json={"fields": []})
        start = int(request.url.params.get("from", "0"))
        items = [
            {"id": i + 1, "companyID": 2, "firstName": f"P{i}", "lastName": "L", "isActive": 1}
            for i in range(start, min(start + 500, 1100))
        ]
        more = start + 500 < 1100
        url = f"https://{self.next_host}/ATServicesRest/V1.0/Contacts/query/next?from={start + 500}" if more else None
        return httpx.Response(200, json={"items": items, "pageDetails": {"count": len(items), "nextPageUrl": url}})


def connector(api: Api) -> AutotaskConnector:
    settings = load_settings(
        PSA_PROVIDER="autotask",
        PSA_MAX_INSTANCES="1",
        PSA_AUTOTASK={
            "username": "api@nw.example",
            "secret": "s3cret",
            "integration_code": "CODE",
            "discovery_url": "https://webservices-unit.autotask.example/ATServicesRest",
            "requests_per_hour": 10_000,
        },
    )
    return build_autotask(settings, transport=httpx.MockTransport(api))


async def test_a_query_filters_by_company_asks_500_and_follows_next_page_url_to_the_end() -> None:
    api = Api()
    autotask = connector(api)
    try:
        contacts = await autotask.list_contacts("2")
    finally:
        await autotask.aclose()

    assert len(contacts) == 1100
    queries = [(method, url, body) for method, url, body in api.sent if "/Contacts/query" in url]
    assert queries[0] == (
        "POST",
        ZONE + "V1.0/Contacts/query",
        {"MaxRecords": 500, "filter": [{"op": "eq", "field": "companyID", "value": 2}]},
    )
    assert [(m, u.rsplit("?", 1)[1]) for m, u, _ in queries[1:]] == [("GET", "from=500"), ("GET", "from=1000")]


async def test_a_next_page_on_another_host_is_not_followed() -> None:
    api = Api(next_host="evil.example")
    autotask = connector(api)
    try:
        with pytest.raises(PsaUnavailable, match="another host"):
            await autotask.list_contacts("2")
    finally:
        await autotask.aclose()

    assert not any("evil.example" in url for _, url, _ in api.sent)


async def test_a_client_id_that_is_not_an_autotask_id_is_refused_without_a_request() -> None:
    api = Api()
    autotask = connector(api)
    try:
        with pytest.raises(PsaRefused, match="not an Autotask id"):
            await autotask.list_contacts("c-northwind")
    finally:
        await autotask.aclose()

    assert api.sent == []
