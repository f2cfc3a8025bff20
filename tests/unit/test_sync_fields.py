"""Contact fields from a user (R4.1) and the changes on a linked contact (R4.2)."""

from __future__ import annotations

import pytest

from shared.models import CONTACT_FIELDS, ContactFields, EntraUser, FieldControls
from shared.sync.fields import CONTROLLED_FIELDS, contact_fields, field_changes, split_display_name, synced_hash

FULL = EntraUser(
    id="u1",
    display_name="Priya Patel",
    given_name=" Priya ",
    surname="Patel",
    mail="Priya.Patel@x.example",
    user_principal_name="priya@x.example",
    business_phones=[" ", "+1 555 0101", "+1 555 0109"],
    mobile_phone="+1 555 0102",
    job_title="Hygienist",
    department="Clinical",
    office_location="Main St",
    street_address="1 Main St",
    city="Springfield",
    state="IL",
    postal_code="62701",
    country="US",
)


def test_r4_1_every_field_entra_has() -> None:
    assert contact_fields(FULL) == ContactFields(
        first_name="Priya",
        last_name="Patel",
        email="Priya.Patel@x.example",
        phone="+1 555 0101",
        mobile="+1 555 0102",
        title="Hygienist",
        department="Clinical",
        office_location="Main St",
        street="1 Main St",
        city="Springfield",
        state="IL",
        postal_code="62701",
        country="US",
        upn="priya@x.example",
    )


@pytest.mark.parametrize(
    ("display", "expected"),
    [
        ("Jordan Lee", ("Jordan", "Lee")),
        ("Jordan  M. Lee", ("Jordan", "M. Lee")),
        ("Lee, Jordan", ("Jordan", "Lee")),
        ("Reception", ("Reception", "")),
        (None, ("", "")),
    ],
)
def test_r4_1_name_split_from_display_name(display: str | None, expected: tuple[str, str]) -> None:
    assert split_display_name(display) == expected


def test_r4_1_display_name_only_when_given_name_and_surname_are_blank() -> None:
    fields = contact_fields(EntraUser(id="u", display_name="Jordan Lee", given_name=" ", mail="j@x.example"))
    assert (fields.first_name, fields.last_name) == ("Jordan", "Lee")
    only_given = contact_fields(EntraUser(id="u", display_name="Jordan Lee", given_name="Jo"))
    assert (only_given.first_name, only_given.last_name) == ("Jo", "")


def test_r4_1_blank_user_gives_blank_fields() -> None:
    assert contact_fields(EntraUser(id="u")) == ContactFields()


def test_r4_2_controls_cover_every_contact_field_once() -> None:
    governed = [f for fields in CONTROLLED_FIELDS.values() for f in fields]
    assert sorted(governed) == sorted(CONTACT_FIELDS)
    assert set(CONTROLLED_FIELDS) == set(FieldControls.model_fields)


def test_r4_2_default_controls_leave_email_and_upn_alone() -> None:
    current = ContactFields(first_name="Priya", last_name="Patel", email="old@x.example", upn="old@x.example")
    changes = field_changes(contact_fields(FULL), current, FieldControls())
    assert "email" not in changes and "upn" not in changes
    assert list(changes) == [
        "phone",
        "mobile",
        "title",
        "department",
        "office_location",
        "street",
        "city",
        "state",
        "postal_code",
        "country",
    ]


def test_r4_2_blank_never_overwrites() -> None:
    wanted = ContactFields(first_name="Sam", mobile="", title="  ")
    current = ContactFields(first_name="Sam", mobile="+1 555 0188", title="Dentist")
    assert field_changes(wanted, current, FieldControls()) == {}


def test_r4_2_control_off_keeps_the_contact_value() -> None:
    wanted, current = ContactFields(phone="+1 2", street="2 High St"), ContactFields(phone="+1 1", street="x")
    controls = FieldControls(phone=False, address=False)
    assert field_changes(wanted, current, controls) == {}
    assert field_changes(wanted, current, FieldControls()) == {"phone": "+1 2", "street": "2 High St"}


def test_r4_2_email_compares_case_insensitively_others_after_stripping() -> None:
    controls = FieldControls(email=True, upn=True)
    wanted = ContactFields(email="Sam.Rivera@X.example", title="Dentist", upn="Sam@X.example")
    current = ContactFields(email="sam.rivera@x.example", title=" Dentist ", upn="sam@x.example")
    assert field_changes(wanted, current, controls) == {"upn": "Sam@X.example"}  # a UPN is not an e-mail


def test_r4_2_name_control_governs_both_name_fields() -> None:
    wanted, current = ContactFields(first_name="Jo", last_name="Lee"), ContactFields(first_name="J", last_name="L")
    assert field_changes(wanted, current, FieldControls(name=False)) == {}
    assert field_changes(wanted, current, FieldControls()) == {"first_name": "Jo", "last_name": "Lee"}


def test_synced_hash_is_stable_and_follows_the_values() -> None:
    fields = contact_fields(FULL)
    assert synced_hash(fields) == synced_hash(contact_fields(FULL.model_copy()))
    assert synced_hash(fields) != synced_hash(fields.model_copy(update={"title": "Lead Hygienist"}))
    assert len(synced_hash(fields)) == 64
