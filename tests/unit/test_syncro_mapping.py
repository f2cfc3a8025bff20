"""R4's fields and R8's marks and facts to and from Syncro's (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.models import ClientMicrosoftFacts, MicrosoftFacts
from shared.psa.syncro.mapping import (
    client_of,
    contact_fact_properties,
    contact_of,
    customer_fact_properties,
    inactive_properties,
)
from shared.psa.syncro.records import SyncroContact, SyncroCustomer

HELD = ("license", "mfa_registered", "mfa_methods", "last_sign_in")


@pytest.mark.parametrize(
    "facts",
    [
        MicrosoftFacts(
            license="Microsoft 365 Business Premium",
            mfa_registered=True,
            mfa_methods=["fido2", "sms"],
            last_sign_in=datetime(2026, 4, 1, 9, 30, 12, 500000, tzinfo=UTC),
        ),
        MicrosoftFacts(license="Microsoft 365 Business Basic", mfa_registered=False, mfa_methods=[]),
        MicrosoftFacts(license=None, mfa_registered=None, mfa_methods=None, notes=["requires Entra ID P1"]),
        MicrosoftFacts(last_sign_in=datetime(2026, 4, 1, 11, 0, tzinfo=timezone(timedelta(hours=2)))),
    ],
)
def test_r8_4_contact_facts_read_back_as_written_in_what_syncro_keeps(facts: MicrosoftFacts) -> None:
    written = contact_fact_properties(facts)
    read = contact_of(SyncroContact(id=1, customer_id=7, name="A", properties=written)).microsoft

    expected = facts.model_dump(include=set(HELD))
    assert (
        read.model_dump(include=set(HELD)) if read is not None else MicrosoftFacts().model_dump(include=set(HELD))
    ) == expected


def test_r8_4_the_seed_integrations_wording_is_used() -> None:
    facts = MicrosoftFacts(license="Microsoft 365 Business Standard", mfa_registered=True, mfa_methods=["sms"])

    assert contact_fact_properties(facts) == {
        "azure_license": "Microsoft 365 Business Standard",
        "azure_mfa_status": "enabled",
        "azure_mfa_methods": "sms",
        "azure_last_activity": "",
    }


def test_r8_4_customer_facts_read_back_as_written() -> None:
    facts = ClientMicrosoftFacts(secure_score=61.83, licensed_users=25, active_users=None)

    properties = customer_fact_properties(facts)
    client = client_of(SyncroCustomer(id=7, business_name="Northwind", properties={"msp": "x", **properties}))

    assert properties == {
        "microsoft_secure_score": "61.83",
        "azure_licensed_user_count": "25",
        "azure_active_user_count": "",
    }
    assert client.microsoft == facts


@pytest.mark.parametrize(
    ("mark", "active", "reason"),
    [
        ("Disabled in Microsoft", False, "disabled-in-microsoft"),
        ("Deleted in Microsoft", False, "deleted-in-microsoft"),
        ("left the company", False, None),  # a person's own mark still reads as inactive
        ("", True, None),
    ],
)
def test_r8_3_the_inactive_mark_reads_back(mark: str, active: bool, reason: str | None) -> None:
    contact = contact_of(SyncroContact(id=1, customer_id=7, name="A", properties={"azure_account_status": mark}))

    assert (contact.active, contact.inactive_reason) == (active, reason)


def test_r8_3_reactivation_empties_the_mark() -> None:
    assert inactive_properties(False, "deleted-in-microsoft") == {"azure_account_status": "Deleted in Microsoft"}
    assert inactive_properties(True, None) == {"azure_account_status": ""}


def test_a_customer_without_a_business_name_is_named_for_its_person() -> None:
    assert client_of(SyncroCustomer(id=3, firstname="Walkin", lastname="Customer")).name == "Walkin Customer"
