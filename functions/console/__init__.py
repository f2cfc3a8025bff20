"""The operator console: the page and its assets, and the API routes it added (consent, attention,
held brakes, a run's outcomes as CSV). `router` is the one thing the HTTP app includes."""

from functions.console.router import router

__all__ = ["router"]
