"""Rapport's administrators: accounts made from the command line, passwords, sign-in with lockout."""
from __future__ import annotations

import functools
import hashlib
import re
from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import AdminUser, utcnow

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
MAX_FAILURES = 5
LOCK_MINUTES = 15


@functools.cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so that a wrong name costs as long as a wrong password."""
    return generate_password_hash("rapport-no-such-administrator")


class AdminError(Exception):
    """An administrator account cannot be created, changed or signed in; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AdminError(f"The password must have at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise AdminError(f"The password must have at most {MAX_PASSWORD} characters.")


def find_admin(username: str) -> AdminUser | None:
    """The administrator with this username, or None."""
    return db.session.scalar(select(AdminUser).where(AdminUser.username == username))


def create_admin(username: str, password: str) -> AdminUser:
    """A new administrator with a hashed password (flushes)."""
    if not USERNAME_RE.match(username):
        raise AdminError("The username must be 1 to 64 letters, digits or . _ @ - (starting with a letter or digit).")
    if find_admin(username) is not None:
        raise AdminError(f"An administrator named {username} already exists; change the password with `rapport admin passwd`.")
    _check_password(password)
    admin = AdminUser(username=username, password_hash=generate_password_hash(password), failed_logins=0)
    db.session.add(admin)
    db.session.flush()
    return admin


def set_password(username: str, password: str) -> AdminUser:
    """Change an administrator's password and lift any lockout; signs out their sessions (flushes)."""
    admin = find_admin(username)
    if admin is None:
        raise AdminError(f"No administrator is named {username}; see `rapport admin list`.")
    _check_password(password)
    admin.password_hash = generate_password_hash(password)
    admin.failed_logins = 0
    admin.locked_until = None
    db.session.flush()
    return admin


def password_stamp(admin: AdminUser) -> str:
    """A short fingerprint of the password hash: a session made before a password change stops working."""
    return hashlib.sha256(admin.password_hash.encode("utf-8")).hexdigest()[:16]


def authenticate(username: str, password: str) -> AdminUser:
    """The administrator these credentials belong to; counts failures and locks the account for a while (flushes)."""
    refused = AdminError("That username and password do not match.")
    admin = find_admin(username) if len(username) <= 64 else None
    if admin is None or len(password) > MAX_PASSWORD:
        check_password_hash(_dummy_hash(), password[:MAX_PASSWORD])
        raise refused
    now = utcnow()
    if admin.locked_until is not None and admin.locked_until > now:
        raise AdminError(
            f"This account is locked after {MAX_FAILURES} wrong passwords until "
            f"{admin.locked_until:%H:%M} UTC. Wait, or set a new password with `rapport admin passwd`."
        )
    if not check_password_hash(admin.password_hash, password):
        admin.failed_logins += 1
        if admin.failed_logins >= MAX_FAILURES:
            admin.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            admin.failed_logins = 0
        db.session.flush()
        raise refused
    admin.failed_logins = 0
    admin.locked_until = None
    admin.last_login_at = now
    db.session.flush()
    return admin
