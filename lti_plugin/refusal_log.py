"""The hook the error handler calls for every refused login or launch: one call, never raises."""
from __future__ import annotations

import logging

import jwt
from flask import current_app, request

from .lti.errors import LaunchRefused
from .observability import count_refusal
from .services.refusals import record_refusal

log = logging.getLogger("rapport.lti")


def _claimed_platform() -> tuple[str | None, str | None]:
    """The issuer and client id the refused request claimed (unverified; never the token itself)."""
    issuer = request.values.get("iss") or None
    client_id = request.values.get("client_id") or None
    token = request.form.get("id_token", "")
    if token and len(token) <= current_app.config["MAX_ID_TOKEN_BYTES"]:
        try:
            body = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            body = {}
        if isinstance(body, dict):
            iss = body.get("iss")
            issuer = iss if isinstance(iss, str) else issuer
            azp, aud = body.get("azp"), body.get("aud")
            if isinstance(azp, str):
                client_id = azp
            elif isinstance(aud, str):
                client_id = aud
            elif isinstance(aud, list) and aud and isinstance(aud[0], str):
                client_id = aud[0]
    return issuer, client_id


def note_refusal(error: LaunchRefused) -> None:
    """Count a refusal and keep it for the admin page (reason, status, claimed platform); never raises."""
    count_refusal(error.code)
    try:
        record_refusal(error.code, error.status, *_claimed_platform())
    except Exception:  # the refusal page matters more than its record
        log.warning("could not record the refusal reason=%s", error.code, exc_info=True)
