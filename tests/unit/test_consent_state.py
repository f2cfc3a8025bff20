"""The admin-consent link's state: signed with CONSENT_STATE_SECRET, accepted for 15 minutes, and
nothing else accepted (a callback without a good state registers nothing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from shared.errors import ConfigError, ValidationFailed
from shared.service.consent import CONSENT_SCOPE, STATE_LIFETIME, check_state, consent_link, sign_state
from tests.unit.fakes.app import unit_settings

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
SECRET = b"a long random secret"


def test_a_state_signed_here_is_accepted_for_its_whole_lifetime() -> None:
    state = sign_state(SECRET, NOW)

    check_state(SECRET, state, NOW)
    check_state(SECRET, state, NOW + STATE_LIFETIME)


@pytest.mark.parametrize(
    ("state", "now", "why"),
    [
        (sign_state(SECRET, NOW), NOW + STATE_LIFETIME + timedelta(seconds=1), "expired"),
        (sign_state(SECRET, NOW + timedelta(minutes=2)), NOW, "in the future"),
        (sign_state(b"another secret", NOW), NOW, "not issued by this app"),
        (sign_state(SECRET, NOW).replace(".", ".x", 1), NOW, "not issued by this app"),
        ("", NOW, "missing or malformed"),
        ("12.ab", NOW, "missing or malformed"),
        ("x.nonce.mac", NOW, "missing or malformed"),
    ],
    ids=["expired", "future", "other-secret", "tampered", "empty", "two-parts", "not-a-time"],  # states are random
)
def test_any_other_state_is_refused_naming_the_state(state: str, now: datetime, why: str) -> None:
    with pytest.raises(ValidationFailed, match=why) as refused:
        check_state(SECRET, state, now)

    assert refused.value.field == "state"


def test_two_links_carry_different_states() -> None:
    assert sign_state(SECRET, NOW) != sign_state(SECRET, NOW)


def test_the_link_is_microsofts_admin_consent_page_for_the_app_with_the_default_scope() -> None:
    settings = unit_settings(GRAPH_CLIENT_ID="app-id", CONSENT_STATE_SECRET="s3cret")

    link = consent_link(settings, "https://sync.example/api/consent/callback", NOW)

    url = urlsplit(link.url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "login.microsoftonline.com",
        "/organizations/v2.0/adminconsent",
    )
    assert query["client_id"] == "app-id" and query["scope"] == CONSENT_SCOPE
    assert query["redirect_uri"] == "https://sync.example/api/consent/callback"
    check_state(b"s3cret", query["state"], NOW)
    assert link.expires_at == NOW + STATE_LIFETIME


def test_a_simulator_authority_with_its_scheme_is_used_as_it_is() -> None:
    settings = unit_settings(GRAPH_CLIENT_ID="app", CONSENT_STATE_SECRET="s", GRAPH_AUTHORITY="https://127.0.0.1:5443")

    assert consent_link(settings, "http://127.0.0.1/cb", NOW).url.startswith("https://127.0.0.1:5443/organizations/")


@pytest.mark.parametrize(
    ("values", "missing"),
    [({"GRAPH_CLIENT_ID": "app"}, "CONSENT_STATE_SECRET"), ({"CONSENT_STATE_SECRET": "s"}, "GRAPH_CLIENT_ID")],
)
def test_without_the_app_id_or_the_secret_there_is_no_link_and_the_setting_is_named(
    values: dict[str, str], missing: str
) -> None:
    with pytest.raises(ConfigError, match=missing):
        consent_link(unit_settings(**values), "https://sync.example/cb", NOW)
