"""Domains of tenants and clients, normalised so they can be compared (SYNC_RULES R1.1-R1.3).

Pure: no I/O. Every function returns normalised, de-duplicated, sorted domains so callers and
tests see the same order every time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from shared.models.entra import Tenant, VerifiedDomain
from shared.models.psa import PsaClient

__all__ = [
    "INITIAL_DOMAIN_SUFFIXES",
    "PUBLIC_MAIL_DOMAINS",
    "client_primary_domains",
    "client_secondary_domains",
    "is_initial_domain",
    "normalise_domain",
    "tenant_domains",
    "verified_domain_names",
]

# Domains Microsoft gives every tenant (`contoso.onmicrosoft.com`, `contoso.mail.onmicrosoft.com`, and
# the sovereign clouds' equivalents). They say nothing about who the customer is, so never match on them.
INITIAL_DOMAIN_SUFFIXES: tuple[str, ...] = (
    ".onmicrosoft.com",
    ".onmicrosoft.us",
    ".onmicrosoft.de",
    ".partner.onmschina.cn",
)

# Free / consumer mail providers. A billing address such as `owner@gmail.com` says nothing about which
# tenant is the client's, and counting it would pair every client billed at gmail.com with any tenant
# that lists it (a PSA's domain list, a hand-made tenant). Kept short on purpose: the providers an MSP's
# small customers actually use; a company domain is never on it.
PUBLIC_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "aol.com",
        "btinternet.com",
        "comcast.net",
        "gmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "googlemail.com",
        "hotmail.co.uk",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mac.com",
        "mail.com",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "web.de",
        "yahoo.co.uk",
        "yahoo.com",
        "ymail.com",
        "zoho.com",
    }
)

_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")
_ANGLE_ADDRESS = re.compile(r"<([^<>]*)>")
_PORT = re.compile(r":\d{1,5}$")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$")


def normalise_domain(value: str | None) -> str | None:
    """The bare host name in `value`, or None when there is none (R1.1).

    Accepts a domain, a URL (`https://user@www.Example.com:8443/path?q#f` -> `example.com`) or an e-mail
    address (`Billing <ap@Example.com>` -> `example.com`). Lower-cases; strips the scheme, user info,
    `www.` (unless that would leave no dot), path, query, fragment, port and one trailing dot;
    international names become their ASCII (`xn--`) form. The result must contain a dot and be a valid
    host name: IP addresses, blanks and anything with spaces or stray characters give None.
    Idempotent: `normalise_domain(normalise_domain(x)) == normalise_domain(x)`.
    """
    if value is None:
        return None
    text = value.strip()
    angle = _ANGLE_ADDRESS.search(text)
    if angle:
        text = angle.group(1).strip()
    text = text.lower()
    if text.startswith("mailto:"):
        text = text[len("mailto:") :]
    text = _SCHEME.sub("", text)
    if text.startswith("//"):
        text = text[2:]
    for stop in "/?#":
        text = text.split(stop, 1)[0]
    text = text.rsplit("@", 1)[-1]  # user info of a URL, or the local part of an address
    text = _PORT.sub("", text)
    if text.endswith("."):
        text = text[:-1]
    host = _to_ascii(text)
    if host is None:
        return None
    while host.startswith("www.") and "." in host[4:]:
        host = host[4:]
    return host if _is_host_name(host) else None


def _to_ascii(text: str) -> str | None:
    if text.isascii():
        return text
    try:
        return text.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def _is_host_name(text: str) -> bool:
    if len(text) > 253 or "." not in text:
        return False
    labels = text.split(".")
    if not all(_LABEL.match(label) for label in labels):
        return False
    return not labels[-1].isdigit()  # an IPv4 address is not a domain


def is_initial_domain(domain: str) -> bool:
    """True for a domain Microsoft created with the tenant (`*.onmicrosoft.com` and the like) (R1.2)."""
    name = normalise_domain(domain)
    return name is not None and name.endswith(INITIAL_DOMAIN_SUFFIXES)


def _normalised(values: Iterable[str | None]) -> list[str]:
    return sorted({d for d in map(normalise_domain, values) if d is not None})


def verified_domain_names(domains: Iterable[VerifiedDomain]) -> list[str]:
    """The names of a tenant's verified domains worth matching on: not initial, normalised (R1.2).

    For discovery, which builds `Tenant.domains` from Graph's `verifiedDomains`.
    """
    return _normalised(d.name for d in domains if not d.is_initial and not is_initial_domain(d.name))


def tenant_domains(tenant: Tenant) -> list[str]:
    """The tenant's domains to match on: its verified domains less any initial domain (R1.2).

    `Tenant.domains` should already exclude initial domains; this checks again, so a tenant stored by
    an older discovery (or typed in by hand) never matches on `contoso.onmicrosoft.com`.
    """
    initial = normalise_domain(tenant.initial_domain)
    return [d for d in _normalised(tenant.domains) if d != initial and not is_initial_domain(d)]


def client_primary_domains(client: PsaClient) -> list[str]:
    """The client's website and the domains its PSA records for it (R1.3)."""
    return _normalised([client.website, *client.domains])


def client_secondary_domains(client: PsaClient) -> list[str]:
    """The domains of the client's billing and main e-mail addresses (R1.3).

    Leaves out public mail providers (`PUBLIC_MAIL_DOMAINS`), initial domains, and any domain that is
    already primary, so the two lists never overlap.
    """
    primary = set(client_primary_domains(client))
    return [
        d
        for d in _normalised([client.billing_email, client.main_email])
        if d not in primary and d not in PUBLIC_MAIL_DOMAINS and not is_initial_domain(d)
    ]
