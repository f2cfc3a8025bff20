"""What building any REST connector from its settings needs: a checked base URL (https, or http on
loopback only), the settings that must be there (a `ConfigError` naming the one that is not), the
retry policy and the account's rate limiter: paced through the budget every instance shares in
storage when the app gives one (`shared.psa.http.shared_pacing`), else by this process's share."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import SecretStr

from shared.config import PsaConnectionSettings, Settings
from shared.errors import ConfigError
from shared.psa.http import Limiter, Pace, RetryPolicy, SharedLimiter, shared_limiter

if TYPE_CHECKING:
    from shared.service.ports import RequestBudget

__all__ = ["limiter_for", "require_base_url", "require_secret", "require_text", "retry_policy"]


def require_base_url(value: str, name: str) -> str:
    """`value` without its trailing slash: an absolute https URL, or http on a loopback host."""
    text = value.strip().rstrip("/")
    if not text:
        raise ConfigError(f"{name} is not set")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an absolute URL such as https://psa.example.com/api/v1, not {text!r}")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ConfigError(f"{name} must use https (plain http is allowed only on localhost), not {text!r}")
    return text


def require_text(value: str, name: str) -> str:
    if not value.strip():
        raise ConfigError(f"{name} is not set")
    return value.strip()


def require_secret(settings: Settings, value: SecretStr | None, name: str) -> SecretStr:
    if value is None or not value.get_secret_value().strip():
        raise ConfigError(settings.missing(name))
    return value


def retry_policy(conn: PsaConnectionSettings) -> RetryPolicy:
    return RetryPolicy(
        attempts=conn.retry_attempts,
        initial_wait=conn.retry_initial_wait_seconds,
        max_wait=conn.retry_max_wait_seconds,
        timeout=conn.timeout_seconds,
    )


def limiter_for(vendor: str, account: str, pace: Pace, budget: RequestBudget | None = None) -> Limiter:
    """The limiter for this vendor account: claiming from `budget`, shared by every instance, with the
    process's `1 / instances` share as its fallback; that share alone without a budget (tests, tools)."""
    key = f"{vendor} {account}"
    local = shared_limiter(key, pace)
    if budget is None:
        return local
    return SharedLimiter(key, pace.shared_terms(), budget, local)


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
