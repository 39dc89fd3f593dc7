"""The practice LMS's OAuth 2 token endpoint, as strict as a real platform should be.

lti1p3platform checks only the client assertion's signature; this also checks its `kid`,
`iss`, `sub`, `aud`, `exp`, `iat` and `jti` (once only), the grant and assertion types and the
scopes, and refetches Rapport's key set when it meets a key id it does not know.
"""
from __future__ import annotations

import json
import threading
import time
from typing import Any

import jwt
import requests
from flask import jsonify, request
from jwt.algorithms import RSAAlgorithm
from lti1p3platform.constants import LTI_1P3_ACCESS_TOKEN_SCOPES
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract

from .gradebook import Gradebook
from .settings import PlatformSettings

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LEEWAY = 5
LONGEST_ASSERTION = 3600


class TokenRefused(Exception):
    """An OAuth 2 error answer: code, description, HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


class ToolKeys:
    """Rapport's public keys, fetched from its JWKS URL and refetched for an unknown key id."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.keys: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def jwk(self, kid: str) -> dict[str, Any]:
        """The JWK with this kid; refetches the key set once when it is not known."""
        with self.lock:
            if kid not in self.keys:
                try:
                    document = requests.get(self.url, timeout=5).json()
                except (requests.RequestException, ValueError) as error:
                    raise TokenRefused("invalid_client", f"cannot fetch the tool's key set: {type(error).__name__}",
                                       401) from None
                self.keys = {k["kid"]: k for k in document.get("keys", []) if isinstance(k, dict) and "kid" in k}
            if kid not in self.keys:
                raise TokenRefused("invalid_client", f"no key with kid {kid!r} in the tool's key set", 401)
            return self.keys[kid]

    def key_set(self) -> dict[str, Any]:
        """The key set as last fetched."""
        with self.lock:
            return {"keys": list(self.keys.values())}


class TokenEndpoint:
    """Issues access tokens to Rapport for the AGS and NRPS scopes."""

    def __init__(self, settings: PlatformSettings, conf: LTI1P3PlatformConfAbstract, gradebook: Gradebook) -> None:
        self.settings, self.conf, self.gradebook = settings, conf, gradebook
        self.tool_keys = ToolKeys(settings.tool_jwks_url)
        self.used_jti: dict[str, float] = {}
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        """The token endpoint's own URL, the audience client assertions must name."""
        return self.settings.issuer + "/token"

    def view(self) -> Any:
        """POST /token."""
        form = request.form.to_dict()
        scope = form.get("scope", "")
        try:
            self.check(form)
            self.conf.get_registration().set_tool_key_set(self.tool_keys.key_set())  # type: ignore[arg-type]
            answer = self.conf.get_access_token(form)
        except TokenRefused as refused:
            self.gradebook.record_token_request(scope, f"{refused.error}: {refused.description}")
            return jsonify({"error": refused.error, "error_description": refused.description}), refused.status
        self.gradebook.record_token_request(scope, "granted")
        response = jsonify(answer)
        response.headers["Cache-Control"] = "no-store"
        return response

    def check(self, form: dict[str, str]) -> dict[str, Any]:
        """Everything about the request and its client assertion; returns the assertion's claims."""
        if form.get("grant_type") != "client_credentials":
            raise TokenRefused("unsupported_grant_type", "grant_type must be client_credentials")
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise TokenRefused("invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}")
        assertion = form.get("client_assertion", "")
        scopes = form.get("scope", "").split()
        if not assertion:
            raise TokenRefused("invalid_request", "client_assertion is missing")
        if not scopes:
            raise TokenRefused("invalid_scope", "scope is missing")
        unknown = [s for s in scopes if s not in LTI_1P3_ACCESS_TOKEN_SCOPES]
        if unknown:
            raise TokenRefused("invalid_scope", f"unknown scope {unknown[0]}")
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            raise TokenRefused("invalid_client", "the client assertion is not a JWT", 401) from None
        if header.get("alg") != "RS256" or not header.get("kid"):
            raise TokenRefused("invalid_client", "the client assertion needs alg RS256 and a kid", 401)
        key = RSAAlgorithm.from_jwk(json.dumps(self.tool_keys.jwk(str(header["kid"]))))
        client_id = self.settings.client_id
        try:
            claims: dict[str, Any] = jwt.decode(
                assertion, key, algorithms=["RS256"], audience=self.url, issuer=client_id, leeway=LEEWAY,  # type: ignore[arg-type]
                options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]})
        except jwt.PyJWTError as error:
            raise TokenRefused("invalid_client", f"client assertion refused: {error}", 401) from None
        if claims["sub"] != client_id:
            raise TokenRefused("invalid_client", "the client assertion's sub must be the client id", 401)
        if claims["exp"] - claims["iat"] > LONGEST_ASSERTION:
            raise TokenRefused("invalid_client", "the client assertion lives too long", 401)
        self._spend(str(claims["jti"]), float(claims["exp"]))
        return claims

    def _spend(self, jti: str, exp: float) -> None:
        """Accept each assertion id once while it is valid."""
        now = time.time()
        with self.lock:
            self.used_jti = {k: v for k, v in self.used_jti.items() if v + LEEWAY > now}
            if jti in self.used_jti:
                raise TokenRefused("invalid_client", "the client assertion was already used (jti)", 401)
            self.used_jti[jti] = exp
