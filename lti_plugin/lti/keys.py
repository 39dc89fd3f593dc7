"""Rapport's own signing keys: creation, rotation with a grace period, the public key set."""
from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select

from ..extensions import db
from ..models import SigningKey, utcnow


def _new_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def create_key() -> SigningKey:
    """Create a new active signing key (flushes, does not commit)."""
    key = SigningKey(kid=secrets.token_urlsafe(16), private_key_pem=_new_private_key_pem())
    db.session.add(key)
    db.session.flush()
    return key


def ensure_key() -> SigningKey | None:
    """Create a signing key when there is no active one; return it, or None if one existed."""
    if db.session.scalar(select(SigningKey).where(SigningKey.active).limit(1)) is not None:
        return None
    return create_key()


def current_key() -> SigningKey:
    """The newest active key, the one Rapport signs with."""
    key = db.session.scalar(
        select(SigningKey).where(SigningKey.active).order_by(SigningKey.created_at.desc(), SigningKey.id.desc()).limit(1)
    )
    if key is None:
        raise LookupError("Rapport has no signing key: run `rapport init`.")
    return key


def rotate() -> tuple[SigningKey, list[SigningKey]]:
    """Create a new key and retire the active ones; retired keys stay published for the grace period."""
    now = utcnow()
    retired = list(db.session.scalars(select(SigningKey).where(SigningKey.active)))
    for key in retired:
        key.active = False
        key.retired_at = now
    return create_key(), retired


def public_jwk(key: SigningKey) -> dict[str, Any]:
    """The public half of a key as a JWK."""
    private = serialization.load_pem_private_key(key.private_key_pem.encode("ascii"), password=None)
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private.public_key()))  # type: ignore[arg-type]
    jwk.update({"kid": key.kid, "alg": "RS256", "use": "sig"})
    return jwk


def published_keys(grace_days: int) -> list[SigningKey]:
    """Active keys, plus retired ones still inside the grace period."""
    cutoff = utcnow() - timedelta(days=grace_days)
    keys = db.session.scalars(select(SigningKey).order_by(SigningKey.created_at.desc(), SigningKey.id.desc()))
    return [k for k in keys if k.active or (k.retired_at is not None and k.retired_at > cutoff)]


def key_state(key: SigningKey, grace_days: int) -> str:
    """active, retired (still published until a date) or expired."""
    if key.active:
        return "active"
    assert key.retired_at is not None
    until = key.retired_at + timedelta(days=grace_days)
    if until > utcnow():
        return f"retired, published until {until:%Y-%m-%d %H:%M} UTC"
    return "expired (no longer published)"
