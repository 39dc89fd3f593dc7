"""Login state and nonces in shared storage: the database by default, Redis when configured.

Each operation commits on its own, outside the request's transaction: a state is spent and a
nonce is used even when the launch that spent it is then refused. A launch spends its login and
uses that login's nonce in one step (`take_login_and_nonce`): one transaction in the database,
one script in Redis.
"""
from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import LoginState, UsedNonce, utcnow

if TYPE_CHECKING:
    from redis import Redis


def digest(value: str) -> str:
    """A SHA-256 hex digest: secrets are stored only as digests."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PendingLogin:
    """What Rapport remembers between the login redirect and the launch."""

    registration_id: int
    nonce_hash: str
    browser_hash: str
    target_link_uri: str
    storage_target: str | None = None  # the platform frame keeping state and nonce (Platform Storage)
    relaunch: dict[str, str] | None = None  # the login parameters, to start again in a new window


class StateStore(Protocol):
    """Where pending logins and used nonces live."""

    def put_login(self, state: str, login: PendingLogin, ttl: int) -> None:
        """Remember a pending login for `ttl` seconds."""

    def take_login(self, state: str) -> PendingLogin | None:
        """Return the pending login and forget it, atomically; None if unknown or expired."""

    def peek_login(self, state: str) -> PendingLogin | None:
        """Return the pending login without spending it; None if unknown or expired."""

    def use_nonce(self, nonce: str, ttl: int) -> bool:
        """Mark a nonce used; True only the first time, atomically across processes."""

    def take_login_and_nonce(self, state: str, nonce: str | None, ttl: int) -> tuple[PendingLogin | None, bool | None]:
        """`take_login`, and when the login was issued with this nonce, `use_nonce` with it in one step.

        The second value is what `use_nonce` answered, or None when the nonce was not used here
        (none given, not this login's, or a database without INSERT ... ON CONFLICT): then the
        caller uses it on its own.
        """


_LOGINS = cast(Table, LoginState.__table__)
_NONCES = cast(Table, UsedNonce.__table__)
_LOGIN_COLUMNS = (
    _LOGINS.c.registration_id, _LOGINS.c.nonce_hash, _LOGINS.c.browser_hash, _LOGINS.c.target_link_uri,
    _LOGINS.c.storage_target, _LOGINS.c.relaunch, _LOGINS.c.expires_at,
)
# Built once: each login and launch runs them, and building a statement costs more than running it.
_PUT_LOGIN = insert(_LOGINS)
_TAKE_LOGIN = delete(_LOGINS).where(_LOGINS.c.state_hash == bindparam("state_hash")).returning(*_LOGIN_COLUMNS)
_PEEK_LOGIN = select(*_LOGIN_COLUMNS).where(_LOGINS.c.state_hash == bindparam("state_hash"))
_USE_NONCE = insert(_NONCES)
# A used nonce inserted only if it is new, without an error that would undo the login's spending;
# it returns a row only when it inserted one (rowcount is not reliable with RETURNING).
_USE_NONCE_IF_NEW = {
    "sqlite": sqlite.insert(_NONCES).on_conflict_do_nothing().returning(_NONCES.c.nonce_hash),
    "postgresql": postgresql.insert(_NONCES).on_conflict_do_nothing().returning(_NONCES.c.nonce_hash),
}


class DatabaseStateStore:
    """State in the application database, each call in its own short transaction."""

    purge_chance = 0.02

    def put_login(self, state: str, login: PendingLogin, ttl: int) -> None:
        now = utcnow()
        with db.engine.begin() as conn:
            if random.random() < self.purge_chance:
                conn.execute(delete(LoginState).where(LoginState.expires_at < now))
                conn.execute(delete(UsedNonce).where(UsedNonce.expires_at < now))
            conn.execute(_PUT_LOGIN, {"state_hash": digest(state), "expires_at": now + timedelta(seconds=ttl),
                                      **vars(login)})

    def take_login(self, state: str) -> PendingLogin | None:
        with db.engine.begin() as conn:
            row = conn.execute(_TAKE_LOGIN, {"state_hash": digest(state)}).first()
        return _pending(row)

    def peek_login(self, state: str) -> PendingLogin | None:
        with db.engine.connect() as conn:
            row = conn.execute(_PEEK_LOGIN, {"state_hash": digest(state)}).first()
        return _pending(row)

    def use_nonce(self, nonce: str, ttl: int) -> bool:
        try:
            with db.engine.begin() as conn:
                conn.execute(_USE_NONCE, {"nonce_hash": digest(nonce),
                                          "expires_at": utcnow() + timedelta(seconds=ttl)})
        except IntegrityError:
            return False
        return True

    def take_login_and_nonce(self, state: str, nonce: str | None, ttl: int) -> tuple[PendingLogin | None, bool | None]:
        # One transaction (one commit) instead of two on every launch.
        with db.engine.begin() as conn:
            pending = _pending(conn.execute(_TAKE_LOGIN, {"state_hash": digest(state)}).first())
            statement = _USE_NONCE_IF_NEW.get(conn.dialect.name)
            if pending is None or nonce is None or statement is None or digest(nonce) != pending.nonce_hash:
                return pending, None
            inserted = conn.execute(statement, {"nonce_hash": pending.nonce_hash,
                                                "expires_at": utcnow() + timedelta(seconds=ttl)}).first()
            return pending, inserted is not None


# Spend a login and, when it was issued with this nonce (its digest in ARGV[1]), use the nonce:
# one round trip instead of two. Replies {login or "", 1 used now | 0 used before | -1 not tried}.
_TAKE_LOGIN_AND_NONCE = """
local raw = redis.call('GETDEL', KEYS[1])
if not raw then return {'', -1} end
local ok, login = pcall(cjson.decode, raw)
if not ok or type(login) ~= 'table' or login['nonce_hash'] ~= ARGV[1] then return {raw, -1} end
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', tonumber(ARGV[2])) then return {raw, 1} end
return {raw, 0}
"""


class RedisStateStore:
    """State in Redis, shared by every worker and host, expired by Redis itself."""

    def __init__(self, client: "Redis", prefix: str = "rapport:") -> None:
        self.client = client
        self.prefix = prefix
        self._take_login_and_nonce = client.register_script(_TAKE_LOGIN_AND_NONCE)

    def put_login(self, state: str, login: PendingLogin, ttl: int) -> None:
        self.client.set(f"{self.prefix}state:{digest(state)}", json.dumps(vars(login)), ex=ttl)

    def take_login(self, state: str) -> PendingLogin | None:
        raw = self.client.getdel(f"{self.prefix}state:{digest(state)}")
        return None if raw is None else PendingLogin(**json.loads(raw))

    def peek_login(self, state: str) -> PendingLogin | None:
        raw = self.client.get(f"{self.prefix}state:{digest(state)}")
        return None if raw is None else PendingLogin(**json.loads(raw))

    def use_nonce(self, nonce: str, ttl: int) -> bool:
        return bool(self.client.set(f"{self.prefix}nonce:{digest(nonce)}", b"1", nx=True, ex=ttl))

    def take_login_and_nonce(self, state: str, nonce: str | None, ttl: int) -> tuple[PendingLogin | None, bool | None]:
        if nonce is None:
            return self.take_login(state), None
        # Both keys on one Redis, as Rapport runs it (a Redis Cluster would need them in one slot).
        raw, used = self._take_login_and_nonce(
            keys=[f"{self.prefix}state:{digest(state)}", f"{self.prefix}nonce:{digest(nonce)}"],
            args=[digest(nonce), ttl])
        pending = PendingLogin(**json.loads(raw)) if raw else None
        return pending, None if int(used) < 0 else bool(int(used))


def _pending(row: Any) -> PendingLogin | None:
    """A login_state row as a PendingLogin; None when there is none or it has expired."""
    if row is None:
        return None
    expires_at = row.expires_at
    if expires_at.tzinfo is None:  # RETURNING bypasses the ORM type on some drivers
        expires_at = expires_at.replace(tzinfo=utcnow().tzinfo)
    if expires_at < utcnow():
        return None
    return PendingLogin(row.registration_id, row.nonce_hash, row.browser_hash, row.target_link_uri,
                        row.storage_target, row.relaunch)
