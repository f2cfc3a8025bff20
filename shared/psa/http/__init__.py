"""The HTTP plumbing every REST PSA connector shares: one client per connector (`PsaHttpClient`), an
auth hook, paging to the last page, pacing under the vendor's limit across the process and the app's
instances, `Retry-After`, retries and the error mapping to `PsaRefused` / `PsaUnavailable`."""

from shared.psa.http.auth import HeaderAuth
from shared.psa.http.client import PsaHttpClient, RetryPolicy
from shared.psa.http.messages import vendor_message
from shared.psa.http.pacing import HEADROOM, Limiter, Pace, RateLimiter, shared_limiter
from shared.psa.http.paging import Page, every_page
from shared.psa.http.retry_after import retry_after_seconds
from shared.psa.http.schedule import ScheduleTerms
from shared.psa.http.shared_pacing import BudgetStats, SharedLimiter
from shared.psa.http.stats import RequestStats

__all__ = [
    "HEADROOM",
    "BudgetStats",
    "HeaderAuth",
    "Limiter",
    "Pace",
    "Page",
    "PsaHttpClient",
    "RateLimiter",
    "RequestStats",
    "RetryPolicy",
    "ScheduleTerms",
    "SharedLimiter",
    "every_page",
    "retry_after_seconds",
    "shared_limiter",
    "vendor_message",
]
