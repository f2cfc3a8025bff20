"""Domains of tenants and clients (SYNC_RULES R1.1-R1.3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.models.entra import Tenant, VerifiedDomain
from shared.models.psa import PsaClient
from shared.sync.domains import (
    client_primary_domains,
    client_secondary_domains,
    is_initial_domain,
    normalise_domain,
    tenant_domains,
    verified_domain_names,
)


@pytest.mark.parametrize(
    "value",
    [
        "example.com",
        "Example.COM",
        "  example.com  ",
        "https://example.com",
        "http://www.example.com/",
        "HTTPS://WWW.Example.com/contact?x=1#top",
        "www.example.com",
        "example.com.",
        "https://www.example.com.:8443/path/",
        "example.com:80",
        "//example.com/a",
        "ftp://example.com",
        "https://user:secret@www.example.com/",
        "example.com?ref=a@b.org",
    ],
)
def test_r1_1_strips_scheme_www_path_port_and_trailing_dot(value: str) -> None:
    assert normalise_domain(value) == "example.com"


@pytest.mark.parametrize(
    "value",
    ["billing@example.com", "Billing@Example.com", "mailto:ap@example.com", "Accounts <ap@example.com>"],
)
def test_r1_1_accepts_an_email_address(value: str) -> None:
    assert normalise_domain(value) == "example.com"


def test_r1_1_keeps_subdomains_other_than_www() -> None:
    assert normalise_domain("https://shop.example.co.uk/") == "shop.example.co.uk"
    assert normalise_domain("www.www.example.com") == "example.com"


def test_r1_1_keeps_www_when_stripping_it_would_leave_no_dot() -> None:
    assert normalise_domain("www.com") == "www.com"


def test_r1_1_international_names_become_ascii() -> None:
    assert normalise_domain("https://bücher.example/") == "xn--bcher-kva.example"
    assert normalise_domain("xn--bcher-kva.example") == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "localhost",
        "https://",
        "http://intranet/",
        "not a domain",
        "example .com",
        "10.0.0.1",
        "https://192.168.1.1:8080/",
        "exa_mple.com",
        "-bad.example",
        "example..com",
        "example.com:http",
        "[::1]",
        "n/a",
        "billing@",
    ],
)
def test_r1_1_invalid_values_give_none(value: str | None) -> None:
    assert normalise_domain(value) is None


@given(st.text(max_size=40))
def test_r1_1_normalise_is_idempotent_on_any_text(value: str) -> None:
    once = normalise_domain(value)
    if once is not None:
        assert normalise_domain(once) == once


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_host = st.lists(_label, min_size=1, max_size=3).map(".".join).map(lambda h: h + ".example")


@given(
    host=_host,
    scheme=st.sampled_from(["", "http://", "https://", "HTTPS://", "//"]),
    userinfo=st.sampled_from(["", "user@", "user:pw@"]),
    www=st.sampled_from(["", "www.", "WWW."]),
    port=st.sampled_from(["", ":80", ":8443"]),
    dot=st.sampled_from(["", "."]),
    tail=st.sampled_from(["", "/", "/a/b", "?q=1", "#frag", "/x?y=z@w.org"]),
)
def test_r1_1_any_url_of_a_host_normalises_to_the_host(
    host: str, scheme: str, userinfo: str, www: str, port: str, dot: str, tail: str
) -> None:
    expected = normalise_domain(host)
    assert expected is not None
    assert normalise_domain(f"{scheme}{userinfo}{www}{host}{dot}{port}{tail}") == expected
    assert normalise_domain(f"someone@{www}{host}") == expected
    assert normalise_domain(expected) == expected


def test_r1_2_tenant_domains_ignore_initial_domains() -> None:
    tenant = Tenant(
        tenant_id="t1",
        domains=[
            "Contoso.example",
            "contoso.onmicrosoft.com",
            "contoso.mail.onmicrosoft.com",
            "contoso.onmicrosoft.us",
            "legacy-initial.example",
            "https://www.contoso-shop.example/",
            "contoso.example.",
            "not a domain",
        ],
        initial_domain="legacy-initial.example",
    )
    assert tenant_domains(tenant) == ["contoso-shop.example", "contoso.example"]


def test_r1_2_verified_domain_names_drop_those_marked_initial() -> None:
    domains = [
        VerifiedDomain(name="contoso.example", is_default=True),
        VerifiedDomain(name="contoso.onmicrosoft.com", is_initial=True),
        VerifiedDomain(name="weird-initial.example", is_initial=True),
        VerifiedDomain(name="contoso.mail.onmicrosoft.com"),
        VerifiedDomain(name="Fabrikam.Example"),
    ]
    assert verified_domain_names(domains) == ["contoso.example", "fabrikam.example"]


@pytest.mark.parametrize(
    ("domain", "initial"),
    [
        ("contoso.onmicrosoft.com", True),
        ("Contoso.Mail.OnMicrosoft.com", True),
        ("contoso.partner.onmschina.cn", True),
        ("onmicrosoft.com.example", False),
        ("contoso.example", False),
    ],
)
def test_r1_2_recognises_initial_domains(domain: str, initial: bool) -> None:
    assert is_initial_domain(domain) is initial


def test_r1_3_primary_domains_are_website_and_psa_domains() -> None:
    client = PsaClient(
        id="c1",
        name="Contoso",
        website="https://www.contoso.example/about",
        domains=["contoso-shop.example", "CONTOSO.example", "bad value"],
        billing_email="ap@contoso-billing.example",
    )
    assert client_primary_domains(client) == ["contoso-shop.example", "contoso.example"]


def test_r1_3_secondary_domains_are_billing_and_main_email_domains() -> None:
    client = PsaClient(
        id="c1",
        name="Contoso",
        website="contoso.example",
        billing_email="ap@contoso-billing.example",
        main_email="Office <hello@contoso-mail.example>",
    )
    assert client_secondary_domains(client) == ["contoso-billing.example", "contoso-mail.example"]


def test_r1_3_secondary_domains_leave_out_domains_already_primary() -> None:
    client = PsaClient(id="c1", name="Contoso", website="contoso.example", billing_email="ap@contoso.example")
    assert client_secondary_domains(client) == []


@pytest.mark.parametrize(
    "email", ["owner@gmail.com", "Owner@Outlook.com", "x@hotmail.com", "y@yahoo.com", "z@icloud.com"]
)
def test_r1_3_public_mail_domains_are_not_secondary_domains(email: str) -> None:
    client = PsaClient(id="c1", name="Bakery", billing_email=email, main_email=email)
    assert client_secondary_domains(client) == []


def test_r1_3_client_without_domains_has_none() -> None:
    client = PsaClient(id="c1", name="Contoso")
    assert client_primary_domains(client) == []
    assert client_secondary_domains(client) == []
