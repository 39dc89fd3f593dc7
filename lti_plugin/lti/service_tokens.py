"""OAuth 2 client-credentials tokens for platform services, cached until shortly before they expire.

The cache is Flask-Caching's (Redis when configured, so processes share tokens); a lock per
(registration, scopes) makes the threads of one process wait for a single token request, and a
short claim in Redis makes the other processes wait for it too.
"""
from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import jwt
import requests
from flask import current_app

from ..extensions import cache
from ..models import Registration
from .ags import call, platform_message, retry_after
from .errors import ServiceCallError
from .keys import current_key

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_SECONDS = 300
DEFAULT_LIFETIME = 3600  # what platforms use when they do not say (Security Framework 1.0)
MARGIN_SECONDS = 60
WAIT_STEP_SECONDS = 0.05

T = TypeVar("T")

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


@dataclass(frozen=True)
class TokenSource:
    """What a token request needs to know about a registration, safe to share between threads."""

    registration_id: int
    client_id: str
    token_url: str
    audience: str

    @classmethod
    def of(cls, row: Registration) -> TokenSource:
        """The token source for a registration row."""
        return cls(row.id, row.client_id, row.auth_token_url, row.auth_audience or row.auth_token_url)


def cache_key(source: TokenSource, scopes: Iterable[str]) -> str:
    """The cache key of the token for one registration (as now configured) and set of scopes."""
    scope = " ".join(sorted(set(scopes)))
    named = f"{source.client_id}\x1f{source.token_url}\x1f{source.audience}\x1f{scope}"
    return f"service-token:{source.registration_id}:{hashlib.sha256(named.encode()).hexdigest()[:32]}"


def client_assertion(source: TokenSource) -> str:
    """A client assertion JWT signed with Rapport's current key, `kid` in the header."""
    key = current_key()
    now = int(time.time())
    claims = {"iss": source.client_id, "sub": source.client_id, "aud": source.audience,
              "iat": now, "exp": now + ASSERTION_SECONDS, "jti": uuid.uuid4().hex}
    return jwt.encode(claims, key.private_key_pem, algorithm="RS256", headers={"kid": key.kid})


def access_token(source: TokenSource, scopes: Iterable[str], session: requests.Session) -> str:
    """A bearer token for these scopes: from the cache, or one request shared by this process's threads."""
    scope_list = sorted(set(scopes))
    key = cache_key(source, scope_list)
    token = _cached(key)
    if token:
        return token
    with _lock(key):
        token = _cached(key)
        if token:
            return token
        claimed = _claim_request(key)
        if not claimed:
            token = _wait_for_other_process(key)
            if token:
                return token
        try:
            if claimed:
                # Another process may have held the claim, stored its token and let go between
                # this process's look at the cache and its claim: look once more before asking.
                token = _cached(key)
                if token:
                    return token
            token, lifetime = _request_token(source, scope_list, session)
            margin = min(MARGIN_SECONDS, lifetime // 2)
            good_until = time.time() + lifetime - margin
            cache.set(key, {"access_token": token, "expires_at": good_until}, timeout=max(1, lifetime - margin))
            _memo()[key] = (token, good_until)
            return token
        finally:
            if claimed:
                _release_request(key)


def _claim_request(key: str) -> bool:
    """Become the one process asking for this token (through Redis when configured)."""
    from ..state_store import claim

    try:
        return claim("token-request:" + key, current_app.config["HTTP_TIMEOUT_SECONDS"] + 5)
    except Exception:  # Redis down: ask anyway rather than hold scores back
        return True


def _release_request(key: str) -> None:
    from ..state_store import release

    try:
        release("token-request:" + key)
    except Exception:
        pass  # the claim runs out by itself


def _wait_for_other_process(key: str) -> str | None:
    """Another process is asking for the same token: wait for it to land in the shared cache."""
    deadline = time.monotonic() + current_app.config["HTTP_TIMEOUT_SECONDS"] + 1
    while time.monotonic() < deadline:
        time.sleep(WAIT_STEP_SECONDS)
        token = _cached(key)
        if token:
            return token
    return None  # it failed or died: ask ourselves


def call_with_token(source: TokenSource, scopes: Iterable[str], session: requests.Session,
                    send: Callable[[str], T]) -> T:
    """Call `send` with a cached token; after a 401, drop that token, get a fresh one and try once more."""
    scope_list = sorted(set(scopes))
    token = access_token(source, scope_list, session)
    try:
        return send(token)
    except ServiceCallError as problem:
        if problem.status != 401:
            raise
    forget_token(source, scope_list, token)
    token = access_token(source, scope_list, session)
    try:
        return send(token)
    except ServiceCallError as problem:
        if problem.status == 401:
            problem.message += " (after a fresh access token too)"
        raise


def forget_token(source: TokenSource, scopes: Iterable[str], token: str) -> None:
    """Drop a token the platform refused, unless another thread has already replaced it."""
    key = cache_key(source, scopes)
    with _lock(key):
        if _cached(key) == token:
            _memo().pop(key, None)
            cache.delete(key)


def _memo() -> dict[str, tuple[str, float]]:
    """This process's copy of the tokens it holds, in front of the shared cache."""
    memo: dict[str, tuple[str, float]] = current_app.extensions.setdefault("rapport_service_tokens", {})
    return memo


def _cached(key: str) -> str | None:
    held = _memo().get(key)
    if held is not None and held[1] > time.time():
        return held[0]
    entry: Any = cache.get(key)
    if isinstance(entry, dict) and entry.get("expires_at", 0) > time.time():
        token = entry.get("access_token")
        if isinstance(token, str):
            _memo()[key] = (token, float(entry["expires_at"]))
            return token
    return None


def _lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def _request_token(source: TokenSource, scopes: list[str], session: requests.Session) -> tuple[str, int]:
    """Ask the platform's token endpoint; returns the token and its lifetime in seconds."""
    what = "Getting an access token"
    try:
        assertion = client_assertion(source)
    except LookupError as error:
        raise ServiceCallError(f"{what}: {error}", retryable=True) from None
    form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion, "scope": " ".join(scopes)}
    response = call(what, source.token_url, lambda: session.post(
        source.token_url, data=form, headers={"Accept": "application/json"}))
    if response.status_code != 200:
        # A refused token request is usually a registration problem an administrator can fix,
        # so the scores wait and are tried again rather than given up.
        raise ServiceCallError(
            f"{what}: the platform's token endpoint answered {response.status_code}: {platform_message(response)}",
            retryable=True, status=response.status_code, retry_after=retry_after(response))
    try:
        data = response.json()
    except ValueError:
        data = None
    token = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        raise ServiceCallError(f"{what}: the platform's answer has no access_token.", retryable=True, status=200)
    token_type = str(data.get("token_type", "bearer")) if isinstance(data, dict) else "bearer"
    if token_type.lower() != "bearer":
        raise ServiceCallError(f"{what}: the platform issued a {token_type!r} token, not a bearer token.",
                               retryable=True, status=200)
    lifetime = data.get("expires_in", DEFAULT_LIFETIME) if isinstance(data, dict) else DEFAULT_LIFETIME
    try:
        seconds = int(lifetime)
    except (TypeError, ValueError):
        seconds = DEFAULT_LIFETIME
    return token, max(1, seconds)
