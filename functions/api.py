"""The HTTP app: FastAPI, hosted on Azure Functions by `func.AsgiFunctionApp` (function_app.py) and
locally by uvicorn (shared/devtools/serve.py). The JSON API is under /api; the operator console
(functions/console/) brings its page at / and the routes it added."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from functions import (
    ambiguities,
    autotask_webhooks,
    connectwise_callbacks,
    console,
    directory,
    discovery,
    errors,
    facts,
    licenses,
    mappings,
    notifications,
    openapi,
    runs,
    settings,
    subscriptions,
    webhook,
)
from functions.auth import authorize

__all__ = ["PREFIX", "PUBLIC", "SIGNED_IN", "create_api"]

PREFIX = "/api"
# The document, the webhook (signed, not signed in) and Graph's notifications (checked by clientState).
PUBLIC = (openapi.router, webhook.router, notifications.router, connectwise_callbacks.router, autotask_webhooks.router)
SIGNED_IN = tuple(
    m.router for m in (discovery, mappings, directory, facts, licenses, runs, ambiguities, settings, subscriptions)
)


def create_api(*, loopback: bool = False) -> FastAPI:
    """The app. `loopback`: the server runner binds it to 127.0.0.1 only, so the development identity
    may stand in for the platform's sign-in (functions/auth.py); never in Azure."""
    api = FastAPI(title=openapi.TITLE, version=openapi.VERSION, docs_url=None, redoc_url=None, openapi_url=None)
    api.state.loopback = loopback
    errors.install(api)
    for router in PUBLIC:
        api.include_router(router, prefix=PREFIX)
    for router in SIGNED_IN:
        api.include_router(
            router, prefix=PREFIX, dependencies=[Depends(authorize)], responses=errors.responses(401, 403, 503)
        )
    api.openapi = lambda: openapi.openapi_document(api)  # type: ignore[method-assign]
    api.include_router(console.router)  # the page at /, its assets, and the API routes it added (functions/console/)
    return api
