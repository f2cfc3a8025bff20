"""R4's fields to and from HaloPSA's users and clients (R8.1, R8.2, R8.5, R8.6)."""

from __future__ import annotations

from shared.config import HaloSettings
from shared.models import ContactFields
from shared.psa.fact_fields import FactFields
from shared.psa.halopsa.mapping import HELD_FIELDS, client_of, contact_of, create_body, update_body
from shared.psa.halopsa.records import HaloClient, HaloUser

FACTS = FactFields.from_settings(HaloSettings())
USER = HaloUser.model_validate(
    {
        "id": 7,
        "name": "Ann Lee",
        "firstname": "Ann",
        "surname": "Lee",
        "site_id": 3,
        "client_id": 2,
        "emailaddress": "ann@nw.example",
        "email2": "sales@nw.example",
        "email3": None,
        "phonenumber": "111",
        "mobilenumber": "222",
        "title": "CEO",
        "department": "Board",
        "primary_address": {
            "line1": "1 High St",
            "line2": "Unit 4",
            "line3": "Leeds",
            "line4": "Yorks",
            "postcode": "LS1",
        },
        "inactive": True,
        "azureoid": "oid-ann",
        "customfields": [{"id": 1, "name": "CFazureLicense", "value": "Business Basic"}, "junk"],
        "unknown_key": 1,
    }
)


def test_r8_2_a_user_reads_with_its_extra_emails_address_and_entra_id() -> None:
    contact = contact_of(USER, FACTS)

    assert (contact.id, contact.client_id, contact.first_name, contact.last_name) == ("7", "2", "Ann", "Lee")
    assert contact.addresses() == ["ann@nw.example", "sales@nw.example"]
    assert (contact.phone, contact.mobile, contact.title, contact.department) == ("111", "222", "CEO", "Board")
    assert (contact.street, contact.city, contact.state, contact.postal_code) == ("1 High St", "Leeds", "Yorks", "LS1")
    assert (contact.active, contact.entra_user_id) == (False, "oid-ann")
    assert contact.microsoft is not None and contact.microsoft.license == "Business Basic"


def test_r8_1_halo_holds_no_office_country_or_upn() -> None:
    assert {"office_location", "country", "upn"}.isdisjoint(HELD_FIELDS)


def test_a_user_saved_with_a_name_only_splits_it() -> None:
    contact = contact_of(HaloUser(id=1, name="Cher  Sarkisian"), FACTS)

    assert (contact.first_name, contact.last_name) == ("Cher", "Sarkisian")


def test_r4_1_create_sends_every_nonblank_field_the_site_and_the_entra_id() -> None:
    fields = ContactFields(first_name="Ann", last_name="Lee", email="ann@nw.example", city="Leeds", country="UK")

    body = create_body(3, fields, "oid-ann")

    assert body == {
        "site_id": 3,
        "name": "Ann Lee",
        "firstname": "Ann",
        "surname": "Lee",
        "emailaddress": "ann@nw.example",
        "azureoid": "oid-ann",
        "inactive": False,
        "_dont_fire_automations": True,
        "primary_address": {"line3": "Leeds"},
    }


def test_r8_6_an_update_names_only_the_changed_keys() -> None:
    body = update_body("7", {"title": "Chair", "mobile": "333"}, None)

    assert body == {"id": 7, "_dont_fire_automations": True, "title": "Chair", "mobilenumber": "333"}


def test_r8_6_a_changed_postcode_sends_the_address_as_halo_holds_it() -> None:
    body = update_body("7", {"postal_code": "LS2"}, USER)

    assert body["primary_address"] == {
        "line1": "1 High St",
        "line2": "Unit 4",
        "line3": "Leeds",
        "line4": "Yorks",
        "postcode": "LS2",
    }


def test_r1_3_a_clients_website_and_domain_are_its_primary_domains() -> None:
    client = client_of(
        HaloClient(
            id=2, name="NW", website="nw.example", domain="northwind.example", accountsemailaddress="ap@nw.example"
        ),
        FACTS,
    )

    assert (client.website, client.domains, client.billing_email) == (
        "nw.example",
        ["northwind.example"],
        "ap@nw.example",
    )
    assert client_of(HaloClient(id=3, domain="only.example"), FACTS).website == "only.example"
