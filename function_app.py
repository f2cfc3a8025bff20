"""The Functions app: the HTTP API (FastAPI, functions/api.py) as one ASGI function, and the native
timer and queue triggers registered beside it; nothing else.

host.json's routePrefix is empty, so the ASGI function takes every path: the console at /, the API
under /api. Anonymous at the Functions level: App Service Authentication signs callers in before a
request gets here (infra/modules/functionapp.bicep), and the routes check the caller's app role
(functions/auth.py).
"""

import azure.functions as func

from functions import subscriptions_timer, sweep, sync_worker, timers
from functions.api import create_api

app = func.AsgiFunctionApp(app=create_api(), http_auth_level=func.AuthLevel.ANONYMOUS)
for blueprint in (timers.bp, sync_worker.bp, sweep.bp, subscriptions_timer.bp):
    app.register_functions(blueprint)
