"""RSA keys for signing test id_tokens the way a platform does."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


@dataclass
class TestKey:
    """A platform signing key: private PEM and key id."""

    __test__ = False  # not a test class, despite the name
    private_pem: str
    kid: str

    @classmethod
    def generate(cls) -> "TestKey":
        """A fresh 2048-bit RSA key with a random kid."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
        return cls(pem, secrets.token_hex(8))

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK with kid, alg and use."""
        private = serialization.load_pem_private_key(self.private_pem.encode(), password=None)
        jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
        jwk.update(kid=self.kid, alg="RS256", use="sig")
        return jwk

    def sign(self, claims: dict[str, Any], kid: str | None = "same", alg: str = "RS256",
             headers: dict[str, Any] | None = None) -> str:
        """Sign claims as a JWT; kid='same' uses this key's kid, None leaves it out."""
        header = dict(headers or {})
        if kid == "same":
            header["kid"] = self.kid
        elif kid is not None:
            header["kid"] = kid
        return jwt.encode(claims, self._private_key(), algorithm=alg, headers=header)

    def _private_key(self) -> Any:
        """The loaded key, kept: loading a PEM (with its consistency checks) costs about 0.1 s each time."""
        loaded = self.__dict__.get("_loaded")
        if loaded is None or loaded[0] != self.private_pem:
            loaded = (self.private_pem, serialization.load_pem_private_key(self.private_pem.encode(), password=None))
            self.__dict__["_loaded"] = loaded
        return loaded[1]
