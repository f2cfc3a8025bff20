"""The PSA bench's request kinds for HaloPSA, ConnectWise PSA and Autotask: each vendor's own paths read
as contact and client lists, reads, creates and writes."""

from __future__ import annotations

from typing import Any

from shared.devtools.psa_bench_figures import request_kinds
from shared.devtools.psa_fakes import RequestRecord


def record(method: str, path: str, body: Any = None) -> RequestRecord:
    return RequestRecord(method, path, {}, 200, 0.0, body=body)


def test_halo_saves_are_creates_when_they_make_users_and_writes_when_they_change_them() -> None:
    records = [
        record("GET", "/api/Users"),
        record("POST", "/api/Users", [{"site_id": 1, "name": "Ann"}, {"id": 4, "title": "x"}]),
        record("POST", "/api/Users", [{"id": 4, "title": "x"}]),
        record("GET", "/api/Users/4"),
        record("POST", "/api/Client", [{"id": 1, "customfields": []}]),
        record("GET", "/api/FieldInfo"),
    ]

    assert request_kinds(records, "") == {
        "contact list": 1,
        "contact create": 1,
        "contact write": 1,
        "contact read": 1,
        "client write": 1,
        "other GET": 1,
    }


def test_connectwise_communications_are_contact_writes() -> None:
    root = "/v4_6_release/apis/3.0"
    records = [
        record("GET", f"{root}/company/contacts"),
        record("POST", f"{root}/company/contacts", {"firstName": "Ann"}),
        record("PATCH", f"{root}/company/contacts/5", []),
        record("POST", f"{root}/company/contacts/5/communications", {}),
        record("PATCH", f"{root}/company/contacts/5/communications/9", []),
        record("GET", f"{root}/company/companies/2"),
    ]

    assert request_kinds(records, root) == {
        "contact list": 1,
        "contact create": 1,
        "contact write": 3,
        "client read": 1,
    }


def test_autotask_queries_are_lists_though_they_are_posts() -> None:
    root = "/ATServicesRest"
    records = [
        record("POST", f"{root}/V1.0/Contacts/query", {"filter": []}),
        record("GET", f"{root}/V1.0/Contacts/query/next"),
        record("POST", f"{root}/V1.0/Companies/2/Contacts", {"firstName": "Ann"}),
        record("PATCH", f"{root}/V1.0/Companies/2/Contacts", {"id": 5}),
        record("PATCH", f"{root}/V1.0/Companies", {"id": 2}),
        record("GET", f"{root}/V1.0/Companies/2"),
        record("GET", f"{root}/V1.0/Contacts/entityInformation/userDefinedFields"),
    ]

    assert request_kinds(records, root) == {
        "contact list": 2,
        "contact create": 1,
        "contact write": 1,
        "client write": 1,
        "client read": 1,
        "other GET": 1,
    }
