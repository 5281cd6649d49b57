"""Local accounts: argon2-hashed passwords, roles, a scope per user, throttled sign-in."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hientai.settings import ReviewSettings
from hientai_app.review import audit
from hientai_app.review.caching import Recent
from hientai_app.review.db import ROLES, ReviewDB, utc_now

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 12
BAD_USERNAME = "username {name!r}: use 2-64 lowercase letters, digits, '.', '_' or '-'"
BAD_ROLE = "role {role!r}: choose one of {roles}"
SHORT_PASSWORD = "a password needs at least {n} characters"
USER_EXISTS = "user {name!r} already exists; use `hientai users reset` to change its password"
NO_USER = "no user {name!r}; `hientai users list` shows who exists"
_hasher = PasswordHasher()
# Verifying against this when the user does not exist takes as long as a real check, so the
# response time does not tell whether a username exists.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
# Signed-in accounts by (database, username), for settings.review.cache_seconds; every change
# to an account made in this process forgets it at once.
_recent_users: Recent[User | None] = Recent(0)


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class User:
    username: str
    role: str
    scope_org_id: str | None
    session_epoch: int


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def _check_new(username: str, role: str, password: str) -> None:
    if not USERNAME.match(username):
        raise AccountError(BAD_USERNAME.format(name=username))
    if role not in ROLES:
        raise AccountError(BAD_ROLE.format(role=role, roles=", ".join(ROLES)))
    if len(password) < MIN_PASSWORD:
        raise AccountError(SHORT_PASSWORD.format(n=MIN_PASSWORD))


def add_user(
    db: ReviewDB, username: str, *, role: str, password: str, scope_org_id: str | None, by: str
) -> None:
    _check_new(username, role, password)
    row = {
        "username": username,
        "password_hash": _hasher.hash(password),
        "role": role,
        "scope_org_id": scope_org_id or None,
        "active": True,
        "failed_signins": 0,
        "locked_until": None,
        "session_epoch": 0,
        "created_at": utc_now(),
    }

    def work(conn: sa.Connection) -> None:
        exists = conn.execute(
            sa.select(db.users.c.username).where(db.users.c.username == username)
        )
        if exists.first() is not None:
            raise AccountError(USER_EXISTS.format(name=username))
        conn.execute(db.users.insert().values(row))
        detail = {"role": role, "scope_org_id": scope_org_id}
        audit.append(db, conn, username=by, action="user_add", obj=username, detail=detail)

    audit.chained(db, work)
    _forget(username)


def _update_user(db: ReviewDB, username: str, values: dict, *, by: str, action: str) -> None:
    def work(conn: sa.Connection) -> None:
        users = db.users
        query = users.update().where(users.c.username == username)
        result = conn.execute(query.values(session_epoch=users.c.session_epoch + 1, **values))
        if result.rowcount == 0:
            raise AccountError(NO_USER.format(name=username))
        audit.append(db, conn, username=by, action=action, obj=username)

    audit.chained(db, work)
    _forget(username)


def disable_user(db: ReviewDB, username: str, *, by: str) -> None:
    _update_user(db, username, {"active": False}, by=by, action="user_disable")


def reset_password(db: ReviewDB, username: str, *, password: str, by: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(SHORT_PASSWORD.format(n=MIN_PASSWORD))
    values = {
        "password_hash": _hasher.hash(password),
        "active": True,
        "failed_signins": 0,
        "locked_until": None,
    }
    _update_user(db, username, values, by=by, action="user_reset")


def end_sessions(db: ReviewDB, username: str) -> None:
    """Sign the user out everywhere: sessions live in signed cookies, so a copy of one stays
    valid until it idles out unless the account's session epoch moves on."""
    users = db.users
    query = users.update().where(users.c.username == username)
    with db.engine.begin() as conn:
        conn.execute(query.values(session_epoch=users.c.session_epoch + 1))
    _forget(username)


def _forget(username: str) -> None:
    _recent_users.forget(lambda key: isinstance(key, tuple) and key[1] == username)


def list_users(db: ReviewDB) -> list[dict]:
    columns = [c for c in db.users.c if c.name != "password_hash"]
    with db.reader.connect() as conn:
        rows = conn.execute(sa.select(*columns).order_by(db.users.c.username))
        return [dict(row._mapping) for row in rows]


def load_user(db: ReviewDB, username: str, *, max_age: float = 0.0) -> User | None:
    """The active user ``username``, or None; an answer up to ``max_age`` seconds old may be
    reused (see settings.review.cache_seconds)."""
    key = (str(db.engine.url), username)
    return _recent_users.get(key, lambda: _read_user(db, username), seconds=max_age)


def _read_user(db: ReviewDB, username: str) -> User | None:
    users = db.users
    query = sa.select(users).where(users.c.username == username, users.c.active.is_(True))
    with db.reader.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return User(row.username, row.role, row.scope_org_id, row.session_epoch)


def authenticate(db: ReviewDB, username: str, password: str, conf: ReviewSettings) -> User | None:
    """The user if the password is right and the account neither disabled nor locked; counts
    failures and locks the account for a while after too many. The caller cannot tell which
    of these refused, by design."""
    users = db.users
    with db.reader.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    now = utc_now()
    if row is None or not row.active or _locked(row.locked_until, now):
        _verify(_DUMMY_HASH, password)
        _note_failure(db, username, row is not None, conf, now)
        return None
    if not _verify(row.password_hash, password):
        _note_failure(db, username, True, conf, now)
        return None
    with db.engine.begin() as conn:
        reset = {"failed_signins": 0, "locked_until": None}
        conn.execute(users.update().where(users.c.username == username).values(reset))
    return User(row.username, row.role, row.scope_org_id, row.session_epoch)


def _locked(until: dt.datetime | None, now: dt.datetime) -> bool:
    if until is None:
        return False
    if until.tzinfo is None:  # SQLite returns naive datetimes; they were stored in UTC
        until = until.replace(tzinfo=dt.UTC)
    return until > now


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _note_failure(
    db: ReviewDB, username: str, exists: bool, conf: ReviewSettings, now: dt.datetime
) -> None:
    def work(conn: sa.Connection) -> None:
        if exists:
            users = db.users
            failed = users.c.failed_signins + 1
            lock = sa.case(
                (failed >= conf.max_failed_signins, now + lockout),
                else_=users.c.locked_until,
            )
            query = users.update().where(users.c.username == username)
            conn.execute(query.values(failed_signins=failed, locked_until=lock))
        audit.append(db, conn, username=username[:64], action="signin_failed", obj=username[:200])

    lockout = dt.timedelta(minutes=conf.signin_lockout_minutes)
    audit.chained(db, work)
