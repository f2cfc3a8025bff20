"""The simulated admin-consent step: Microsoft's `/organizations/v2.0/adminconsent` page, served by the
token endpoint's (https) server, so a browser test can click through onboarding a tenant.

    GET  /organizations/v2.0/adminconsent?client_id=…&scope=…&redirect_uri=…&state=…
         the "Permissions requested" page: which tenant's administrator is signing in (the scenario's
         customer tenants; the first one not yet consented, or without an active GDAP relationship,
         is preselected), the app's read-only Graph permissions, Accept and Cancel
    POST /organizations/v2.0/adminconsent
         Accept: the tenant is consented (its token requests succeed from now on) and the browser goes
         to `redirect_uri?tenant=<id>&admin_consent=True&state=…`; Cancel: to
         `redirect_uri?error=access_denied&error_description=AADSTS65004: …&state=…`, as Entra does

A wrong client id, a scope without `/.default` or a redirect URI that is not an absolute http(s) URL
gets Entra's error page (AADSTS700016, AADSTS70011, AADSTS50011) and no redirect. The state is passed
back untouched: checking it is the app's job.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qsl, urlencode, urlsplit

from shared.devtools.simulator.state import DirectoryState, TenantDirectory
from shared.devtools.simulator.wire import Request, Response
from shared.service.consent import GRAPH_PERMISSIONS

__all__ = ["CONSENT_PATH", "ConsentApi"]

CONSENT_PATH = "/organizations/v2.0/adminconsent"
_HTML = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


class ConsentApi:
    def __init__(self, state: DirectoryState, *, client_id: str, app_name: str = "Entra to PSA contact sync") -> None:
        self.state, self.client_id, self.app_name = state, client_id, app_name
        self.granted: list[str] = []  # tenant ids consented through this page, in order

    def handle(self, request: Request) -> Response:
        if request.method == "GET":
            params = request.query
        elif request.method == "POST":
            params = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        else:
            return Response(405, b"", {"Allow": "GET, POST"})
        refused = self._check(params)
        if refused is not None:
            return refused
        if request.method == "GET":
            return Response(200, self._page(params).encode(), dict(_HTML))
        return self._decide(params)

    def _check(self, params: dict[str, str]) -> Response | None:
        client_id, scope, redirect = (
            params.get("client_id", ""),
            params.get("scope", ""),
            params.get("redirect_uri", ""),
        )
        if client_id != self.client_id:
            return _error_page(
                400,
                "AADSTS700016",
                f"Application with identifier '{client_id}' was not found in the directory 'Microsoft Services'.",
            )
        if not any(part.endswith("/.default") for part in scope.split()):
            return _error_page(
                400, "AADSTS70011", f"The provided value for the input parameter 'scope' is not valid: {scope!r}."
            )
        parts = urlsplit(redirect)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return _error_page(
                400,
                "AADSTS50011",
                f"The redirect URI '{redirect}' specified in the request does not match the redirect URIs configured "
                f"for the application '{client_id}'.",
            )
        return None

    def _decide(self, params: dict[str, str]) -> Response:
        back: dict[str, str]
        if params.get("decision") == "accept":
            directory = self.state.find(params.get("tenant", ""))
            if directory is None:
                return _error_page(400, "AADSTS90002", f"Tenant '{params.get('tenant', '')}' not found.")
            self.state.configure(directory.tenant_id, consented=True)
            self.granted.append(directory.tenant_id)
            back = {"tenant": directory.tenant_id, "admin_consent": "True"}
        else:
            back = {
                "error": "access_denied",
                "error_description": "AADSTS65004: User declined to consent to access the app.",
            }
        if params.get("state"):
            back["state"] = params["state"]
        redirect = params["redirect_uri"]
        separator = "&" if urlsplit(redirect).query else "?"
        return Response(302, b"", {"Location": f"{redirect}{separator}{urlencode(back)}", "Cache-Control": "no-store"})

    def _page(self, params: dict[str, str]) -> str:
        tenants = sorted(self.state.customers(), key=lambda t: t.display_name.lower())
        chosen = next((t for t in tenants if _needs_consent(t)), tenants[0] if tenants else None)
        options = "".join(
            f'<option value="{_e(t.tenant_id)}"{" selected" if t is chosen else ""}>'
            f"{_e(t.display_name)} ({_e(_status(t))})</option>"
            for t in tenants
        )
        permissions = "".join(
            f"<li><strong>{_e(p.plain_words)}</strong> <code>{_e(p.name)}</code></li>"
            for p in GRAPH_PERMISSIONS
            if not p.partner_only
        )
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{_e(params.get(name, ""))}">'
            for name in ("client_id", "scope", "redirect_uri", "state")
        )
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Permissions requested (simulated Microsoft sign-in)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font:16px/1.5 system-ui,sans-serif;background:#f2f2f2;color:#1b1b1b;margin:0}}
main{{max-width:34rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:4px;box-shadow:0 2px 6px #0003}}
h1{{font-size:1.5rem;margin-top:0}} code{{font-size:.85em;color:#444}} li{{margin:.3rem 0}}
label{{display:block;font-weight:600;margin-top:1rem}} select{{font:inherit;width:100%;padding:.4rem}}
.buttons{{display:flex;gap:1rem;justify-content:flex-end;margin-top:1.5rem}}
button{{font:inherit;padding:.5rem 1.5rem;border:1px solid #8a8886;background:#fff;color:#1b1b1b;cursor:pointer}}
button.primary{{background:#0067b8;border-color:#0067b8;color:#fff}}
button:focus-visible{{outline:3px solid #1b1b1b;outline-offset:2px}}
.note{{font-size:.9rem;color:#444}}
</style></head>
<body><main>
<p class="note">Simulated Microsoft sign-in (Graph simulator)</p>
<h1>Permissions requested</h1>
<p><strong>{_e(self.app_name)}</strong> (app id <code>{_e(self.client_id)}</code>) would like to read, for
your whole organization, all read-only:</p>
<ul>{permissions}</ul>
<form method="post" action="{CONSENT_PATH}">{hidden}
<label for="tenant">Signed in as the administrator of</label>
<select id="tenant" name="tenant">{options}</select>
<p class="note">Accepting gives these permissions for every user in the organization. Nothing is written to it.</p>
<div class="buttons">
<button type="submit" name="decision" value="cancel">Cancel</button>
<button type="submit" name="decision" value="accept" class="primary">Accept</button>
</div></form>
</main></body></html>"""


def _needs_consent(tenant: TenantDirectory) -> bool:
    return not tenant.consented or tenant.relationship != "active"


def _status(tenant: TenantDirectory) -> str:
    consent = "consented" if tenant.consented else "not consented"
    gdap = "GDAP" if tenant.relationship == "active" else "no GDAP"
    return f"{consent}, {gdap}"


def _error_page(status: int, code: str, message: str) -> Response:
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in error</title></head>'
        f"<body><main><h1>Sorry, but we're having trouble signing you in.</h1><p>{_e(code)}: {_e(message)}</p>"
        "</main></body></html>"
    )
    return Response(status, body.encode(), dict(_HTML), error_code=code)


def _e(text: str) -> str:
    return html.escape(text, quote=True)
