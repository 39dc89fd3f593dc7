"""The documents of LTI Dynamic Registration, validated on arrival (marshmallow).

Two forms of the platform's configuration are understood: Moodle lists the message types it
supports as strings (and its placements separately), Canvas lists them as objects, each with
the placements it offers for that type.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validates

from .claims import DEEP_LINKING_REQUEST, RESOURCE_LINK_REQUEST

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
CANVAS_ACCOUNT_NAME = "https://canvas.instructure.com/lti/account_name"
ACCEPTED_ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512")


def is_loopback(host: str | None) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_internal(host: str | None) -> bool:
    """True for localhost and for literal loopback, private, link-local or reserved addresses."""
    if not host:
        return False
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local or address.is_reserved or address.is_unspecified


def internal_url_problem(url: str) -> str | None:
    """Why an address must not be called from a Rapport that serves the public (an internal host), or None."""
    if is_internal(urlsplit(url).hostname):
        return "points to this machine or a private network, which a platform on the internet cannot be"
    return None


def url_problem(url: str) -> str | None:
    """Why a platform address is not acceptable (https, or http on this machine only), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http(s) address"
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return "must use https (plain http is accepted only on this machine)"
    if parts.fragment or parts.username or parts.password:
        return "must not carry a fragment or a user name"
    return None


def _address(value: Any) -> None:
    if not isinstance(value, str) or len(value) > 1024:
        raise ValidationError("must be an address of at most 1024 characters")
    problem = url_problem(value)
    if problem:
        raise ValidationError(problem)


def Address(**kwargs: Any) -> fields.String:
    """A required platform address (https, or http on this machine)."""
    kwargs.setdefault("required", True)
    return fields.String(validate=_address, **kwargs)


def Strings(**kwargs: Any) -> fields.List:
    """An optional list of strings."""
    return fields.List(fields.String(validate=lambda s: len(s) <= 1024), **kwargs)


class LtiPlatformSchema(Schema):
    """The `lti-platform-configuration` object: the product, and the messages it can send."""

    class Meta:
        unknown = EXCLUDE

    product_family_code = fields.String(required=True, validate=lambda s: 0 < len(s) <= 100)
    version = fields.String(load_default="", validate=lambda s: len(s) <= 100)
    messages_supported = fields.List(fields.Raw(), required=True)
    placements = Strings(load_default=list)
    account_name = fields.String(data_key=CANVAS_ACCOUNT_NAME, load_default="", validate=lambda s: len(s) <= 255)

    @validates("messages_supported")
    def _messages(self, value: list[Any], **kwargs: Any) -> None:
        for item in value:
            if isinstance(item, str):
                continue
            if not isinstance(item, dict) or not isinstance(item.get("type"), str):
                raise ValidationError("each entry must be a message type, or an object with a type")
            placements = item.get("placements", [])
            if not isinstance(placements, list) or not all(isinstance(p, str) for p in placements):
                raise ValidationError(f"the placements of {item['type'][:60]} must be a list of names")


class PlatformConfigurationSchema(Schema):
    """The platform's OpenID configuration, as Dynamic Registration 1.0 describes it."""

    class Meta:
        unknown = EXCLUDE

    issuer = Address()
    authorization_endpoint = Address()
    token_endpoint = Address()
    jwks_uri = Address()
    registration_endpoint = Address()
    authorization_server = fields.String(load_default=None, validate=lambda s: 0 < len(s) <= 1024)
    token_endpoint_auth_methods_supported = Strings(load_default=None)
    id_token_signing_alg_values_supported = Strings(load_default=None)
    scopes_supported = Strings(load_default=None)
    claims_supported = Strings(load_default=None)
    lti = fields.Nested(LtiPlatformSchema, data_key=PLATFORM_CONFIGURATION, required=True)

    @validates("issuer")
    def _issuer(self, value: str, **kwargs: Any) -> None:
        if urlsplit(value).query:
            raise ValidationError("must not carry a query")

    @validates("token_endpoint_auth_methods_supported")
    def _auth_methods(self, value: list[str] | None, **kwargs: Any) -> None:
        if value is not None and "private_key_jwt" not in value:
            raise ValidationError("must include private_key_jwt, the only way Rapport authenticates")

    @validates("id_token_signing_alg_values_supported")
    def _algorithms(self, value: list[str] | None, **kwargs: Any) -> None:
        if value is not None and not set(value) & set(ACCEPTED_ID_TOKEN_ALGORITHMS):
            raise ValidationError("must include RS256, RS384 or RS512")


