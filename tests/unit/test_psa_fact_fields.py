"""Microsoft facts in a PSA's named custom fields, both ways (R4.4, R8.4): what is written reads back
the same, so a fact that did not change is never written again."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.config import ConnectWiseSettings, HaloSettings
from shared.models import ClientMicrosoftFacts, MicrosoftFacts
from shared.psa.fact_fields import FactFields

FACTS = MicrosoftFacts(
    license="Microsoft 365 Business Standard",
    mfa_registered=False,
    mfa_methods=[],
    last_sign_in=datetime(2026, 5, 4, 3, 2, 1, 500, tzinfo=UTC),
)


def test_r4_4_contact_facts_read_back_as_written() -> None:
    fields = FactFields.from_settings(ConnectWiseSettings())

    values = fields.contact_values(FACTS)

    assert values == {
        "Azure License": "Microsoft 365 Business Standard",
        "Azure MFA Status": "disabled",
        "Azure MFA Methods": "",
        "Azure Last Activity": "2026-05-04T03:02:01.000500Z",
    }
    back = fields.contact_facts({k.upper(): v for k, v in values.items()})  # captions match ignoring case
    assert back is not None
    assert back.model_dump(include={"license", "mfa_registered", "mfa_methods", "last_sign_in"}) == FACTS.model_dump(
        include={"license", "mfa_registered", "mfa_methods", "last_sign_in"}
    )


def test_r4_4_client_facts_read_back_as_written_and_hand_edits_are_written_again() -> None:
    fields = FactFields.from_settings(HaloSettings())
    facts = ClientMicrosoftFacts(secure_score=48.25, licensed_users=12, active_users=None)

    values = fields.client_values(facts)

    assert values == {"CFmicrosoftSecureScore": "48.25", "CFazureLicensedUserCount": "12", "CFazureActiveUserCount": ""}
    assert fields.client_facts(values) == facts
    assert fields.client_facts({"CFmicrosoftSecureScore": "lots"}) is None  # unreadable: written again


def test_a_dash_keeps_a_fact_nowhere_and_an_empty_value_is_the_default_name() -> None:
    settings = ConnectWiseSettings.model_validate({"contact_mfa_methods_field": "-", "contact_license_field": ""})
    fields = FactFields.from_settings(settings)

    assert "mfa_methods" not in fields.contact and fields.contact["license"] == "Azure License"


def test_no_values_read_as_no_facts() -> None:
    assert FactFields.from_settings(HaloSettings()).contact_facts({"CFazureLicense": None}) is None
