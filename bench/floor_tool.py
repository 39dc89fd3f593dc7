"""The floor: the least an LTI 1.3 tool can do for a launch, to measure Rapport against.

Login issues a random state and nonce and keeps them in a signed cookie (no storage at all);
launch checks the state against the cookie, verifies the id_token's signature with a key set
fetched once per process and cached, checks iss, aud, exp and the nonce, and answers a tiny
page. No database, no records, no templates. Served by gunicorn as `bench.floor_tool:app`;
settings come from BENCH_ISSUER, BENCH_CLIENT_ID, BENCH_JWKS_URL, BENCH_AUTH_URL, BENCH_SECRET.
"""
from __future__ import annotations

import html
import json
import os
import secrets
import urllib.request
from urllib.parse import urlencode

import jwt
from flask import Flask, abort, redirect, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

ISSUER = os.environ.get("BENCH_ISSUER", "")
CLIENT_ID = os.environ.get("BENCH_CLIENT_ID", "")
JWKS_URL = os.environ.get("BENCH_JWKS_URL", "")
AUTH_URL = os.environ.get("BENCH_AUTH_URL", "")
signer = URLSafeTimedSerializer(os.environ.get("BENCH_SECRET", "floor-secret"), salt="login")
_keys: dict[str, object] = {}

app = Flask(__name__)


def key_for(kid: str) -> object:
    """The platform key for kid, from a key set fetched once per process."""
    if kid not in _keys:
        with urllib.request.urlopen(JWKS_URL, timeout=10) as response:
            for jwk in json.load(response)["keys"]:
                _keys[jwk["kid"]] = jwt.PyJWK(jwk).key
    return _keys[kid]


@app.get("/lti/login")
def login():  # type: ignore[no-untyped-def]
    """Issue state and nonce, keep them in a signed cookie, send the browser to the platform."""
    if request.args.get("iss") != ISSUER:
        abort(400)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    query = urlencode({"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
                       "prompt": "none", "client_id": CLIENT_ID, "redirect_uri": request.args["target_link_uri"],
                       "login_hint": request.args.get("login_hint", ""), "state": state, "nonce": nonce})
    response = redirect(f"{AUTH_URL}?{query}", 302)
    response.set_cookie("floor_login", signer.dumps([state, nonce]), max_age=600, httponly=True)
    return response


@app.post("/lti/launch")
def launch():  # type: ignore[no-untyped-def]
    """Check state, signature, issuer, audience, expiry and nonce; answer a tiny page."""
    try:
        state, nonce = signer.loads(request.cookies.get("floor_login", ""), max_age=600)
    except BadSignature:
        abort(400)
    if request.form.get("state") != state:
        abort(400)
    token = request.form["id_token"]
    kid = jwt.get_unverified_header(token)["kid"]
    body = jwt.decode(token, key_for(kid), algorithms=["RS256"], audience=CLIENT_ID, issuer=ISSUER, leeway=60)
    if body.get("nonce") != nonce:
        abort(401)
    name = html.escape(str(body.get("name", "")))
    return f"<!doctype html><title>Launched</title><p>Hello {name}</p>"
