"""The simulated Entra ID token endpoint (what MSAL and azure-identity talk to), served over TLS.

    GET  /{tenant}/v2.0/.well-known/openid-configuration   OIDC discovery, as MSAL needs it
    POST /{tenant}/oauth2/v2.0/token                        client credentials grant
    GET  /{tenant}/discovery/v2.0/keys                      an empty key set
    GET|POST /organizations/v2.0/adminconsent               the admin-consent page (consent_api.py)

`{tenant}` is a tenant id or one of its verified domain names. The client authenticates with the
secret, or with a client assertion (certificate or federated credential): any well-formed JWT
whose `iss` and `sub` are the client id is accepted; its signature is not checked. The scope must
be `<resource>/.default`; the token's audience is that resource (Graph accepts only its own).

Errors are Entra's, with its AADSTS codes:
    unknown tenant                      400 invalid_request / invalid_tenant, AADSTS90002
    app unknown or not consented        400 unauthorized_client, AADSTS700016
    wrong secret                        401 invalid_client, AADSTS7000215
    no secret nor assertion             401 invalid_client, AADSTS7000216
    malformed assertion                 401 invalid_client, AADSTS50027
    assertion for another client        401 invalid_client, AADSTS700021
    scope without /.default             400 invalid_scope, AADSTS1002012
    other grant types                   400 unsupported_grant_type, AADSTS70003
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from urllib.parse import parse_qsl

from shared.devtools.simulator.consent_api import CONSENT_PATH, ConsentApi
from shared.devtools.simulator.faults import FaultSet
from shared.devtools.simulator.state import DirectoryState, TenantDirectory
from shared.devtools.simulator.tokens import TokenIssuer, decode_jwt_part
from shared.devtools.simulator.wire import Request, Response, entra_error, json_response

__all__ = ["LoginApi", "LoginLog"]

LoginLog = Callable[[Request, str, str | None, Response], None]  # request, path, tenant, response

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class LoginApi:
    def __init__(
        self,
        state: DirectoryState,
        tokens: TokenIssuer,
        faults: FaultSet,
        log: LoginLog,
        *,
        client_id: str,
        client_secret: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.state, self.tokens, self.faults, self.log = state, tokens, faults, log
        self.client_id, self.client_secret, self.sleep = client_id, client_secret, sleep
        self.authority = ""  # https://127.0.0.1:PORT, set once the server listens
        self.consent = ConsentApi(state, client_id=client_id)

    def handle(self, request: Request) -> Response:
        if request.path.rstrip("/") == CONSENT_PATH:
            response = self.consent.handle(request)
            self.log(request, request.path, None, response)
            return response
        tenant_key, _, rest = request.path.strip("/").partition("/")
        directory = self.state.find(tenant_key) if tenant_key else None
        tenant = directory.tenant_id if directory else None
        response = self._serve(request, tenant_key, directory, rest)
        self.log(request, request.path, tenant, response)
        return response

    def _serve(self, request: Request, tenant_key: str, directory: TenantDirectory | None, rest: str) -> Response:
        if rest not in ("v2.0/.well-known/openid-configuration", "oauth2/v2.0/token", "discovery/v2.0/keys"):
            return Response(404, b"", {"Content-Type": "text/plain"})
        delay, fault = self.faults.take("login", directory.tenant_id if directory else tenant_key, "/" + rest)
        if delay:
            self.sleep(delay)
        if fault is not None and fault.status is not None:
            description = fault.message or "A transient error has occurred. Please try again."
            return entra_error(fault.status, fault.code or "temporarily_unavailable", 90033, description)
        if directory is None:
            error = "invalid_tenant" if rest.startswith("v2.0") else "invalid_request"
            return entra_error(
                400,
                error,
                90002,
                f"Tenant '{tenant_key}' not found. Check to make sure you have the correct tenant ID and are "
                "signing into the correct cloud. Check with your subscription administrator, this may happen "
                "if there are no active subscriptions for the tenant.",
            )
        if rest == "discovery/v2.0/keys":
            return json_response(200, {"keys": []})
        if rest.startswith("v2.0"):
            return json_response(200, self._openid_configuration(tenant_key))
        if request.method != "POST":
            return entra_error(400, "invalid_request", 900561, "The endpoint only accepts POST requests.")
        return self._token(request, directory)

    def _openid_configuration(self, tenant: str) -> dict[str, object]:
        base = f"{self.authority}/{tenant}"
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "request_uri_parameter_supported": False,
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "tenant_region_scope": "NA",
            "cloud_instance_name": "microsoftonline.com",
            "msgraph_host": "graph.microsoft.com",
        }

    def _token(self, request: Request, directory: TenantDirectory) -> Response:
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        grant_type = form.get("grant_type", "")
        if grant_type != "client_credentials":
            return entra_error(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant_type}'.",
            )
        client_id = form.get("client_id", "")
        if client_id != self.client_id or not directory.consented:
            return entra_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{directory.display_name}'. This can happen if the application has not been installed by "
                "the administrator of the tenant or consented to by any user in the tenant. You may have "
                "sent your authentication request to the wrong tenant.",
            )
        refused = self._check_client_credential(form)
        if refused is not None:
            return refused
        scopes = form.get("scope", "").split()
        resource = next((scope[: -len("/.default")] for scope in scopes if scope.endswith("/.default")), None)
        if resource is None:
            return entra_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {form.get('scope', '')} is not valid. Client credential flows "
                "must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
            )
        token = self.tokens.issue(directory.tenant_id, client_id, resource)
        lifetime = self.tokens.lifetime
        payload = {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token}
        return json_response(200, payload, {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    def _check_client_credential(self, form: dict[str, str]) -> Response | None:
        secret, assertion = form.get("client_secret"), form.get("client_assertion")
        if secret is not None:
            if hmac.compare_digest(secret.encode(), self.client_secret.encode()):
                return None
            return entra_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                f"secret value, not the client secret ID, for a secret added to app '{self.client_id}'.",
            )
        if assertion is not None and form.get("client_assertion_type") == JWT_BEARER:
            parts = assertion.split(".")
            try:
                if len(parts) != 3:
                    raise ValueError("not three parts")
                decode_jwt_part(parts[0])
                claims = decode_jwt_part(parts[1])
            except ValueError:
                return entra_error(401, "invalid_client", 50027, "JWT token is invalid or malformed.")
            if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
                return entra_error(
                    401,
                    "invalid_client",
                    700021,
                    "Client assertion application identifier doesn't match 'client_id' parameter.",
                )
            return None
        return entra_error(
            401,
            "invalid_client",
            7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
        )
