"""Rows written with Core on the launch path behave as ORM rows: after a commit, and after a rollback."""
from __future__ import annotations

from sqlalchemy import select

from lti_plugin.extensions import db
from lti_plugin.models import User
from lti_plugin.services.core_rows import insert_row


def test_an_inserted_row_is_an_ordinary_orm_object_once_committed(app) -> None:
    with app.app_context():
        user = insert_row(User(issuer="https://lms.example", sub="u-1", name="Ana"))
        assert user.id is not None and user.created_at is not None and user.email == ""  # defaults applied
        user.email = "ana@example.edu"  # a later change is flushed as usual
        db.session.commit()
        db.session.expunge_all()
        again = db.session.scalar(select(User).where(User.sub == "u-1"))
        assert again is not None and (again.id, again.name, again.email) == (user.id, "Ana", "ana@example.edu")


def test_a_rolled_back_insert_leaves_nothing_behind(app) -> None:
    # A simultaneous first launch makes a launch roll back and record again: the rows it had
    # inserted must not linger in the session, or the second try collides with them.
    with app.app_context():
        first = insert_row(User(issuer="https://lms.example", sub="u-2"))
        db.session.rollback()
        assert first not in db.session
        second = insert_row(User(issuer="https://lms.example", sub="u-2"))
        db.session.commit()
        assert db.session.scalars(select(User.id).where(User.sub == "u-2")).all() == [second.id]
