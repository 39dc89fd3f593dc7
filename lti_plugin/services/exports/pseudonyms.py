"""Stable pseudonymous ids for research exports: a keyed hash (HMAC-SHA256) of who or what a row is about.

The key is the installation's RESEARCH_KEY setting, never part of an export: the same person
gets the same id in every export of this installation (so rounds and years can be joined), and
nobody holding only the files can recompute or reverse the ids.
"""
from __future__ import annotations

import hashlib
import hmac

from ..errors import PlayerError

MIN_KEY_LENGTH = 32
ID_HEX = 16


class Pseudonyms:
    """Makes pseudonymous ids with one secret key."""

    def __init__(self, key: str) -> None:
        if len(key or "") < MIN_KEY_LENGTH:
            raise PlayerError(
                "De-identified exports need a research key of at least 32 characters: run `rapport init`, or set "
                "RESEARCH_KEY in the settings (or RAPPORT_RESEARCH_KEY in the environment).", 409)
        self._key = key.encode("utf-8")

    def _id(self, prefix: str, *parts: str) -> str:
        digest = hmac.new(self._key, "\x1f".join((prefix, *parts)).encode("utf-8"), hashlib.sha256).hexdigest()
        return f"{prefix}-{digest[:ID_HEX]}"

    def person(self, issuer: str, sub: str) -> str:
        """A person's id, from the platform and the LMS's id for them."""
        return self._id("P", issuer, sub)

    def course(self, deployment_id: int, context_id: str) -> str:
        """A course's id."""
        return self._id("C", str(deployment_id), context_id)

    def placement(self, deployment_id: int, resource_link_id: str) -> str:
        """A placement's id."""
        return self._id("L", str(deployment_id), resource_link_id)

    def encounter(self, deployment_id: int, encounter_id: int) -> str:
        """An encounter's id (its name is free text an instructor typed)."""
        return self._id("E", str(deployment_id), str(encounter_id))

    def rating(self, series: str) -> str:
        """A rating's id, the same for every version of it."""
        return self._id("R", series)
