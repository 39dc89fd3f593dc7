"""Building blocks shared by the content schemas: field helpers, id rules, error helpers.

Validators receive the raw YAML (`pass_original=True`) so that a rule such as "ids are
unique" is still checked when another field of the same item is wrong.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate

ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ID_MESSAGE = "must be a lowercase id like 'inquire-sensitively' (a-z, 0-9, single hyphens)"
VIDEO_HOSTS: dict[str, tuple[str, ...]] = {
    "youtube": ("youtube.com", "youtu.be", "youtube-nocookie.com"),
    "vimeo": ("vimeo.com",),
    "kaltura": ("kaltura.com",),
    "panopto": ("panopto.com", "panopto.eu"),
}


def not_blank(value: str) -> None:
    """Refuse empty or whitespace-only text."""
    if not value.strip():
        raise ValidationError("must not be empty")


def Id(**kwargs: Any) -> fields.String:
    """A required kebab-case id."""
    return fields.String(required=True, validate=validate.Regexp(ID_RE, error=ID_MESSAGE), **kwargs)


def Text(**kwargs: Any) -> fields.String:
    """Required, non-blank text."""
    kwargs.setdefault("required", True)
    return fields.String(validate=not_blank, **kwargs)


def Whole(minimum: int = 1, **kwargs: Any) -> fields.Integer:
    """A required whole number >= minimum."""
    kwargs.setdefault("required", True)
    msg = f"must be a whole number of at least {minimum}"
    return fields.Integer(strict=True, validate=validate.Range(min=minimum, error=msg), **kwargs)


def Share(**kwargs: Any) -> fields.Float:
    """A number from 0 to 1."""
    kwargs.setdefault("required", True)
    msg = "must be a share between 0 and 1 (e.g. 0.7)"
    return fields.Float(validate=validate.Range(min=0, max=1, error=msg), **kwargs)


def video_provider(url: str) -> str | None:
    """'youtube', 'vimeo', 'kaltura' or 'panopto' for an https link to one of them, else None."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme != "https":
        return None
    for provider, domains in VIDEO_HOSTS.items():
        if any(host == d or host.endswith("." + d) for d in domains):
            return provider
    return None


def raw_items(original: Any, key: str) -> list[Any]:
    """original[key] if it is a list, else [] (validators see unvalidated data)."""
    value = original.get(key) if isinstance(original, dict) else None
    return value if isinstance(value, list) else []


def add_error(errors: dict[Any, Any], path: tuple[str | int, ...], message: str) -> None:
    """Put `message` at `path` in a marshmallow-style error tree."""
    node = errors
    for part in path:
        node = node.setdefault(part, {})
    node.setdefault("_schema", []).append(message)


def unique_ids(
    original: Any, key: str, what: str, errors: dict[Any, Any] | None = None
) -> dict[Any, Any]:
    """Add an error for every item of original[key] whose id repeats an earlier one."""
    errors = {} if errors is None else errors
    first: dict[str, int] = {}
    for index, item in enumerate(raw_items(original, key)):
        item_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(item_id, str):
            continue
        if item_id in first:
            msg = f"{what} id '{item_id}' is used twice (first by item #{first[item_id] + 1})"
            add_error(errors, (key, index, "id"), msg)
        else:
            first[item_id] = index
    return errors


def raise_errors(errors: dict[str, Any]) -> None:
    """Raise collected validator errors, if any."""
    if errors:
        raise ValidationError(errors)


class Strict(Schema):
    """Base of all content schemas: unknown fields are errors (marshmallow's default), so
    typos and wrong indentation are caught."""
