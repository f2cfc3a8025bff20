"""R4's fields to and from Alga PSA's (pure): phones, the email promotion rule, names, clients."""

from __future__ import annotations

from typing import Any

from shared.models import ClientMicrosoftFacts, ContactFields
from shared.psa.alga.mapping import (
    client_facts_properties,
    client_of,
    contact_of,
    create_body,
    email_change,
    phones_with,
    website_url,
)
from shared.psa.alga.records import AlgaClient, AlgaContact

ID = "2f1a4a8e-8d0f-4c3c-9c61-5d0f1b7f0a11"


def contact(**fields: Any) -> AlgaContact:
    return AlgaContact.model_validate(
        {"contact_name_id": ID, "full_name": "Ann Lee", "email": "ann@nw.example", **fields}
    )


def test_r8_2_the_contact_reads_with_its_additional_emails_and_typed_phones() -> None:
    record = contact(
        full_name="Mary  Ann Lee",
        role="Buyer",
        is_inactive=True,
        additional_email_addresses=[{"email_address": "m.lee@nw.example"}],
        phone_numbers=[
            {"phone_number": "+1 555 0100", "canonical_type": "home", "is_default": True},
            {"phone_number": "+1 555 0101", "canonical_type": "work", "display_order": 2},
            {"phone_number": "+1 555 0102", "canonical_type": "work", "is_default": False, "display_order": 1},
            {"phone_number": "+1 555 0103", "canonical_type": "mobile"},
        ],
    )

    read = contact_of(record)

    assert (read.first_name, read.last_name, read.title) == ("Mary", "Ann Lee", "Buyer")
    assert read.additional_emails == ["m.lee@nw.example"] and not read.active
    assert (read.phone, read.mobile) == ("+1 555 0102", "+1 555 0103")


def test_a_changed_number_keeps_the_phone_entry_and_every_other_phone() -> None:
    record = contact(
        phone_numbers=[
            {
                "contact_phone_number_id": "p1",
                "phone_number": "+1 555 0100",
                "canonical_type": "home",
                "is_default": True,
            },
            {
                "contact_phone_number_id": "p2",
                "phone_number": "+1 555 0101",
                "canonical_type": "work",
                "display_order": 1,
            },
        ]
    )

    items = phones_with(record, {"phone": "+1 555 0199", "mobile": "+1 555 0177"})

    assert items == [
        {"contact_phone_number_id": "p1", "phone_number": "+1 555 0100", "canonical_type": "home", "is_default": True},
        {
            "contact_phone_number_id": "p2",
            "phone_number": "+1 555 0199",
            "canonical_type": "work",
            "is_default": False,
            "display_order": 1,
        },
        {"phone_number": "+1 555 0177", "canonical_type": "mobile", "is_default": False, "display_order": 2},
    ]


def test_the_first_phone_of_a_contact_without_any_is_the_default() -> None:
    assert phones_with(contact(), {"mobile": "+1 555 0177"}) == [
        {"phone_number": "+1 555 0177", "canonical_type": "mobile", "is_default": True, "display_order": 0}
    ]


def test_a_new_primary_email_lists_the_old_one_so_alga_demotes_it() -> None:
    record = contact(
        primary_email_canonical_type="work",
        additional_email_addresses=[{"contact_additional_email_address_id": "e1", "email_address": "a.lee@nw.example"}],
    )

    assert email_change(record, "ann.lee@nw.example") == {
        "email": "ann.lee@nw.example",
        "additional_email_addresses": [
            {"contact_additional_email_address_id": "e1", "email_address": "a.lee@nw.example"},
            {"email_address": "ann@nw.example", "canonical_type": "work"},
        ],
    }


def test_promoting_an_additional_email_takes_it_off_the_list() -> None:
    record = contact(additional_email_addresses=[{"email_address": "A.Lee@nw.example"}])

    change = email_change(record, "a.lee@nw.example")

    assert change["additional_email_addresses"] == [{"email_address": "ann@nw.example"}]


def test_a_create_sends_what_alga_takes_and_nothing_else() -> None:
    fields = ContactFields(first_name="", last_name="", email="desk@nw.example", mobile="+1 555 0177", city="Leeds")

    assert create_body(ID, fields) == {
        "full_name": "desk",
        "email": "desk@nw.example",
        "client_id": ID,
        "phone_numbers": [{"phone_number": "+1 555 0177", "canonical_type": "mobile", "is_default": True}],
    }


def test_a_client_reads_its_website_and_its_facts_from_properties() -> None:
    facts = ClientMicrosoftFacts(secure_score=40.5, secure_score_max=80.0, licensed_users=3, active_users=None)
    record = AlgaClient(
        client_id=ID, client_name="Northwind", email="ap@nw.example", properties=client_facts_properties(facts)
    )

    client = client_of(record.model_copy(update={"properties": {**record.properties, "website": "nw.example"}}))

    assert client.website == "nw.example" and client.main_email == "ap@nw.example"
    assert client.microsoft == facts


def test_a_bare_domain_becomes_a_uri_alga_takes() -> None:
    assert website_url("contoso.example") == "https://contoso.example"
    assert website_url("http://contoso.example") == "http://contoso.example"
    assert website_url("  ") is None
