"""Creating a row that two requests may create at the same moment, without either failing."""
from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db


def insert_unless_exists(model: Any, keys: list[str], **values: Any) -> None:
    """INSERT ... ON CONFLICT (keys) DO NOTHING, on PostgreSQL and SQLite (the caller reads the row after)."""
    dialect = db.session.get_bind().dialect.name
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(build(model).values(**values).on_conflict_do_nothing(index_elements=keys))
