"""The Functions app: builds it and registers the blueprints in functions/; nothing else."""

import azure.functions as func

from functions import (
    ambiguities,
    directory,
    discovery,
    facts,
    licenses,
    mappings,
    openapi,
    runs,
    settings,
    sync_worker,
    webhook,
)

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
for blueprint in (
    discovery.bp,
    mappings.bp,
    directory.bp,
    sync_worker.bp,
    runs.bp,
    ambiguities.bp,
    settings.bp,
    webhook.bp,
    licenses.bp,
    facts.bp,
    openapi.bp,
):
    app.register_functions(blueprint)
