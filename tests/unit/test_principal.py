"""The caller as App Service Authentication describes it (X-MS-CLIENT-PRINCIPAL), and what its roles allow."""

from __future__ import annotations

import base64
import json

import pytest

from functions.auth import DEV_PRINCIPAL, Principal, principal_header, read_principal
from shared.config import load_settings
from shared.errors import ConfigError


def encoded(body: object) -> str:
    return base64.b64encode(json.dumps(body).encode()).decode()


def test_the_platforms_header_gives_the_name_and_the_app_roles() -> None:
    header = encoded(
        {
            "auth_typ": "aad",
            "name_typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
            "role_typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
            "claims": [
                {"typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "val": "dana@msp.example"},
                {"typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role", "val": "reader"},
                {"typ": "roles", "val": "admin"},
                {"typ": "groups", "val": "admin-group"},  # a group is not a role
            ],
        }
    )

    assert read_principal(header) == Principal(name="dana@msp.example", roles=frozenset({"reader", "admin"}))


def test_a_script_with_a_client_credential_token_has_its_roles_and_its_app_id() -> None:
    header = encoded(
        {"auth_typ": "aad", "claims": [{"typ": "appid", "val": "app-123"}, {"typ": "roles", "val": "reader"}]}
    )

    assert read_principal(header) == Principal(name="app-123", roles=frozenset({"reader"}))


@pytest.mark.parametrize(
    "header", ["not base64!", encoded([1, 2]), encoded({"claims": "x"}), "e3"]
)  # "e3": "{}" cut short
def test_a_header_that_is_not_a_client_principal_is_refused(header: str) -> None:
    with pytest.raises(ValueError, match="X-MS-CLIENT-PRINCIPAL"):
        read_principal(header)


def test_unpadded_base64_is_read() -> None:
    header = principal_header("x", "admin").rstrip("=")

    assert read_principal(header).roles == {"admin"}


@pytest.mark.parametrize(
    ("roles", "method", "allowed"),
    [
        ({"reader"}, "GET", True),
        ({"reader"}, "POST", False),
        ({"reader"}, "PUT", False),
        ({"reader"}, "DELETE", False),
        ({"admin"}, "GET", True),
        ({"admin"}, "DELETE", True),
        (set(), "GET", False),
        ({"Admin"}, "POST", False),  # role values are exact
    ],
)
def test_reader_may_read_and_admin_may_do_everything(roles: set[str], method: str, allowed: bool) -> None:
    assert Principal(name="p", roles=frozenset(roles)).may(method) is allowed


def test_the_development_identity_is_an_admin() -> None:
    assert DEV_PRINCIPAL.may("POST")


@pytest.mark.parametrize("platform", ["WEBSITE_SITE_NAME", "WEBSITE_INSTANCE_ID"])
def test_the_development_identity_setting_refuses_to_load_on_app_service(platform: str) -> None:
    with pytest.raises(ConfigError, match="LOCAL_DEV_IDENTITY"):
        load_settings(LOCAL_DEV_IDENTITY="true", **{platform: "func-entrasync-abc"})

    assert load_settings(LOCAL_DEV_IDENTITY="false", **{platform: "func-entrasync-abc"}).local_dev_identity is False
    assert load_settings(LOCAL_DEV_IDENTITY="true").local_dev_identity is True
