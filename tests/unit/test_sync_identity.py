"""Email identity (R2.1) and every address of a user (R3.2)."""

from __future__ import annotations

import pytest

from shared.models import EntraUser
from shared.sync.identity import email_identity, is_address, local_part, user_addresses


def test_r2_1_mail_is_the_identity_when_valid() -> None:
    user = EntraUser(id="u", mail=" Sam.Rivera@GreenLeaf.example ", user_principal_name="sam@other.example")
    assert email_identity(user) == "Sam.Rivera@GreenLeaf.example"


@pytest.mark.parametrize("mail", [None, "", "not an address", "sam@localhost", "@x.example"])
def test_r2_1_upn_when_mail_is_missing_or_invalid(mail: str | None) -> None:
    assert email_identity(EntraUser(id="u", mail=mail, user_principal_name="sam@x.example")) == "sam@x.example"


@pytest.mark.parametrize(
    "upn", ["sam@contoso.onmicrosoft.com", "sam@Contoso.OnMicrosoft.com", "sam@contoso.mail.onmicrosoft.com"]
)
def test_r2_1_no_identity_from_an_initial_domain_upn(upn: str) -> None:
    assert email_identity(EntraUser(id="u", user_principal_name=upn)) is None


def test_r2_1_no_identity_without_mail_or_upn() -> None:
    assert email_identity(EntraUser(id="u")) is None


def test_r3_2_every_address_lower_cased() -> None:
    user = EntraUser(
        id="u",
        mail="Ann@X.example",
        user_principal_name="ann.lee@x.example",
        proxy_addresses=["SMTP:Ann@X.example", "smtp:al@x.example", "x500:/o=Org/cn=ann", "SIP:ann@x.example"],
        other_mails=["ann@home.example", "  "],
    )
    assert user_addresses(user) == {"ann@x.example", "ann.lee@x.example", "al@x.example", "ann@home.example"}


def test_r3_2_addresses_include_an_initial_domain_upn() -> None:
    # Only the email identity leaves initial domains out; matching may still use the UPN.
    user = EntraUser(id="u", user_principal_name="ann@contoso.onmicrosoft.com")
    assert user_addresses(user) == {"ann@contoso.onmicrosoft.com"}


def test_addresses_and_local_parts() -> None:
    assert is_address("a.b+c@x.co.uk") and not is_address("a b@x.example") and not is_address(None)
    assert local_part("svc-backup@x.example") == "svc-backup"
    assert local_part("no-at-sign") == "no-at-sign"
