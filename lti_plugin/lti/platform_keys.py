"""Platform key sets: fetched with a timeout, cached with a lifetime, refetched once on an unknown kid."""
from __future__ import annotations

import time
from typing import Any

import jwt
from flask import current_app

from ..extensions import cache
from .config_cache import RegistrationInfo
from .errors import ADMIN_HINT_REGISTRATION, LaunchRefused, PlatformCallError
from .http import get_json

# Refetching a key set because of an unknown kid is allowed at most this often per URL, so a
# stream of forged tokens cannot make Rapport hammer a platform.
REFETCH_INTERVAL_SECONDS = 10.0
# Parsed keys by (kid, JWK): parsing a JWK costs more than verifying a signature.
_parsed: dict[tuple[str, str], Any] = {}
MAX_PARSED = 256


def _cache_key(url: str) -> str:
    return "jwks:" + url


def _fetch(url: str) -> dict[str, Any]:
    try:
        document = get_json(url, "its public key set")
    except PlatformCallError as error:
        raise LaunchRefused("platform_keys_unavailable", str(error), ADMIN_HINT_REGISTRATION, 502) from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise LaunchRefused(
            "platform_keys_invalid",
            f"The platform's key set at {url} is not a JSON Web Key Set.",
            ADMIN_HINT_REGISTRATION,
            502,
        )
    cache.set(_cache_key(url), document, timeout=current_app.config["PLATFORM_KEYS_CACHE_SECONDS"])
    return document


def _find(document: dict[str, Any], kid: str, alg: str) -> Any | None:
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or jwk.get("kid") != kid:
            continue
        if jwk.get("alg", alg) != alg:
            continue
        memo_key = (kid, repr(sorted(jwk.items())))
        if memo_key not in _parsed:
            if len(_parsed) >= MAX_PARSED:
                _parsed.clear()
            try:
                _parsed[memo_key] = jwt.PyJWK(jwk, algorithm=alg).key
            except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
                continue
        return _parsed[memo_key]
    return None


def _may_refetch(url: str) -> bool:
    from ..state_store import claim

    try:
        return claim("jwks-refetch:" + url, REFETCH_INTERVAL_SECONDS)
    except Exception:  # Redis down: the cached key set still answers; refetching can wait
        return False


def signing_key(registration: RegistrationInfo, kid: str, alg: str) -> Any:
    """The platform's public key for `kid`; refetches the set once when the kid is unknown.

    The key object found is kept by this process for LTI_CONFIG_CACHE_SECONDS, so most launches
    neither read the key set from the cache (a Redis round trip and unpickling) nor look it up.
    """
    url = registration.key_set_url
    seconds = current_app.config["LTI_CONFIG_CACHE_SECONDS"]
    recent: dict[tuple[str, str, str], tuple[float, Any]] = current_app.extensions.setdefault("rapport_platform_keys", {})
    now = time.monotonic()
    entry = recent.get((url, kid, alg))
    if entry is not None and entry[0] > now:
        return entry[1]
    key = _signing_key(url, kid, alg)
    if seconds > 0:
        if len(recent) >= MAX_PARSED:
            recent.clear()
        recent[(url, kid, alg)] = (now + seconds, key)
    return key


def _signing_key(url: str, kid: str, alg: str) -> Any:
    document = cache.get(_cache_key(url))
    fetched_now = document is None
    if document is None:
        document = _fetch(url)
    key = _find(document, kid, alg)
    # Shared by every worker through Redis, so N workers do not make N refetches.
    if key is None and not fetched_now and _may_refetch(url):
        key = _find(_fetch(url), kid, alg)
    if key is None:
        raise LaunchRefused(
            "unknown_kid",
            "The launch was signed with a key the platform does not publish.",
            "If the platform rotated its keys just now, wait a few seconds and open the activity "
            "again; otherwise check the key set URL of the registration.",
            401,
        )
    return key