class RegistrationResponseSchema(Schema):
    """The platform's answer to Rapport's registration: a client id, perhaps a deployment id."""

    class Meta:
        unknown = EXCLUDE

    client_id = fields.String(required=True, validate=lambda s: 0 < len(s.strip()) <= 255)
    tool = fields.Dict(data_key=TOOL_CONFIGURATION, load_default=dict)

    @pre_load
    def _numbers_as_text(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("client_id"), int) and not isinstance(data["client_id"], bool):
            data = {**data, "client_id": str(data["client_id"])}
        return data


@dataclass(frozen=True)
class PlatformConfiguration:
    """A validated platform configuration, in the terms Rapport uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    authorization_server: str | None
    scopes_supported: tuple[str, ...] | None
    claims_supported: tuple[str, ...] | None
    product_family_code: str
    version: str
    account_name: str
    # message type -> the placements the platform offers for it, or None when it names types only
    messages: dict[str, tuple[str, ...] | None]

    @property
    def lists_placements(self) -> bool:
        """True for Canvas's form: message types as objects, each with its placements."""
        return any(placements is not None for placements in self.messages.values())

    @property
    def product(self) -> str:
        """The platform's product and version, e.g. "moodle 4.5"."""
        return f"{self.product_family_code} {self.version}".strip()

    @property
    def display_name(self) -> str:
        """A name an administrator recognises: the account's name when given, else the product."""
        label = {"moodle": "Moodle", "canvas": "Canvas"}.get(self.product_family_code.lower(), self.product_family_code)
        return f"{label} — {self.account_name}" if self.account_name else f"{label} ({self.issuer})"


def load_platform_configuration(document: Any) -> PlatformConfiguration:
    """Validate a platform configuration; raises ValidationError naming the fields at fault."""
    if not isinstance(document, dict):
        raise ValidationError("the configuration is not a JSON object")
    data = PlatformConfigurationSchema().load(document)
    lti = data["lti"]
    messages: dict[str, tuple[str, ...] | None] = {}
    for item in lti["messages_supported"]:
        if isinstance(item, str):
            messages.setdefault(item, None)
        else:
            offered = messages.get(item["type"]) or ()
            messages[item["type"]] = tuple(dict.fromkeys([*offered, *item.get("placements", [])]))
    if RESOURCE_LINK_REQUEST not in messages:
        raise ValidationError({PLATFORM_CONFIGURATION: {"messages_supported": [
            f"does not include {RESOURCE_LINK_REQUEST}, which every Rapport activity is opened with"]}})
    messages = {k: v for k, v in messages.items() if k in (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)}

    def _tuple(value: list[str] | None) -> tuple[str, ...] | None:
        return None if value is None else tuple(value)

    return PlatformConfiguration(
        issuer=data["issuer"],
        authorization_endpoint=data["authorization_endpoint"],
        token_endpoint=data["token_endpoint"],
        jwks_uri=data["jwks_uri"],
        registration_endpoint=data["registration_endpoint"],
        authorization_server=data["authorization_server"],
        scopes_supported=_tuple(data["scopes_supported"]),
        claims_supported=_tuple(data["claims_supported"]),
        product_family_code=lti["product_family_code"],
        version=lti["version"],
        account_name=lti["account_name"],
        messages=messages,
    )


def problems(error: ValidationError, limit: int = 6) -> str:
    """The fields a ValidationError names, as one short sentence (names only, never values)."""
    found: list[str] = []

    def walk(messages: Any, path: str) -> None:
        if isinstance(messages, dict):
            for key, value in messages.items():
                walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(messages, list):
            texts = [m for m in messages if isinstance(m, str)]
            if texts:
                where = path or "the document"
                text = texts[0].rstrip(".")
                found.append(f"{where} is missing" if text == "Missing data for required field" else f"{where}: {text}")
            for item in messages:
                if not isinstance(item, str):
                    walk(item, path)

    walk(error.messages, "")
    more = f" (and {len(found) - limit} more)" if len(found) > limit else ""
    return "; ".join(found[:limit]) + more
