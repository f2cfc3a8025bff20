"""Microsoft 365 facts beside a contact (R4.4)."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.models import AssignedLicense, EntraUser, MicrosoftFacts, SignInActivity
from shared.sync.facts import P1_NOTE, FactsInputs, MfaRegistration, facts_changed, microsoft_facts

BASIC, APPS, STANDARD, PREMIUM = (
    "3b555118-da6a-4418-894f-7df1e2096870",
    "cdd28e44-67e3-425e-be4c-737fab2899d3",
    "f245ecc8-75af-4f8e-b61f-27d8114de5f3",
    "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
)
PARTS = {BASIC: "O365_BUSINESS_ESSENTIALS", APPS: "O365_BUSINESS", STANDARD: "O365_BUSINESS_PREMIUM", PREMIUM: "SPB"}
SIGNED_IN = datetime(2026, 11, 22, 10, tzinfo=UTC)


def user(*skus: str, signed_in: datetime | None = SIGNED_IN) -> EntraUser:
    return EntraUser(
        id="u1",
        assigned_licenses=[AssignedLicense(sku_id=s) for s in skus],
        sign_in_activity=SignInActivity(last_sign_in_date_time=signed_in),
    )


def facts(u: EntraUser, current: MicrosoftFacts | None = None, **inputs: object) -> MicrosoftFacts:
    return microsoft_facts(u, FactsInputs.model_validate({"sku_part_numbers": PARTS, **inputs}), current)


def test_r4_4_licence_is_the_highest_business_sku() -> None:
    assert facts(user(BASIC)).license == "Microsoft 365 Business Basic"
    assert facts(user(APPS, BASIC)).license == "Microsoft 365 Apps for business"
    assert facts(user(BASIC, STANDARD, APPS)).license == "Microsoft 365 Business Standard"
    assert facts(user(PREMIUM, STANDARD)).license == "Microsoft 365 Business Premium"
    assert facts(user(PREMIUM.upper())).license == "Microsoft 365 Business Premium"


def test_r4_4_other_skus_are_listed_not_ranked() -> None:
    got = facts(user("e-5-sku", PREMIUM, BASIC))
    assert got.licenses == ["O365_BUSINESS_ESSENTIALS", "SPB", "e-5-sku"]  # an unknown id keeps the id
    assert facts(user("e-5-sku")).license is None
    assert facts(user()).licenses == [] and facts(user()).license is None


def test_r4_4_mfa_and_sign_in_from_the_reports() -> None:
    row = MfaRegistration.model_validate(
        {"id": "u1", "isMfaRegistered": True, "methodsRegistered": ["softwareOneTimePasscode", "mobilePhone"]}
    )
    got = facts(user(), mfa={"u1": row})
    assert (got.mfa_registered, got.mfa_methods) == (True, ["mobilePhone", "softwareOneTimePasscode"])
    assert got.last_sign_in == SIGNED_IN and got.notes == []
    missing = facts(user(signed_in=None), mfa={})
    assert (missing.mfa_registered, missing.mfa_methods, missing.last_sign_in) == (None, None, None)


def test_r4_4_without_entra_id_p1_mfa_and_sign_in_are_none_with_a_note() -> None:
    row = MfaRegistration(id="u1", is_mfa_registered=True)
    got = facts(user(PREMIUM), entra_p1=False, mfa={"u1": row})
    assert (got.mfa_registered, got.mfa_methods, got.last_sign_in) == (None, None, None)
    assert got.notes == [P1_NOTE] and "requires Entra ID P1" in P1_NOTE
    assert got.license == "Microsoft 365 Business Premium"


def test_r4_4_what_a_pass_did_not_read_keeps_the_contacts_value() -> None:
    current = MicrosoftFacts(mfa_registered=True, mfa_methods=["fido2"], last_sign_in=SIGNED_IN)
    got = facts(user(signed_in=None), current, mfa=None, sign_in_read=False)
    assert (got.mfa_registered, got.mfa_methods, got.last_sign_in) == (True, ["fido2"], SIGNED_IN)
    assert not facts_changed(got, current)


def test_r4_4_facts_written_only_when_they_change() -> None:
    current = facts(user(PREMIUM))
    assert not facts_changed(facts(user(PREMIUM)), current)
    assert facts_changed(facts(user(BASIC)), current)
    assert facts_changed(current, None)
    assert not facts_changed(MicrosoftFacts(), None)  # nothing to say: no block written
