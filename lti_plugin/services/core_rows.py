"""Rows written and read with prebuilt Core statements, handed on as ordinary ORM objects.

The ORM's unit of work and its result loading were most of a launch's cost: each flush sorts
its objects, compiles and checks, and each loaded entity goes through the loading machinery.
On the launch path Rapport writes and reads single rows with Core instead, then puts ORM
objects with those values into the session as though they had been loaded, so the code that
follows (pages, scores, later changes) sees the models as always. The models stay the schema.
"""
from __future__ import annotations

from typing import Any, TypeVar, cast

from sqlalchemy import Table, event, insert
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state

from ..extensions import db
from ..models import Base

T = TypeVar("T", bound=Base)

# Per model: its table, (attribute, column) pairs, primary key attributes, and the prebuilt INSERT.
_SHAPES: dict[type, tuple[Table, tuple[tuple[str, str], ...], tuple[str, ...], Any]] = {}


def _shape(model: type) -> tuple[Table, tuple[tuple[str, str], ...], tuple[str, ...], Any]:
    shape = _SHAPES.get(model)
    if shape is None:
        mapper = model.__mapper__  # type: ignore[attr-defined]
        table = cast(Table, model.__table__)  # type: ignore[attr-defined]
        pairs = tuple((attr.key, attr.columns[0].key) for attr in mapper.column_attrs)
        keys = tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)
        shape = _SHAPES[model] = (table, pairs, keys, insert(table))
    return shape


def connection() -> Connection:
    """The session's connection, in its transaction, after flushing pending changes as a query would."""
    session = db.session()  # the request's Session itself, not the proxy: each attribute is then direct
    if session.autoflush and (session._new or session._deleted or session.identity_map._modified):
        session.flush()
    return session.connection()


def attach(obj: T) -> T:
    """Put an object whose every column is set into the session as if it had been loaded."""
    make_transient_to_detached(obj)
    _add(db.session(), obj)
    return obj


def _add(session: Session, obj: Any) -> None:
    # What session.add() does for an object with an identity, without its cascade along every
    # relationship (a third of the cost here): these objects are attached one by one anyway.
    update = getattr(session, "_update_impl", None)
    if update is None:
        session.add(obj)
    else:
        update(instance_state(obj))


def loaded(model: type[T], row: Row[Any], prefix: str = "") -> T:
    """An ORM object of `model` from a Core row of all its columns, in the session as if loaded.

    `prefix`: the columns are labelled `<prefix><column>` in the row (a join of several tables).
    """
    _, pairs, keys, _ = _shape(model)
    mapping = row._mapping
    values = {attr: mapping[prefix + column] for attr, column in pairs}
    session = db.session()
    existing = session.identity_map.get((model, tuple(values[key] for key in keys), None))
    if existing is not None:  # already in this session (and perhaps changed there): that one
        return cast(T, existing)
    obj = model()
    # Straight into the instance's dict, as the ORM's own loading does (no change events).
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    _add(session, obj)
    return obj


def insert_row(obj: T) -> T:
    """INSERT a new object's row with Core (its column defaults applied), then attach it as loaded.

    Only for objects without unsaved related objects: relationships are not followed.
    """
    table, pairs, keys, statement = _shape(type(obj))
    state = obj.__dict__
    values = {column: state[attr] for attr, column in pairs if attr in state}
    result = connection().execute(statement, values)  # after pending rows it may refer to
    written = cast(dict[str, Any], result.last_inserted_params())
    for attr, column in pairs:
        if attr not in state or column in written:
            state[attr] = written.get(column)  # as loading does: no change events, history reset below
    for attr, value in zip(keys, result.inserted_primary_key or ()):
        if value is not None:
            state[attr] = value
    attach(obj)
    db.session().info.setdefault(_INSERTED, []).append(obj)
    return obj


# Objects inserted by insert_row in the current transaction. The session takes them for rows it
# loaded, so a rollback would keep them (expired) instead of forgetting them as it forgets rows it
# inserted itself: they are expunged on rollback, and forgotten from this list on commit.
_INSERTED = "rapport_inserted_rows"


def _forget_inserted(session: Session, *args: Any) -> None:
    session.info.pop(_INSERTED, None)


def _expunge_inserted(session: Session, *args: Any) -> None:
    for obj in session.info.pop(_INSERTED, ()):
        if obj in session:
            session.expunge(obj)


event.listen(Session, "after_commit", _forget_inserted)
event.listen(Session, "after_rollback", _expunge_inserted)
