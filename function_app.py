"""The Functions app: builds it and registers the blueprints in functions/; nothing else."""

import azure.functions as func

from functions import directory, discovery, mappings, openapi, sync_worker

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
for blueprint in (discovery.bp, mappings.bp, directory.bp, sync_worker.bp, openapi.bp):
    app.register_functions(blueprint)
