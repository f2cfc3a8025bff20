"""R4's fields to and from ConnectWise PSA's contacts (R8.1, R8.2, R8.5, R8.6), its forward-only
paging and company identifiers."""

from __future__ import annotations

import pytest

from shared.config import ConnectWiseSettings
from shared.models import ContactFields
from shared.psa.connectwise.mapping import (
    HELD_FIELDS,
    ContactShape,
    client_of,
    company_identifier,
    contact_of,
    create_body,
    patch_ops,
)
from shared.psa.connectwise.paging import next_page_id
from shared.psa.connectwise.records import CwCompany, CwContact
from shared.psa.fact_fields import FactFields

FACTS = FactFields.from_settings(ConnectWiseSettings())
SHAPE = ContactShape(facts=FACTS, entra_id_field="Entra Object ID")
EMAIL, DIRECT, CELL = {"id": 1, "name": "Email"}, {"id": 2, "name": "Direct"}, {"id": 4, "name": "Cell"}
RECORD = CwContact.model_validate(
    {
        "id": 9,
        "firstName": "Ann",
        "lastName": "Lee",
        "company": {"id": 3, "identifier": "NW", "name": "Northwind"},
        "title": "CEO",
        "department": {"id": 1, "name": "Board"},
        "city": "Leeds",
        "inactiveFlag": True,
        "communicationItems": [
            {"id": 10, "type": EMAIL, "value": "sales@nw.example", "defaultFlag": False, "communicationType": "Email"},
            {"id": 11, "type": EMAIL, "value": "ann@nw.example", "defaultFlag": True, "communicationType": "Email"},
            {"id": 12, "type": CELL, "value": "222", "defaultFlag": False, "communicationType": "Phone"},
            {"id": 13, "type": DIRECT, "value": "111", "defaultFlag": True, "communicationType": "Phone"},
        ],
        "customFields": [
            {"id": 1, "caption": "Entra Object ID", "value": "oid-ann"},
            {"id": 2, "caption": "Azure License", "value": "Business Premium"},
        ],
        "userDefinedField2": "oid-udf",
    }
)


def test_r8_2_the_default_email_is_primary_and_the_other_email_items_are_additional() -> None:
    contact = contact_of(RECORD, SHAPE)

    assert contact.addresses() == ["ann@nw.example", "sales@nw.example"]
    assert (contact.phone, contact.mobile, contact.title, contact.city) == ("111", "222", "CEO", "Leeds")
    assert (contact.client_id, contact.active, contact.entra_user_id) == ("3", False, "oid-ann")
    assert contact.department == ""  # a reference into ConnectWise's own table: not held
    assert contact.microsoft is not None and contact.microsoft.license == "Business Premium"


def test_r8_5_the_entra_id_comes_from_the_configured_udf_or_custom_field_or_nowhere() -> None:
    assert contact_of(RECORD, ContactShape(FACTS, entra_id_field="userdefinedfield2")).entra_user_id == "oid-udf"
    assert contact_of(RECORD, ContactShape(FACTS)).entra_user_id is None


def test_r8_1_connectwise_holds_no_department_office_country_or_upn() -> None:
    assert {"department", "office_location", "country", "upn"}.isdisjoint(HELD_FIELDS)


def test_r4_1_a_create_carries_the_email_and_phones_as_communication_items() -> None:
    fields = ContactFields(
        first_name="Ann", last_name="Lee", email="ann@nw.example", phone="111", mobile="222", department="Sales"
    )

    body = create_body(3, fields, "oid-ann", ContactShape(FACTS, entra_id_field="userDefinedField1"), [])

    assert body == {
        "firstName": "Ann",
        "lastName": "Lee",
        "company": {"id": 3},
        "inactiveFlag": False,
        "communicationItems": [
            {"type": {"name": "Email"}, "value": "ann@nw.example", "defaultFlag": True},
            {"type": {"name": "Direct"}, "value": "111", "defaultFlag": True},
            {"type": {"name": "Cell"}, "value": "222", "defaultFlag": False},
        ],
        "userDefinedField1": "oid-ann",
    }


def test_a_contact_without_a_first_name_gets_the_local_part_connectwise_requires() -> None:
    body = create_body(3, ContactFields(email="cher@nw.example"), "o", SHAPE, [])

    assert body["firstName"] == "cher"


def test_r8_6_patch_ops_replace_only_the_changed_plain_fields_never_communication_items() -> None:
    ops = patch_ops({"title": "Chair", "email": "new@nw.example", "phone": "1", "country": "FR", "postal_code": "X1"})

    assert ops == [
        {"op": "replace", "path": "title", "value": "Chair"},
        {"op": "replace", "path": "zip", "value": "X1"},
    ]


def test_r1_3_a_companys_website_is_its_primary_domain() -> None:
    client = client_of(
        CwCompany(id=3, name="Northwind", website="nw.example", invoiceToEmailAddress="ap@nw.example"), FACTS
    )

    assert (client.id, client.website, client.billing_email, client.active) == (
        "3",
        "nw.example",
        "ap@nw.example",
        True,
    )


def test_forward_only_paging_reads_the_next_page_id_from_the_link_header() -> None:
    link = '<https://api-na.myconnectwise.net/x/company/contacts?pageSize=1000&pageId=1000>; rel="next"'

    assert next_page_id(link) == "1000"
    assert next_page_id(None) is None and next_page_id('<https://x/y?page=1>; rel="first"') is None
    with pytest.raises(ValueError, match="without a pageId"):
        next_page_id('<https://x/company/contacts?page=2>; rel="next"')  # stopping here would lose the rest


@pytest.mark.parametrize(
    ("name", "attempt", "identifier"),
    [
        ("Northwind Traders, Inc.", 0, "NorthwindTradersInc"),
        ("Ünïcode & Co", 1, "ncodeCo2"),
        ("!!!", 0, "Company"),
        ("A" * 40, 2, "A" * 24 + "3"),
    ],
)
def test_a_company_identifier_is_letters_and_digits_of_at_most_25(name: str, attempt: int, identifier: str) -> None:
    assert company_identifier(name, attempt) == identifier
