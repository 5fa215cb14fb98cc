"""Studio accounts (Argon2id passwords) and the audit log.

    add_user(store, "maja", "editor", "a long passphrase", actor="cli:ops")
    user = authenticate(store, "maja", typed)     # the StudioUser, or None
    stamp = account_stamp(user)                   # what a session signed in as it remembers
    account_state(store, "maja")                  # AccountState(role, stamp) now, or None: one indexed read
    record(store, "maja", "send", "2026-09-leadex-02 -> newsletter", detail={...})

Passwords are hashed with Argon2id (argon2-cffi's ``PasswordHasher``,
RFC 9106 parameters as the library sets them), never stored. A name that
does not exist costs one hash as well, so the time of a refusal does not
tell whether the account exists.

Sessions follow the account, in every process that serves the studio: a
session remembers the ``account_stamp`` it signed in with, and each of its
requests compares it with ``account_state`` read from the store. The stamp
is a digest of the row's id and password hash, so removing the account,
giving it a new password (or re-creating it under the same name) ends its
sessions at their next request; the role is read fresh each time, so a role
change applies at the next request without signing anyone out. A change
made by ``leadex-mail users`` in another process needs no message to the
studio: the store is the one place both read.

Every account change is written in the audit log in the same transaction
as the change (both or neither): ``user_add`` and ``user_remove`` (with
the role), ``user_password``, ``user_role`` (``from_role``, ``to_role``),
by the ``actor`` the caller names: an account name from the studio,
``local:<os user>`` for the single-user studio, ``cli:<os user>`` for
``leadex-mail users`` (``os_actor``). Never a password or its hash.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from leadex_mail.errors import InvalidValue, NotFound
from leadex_mail.store.db import Store
from leadex_mail.store.models import STUDIO_ROLES, AuditEvent, StudioUser, utcnow

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 12  # NIST SP 800-63B allows 8; these accounts can mail thousands of people
_HASHER = PasswordHasher()
# Verified against when the name is unknown, so that a refusal takes as long either way.
_DUMMY_HASH = _HASHER.hash("leadex-not-a-password")
# Where a change came from, in the audit log's ``<place>:<os user>`` actors (``os_actor``).
LOCAL, CLI, WORKER = "local", "cli", "worker"


def os_actor(place: str) -> str:
    """How the audit log names whoever runs this process at ``place``: ``<place>:<os user>``, or ``place`` alone when the uid has no name (a container).

    ``place`` is ``LOCAL`` (the single-user studio), ``CLI`` (a command) or
    ``WORKER`` (``leadex-mail worker``, sending what was scheduled): where the
    change came from, then who. The OS user is what this machine says, not proof.
    """
    import getpass

    try:
        return f"{place}:{getpass.getuser()}"
    except (KeyError, OSError):
        return place


def check_name(name: str) -> str:
    """``name`` if it can be an account name; ``InvalidValue`` otherwise."""
    if not NAME_RE.match(name):
        raise InvalidValue(f"{name!r} cannot be an account name", hint="use lower-case letters, digits, '.', '_' or '-', e.g. maja.novak")
    return name


def check_password(password: str) -> str:
    """``password`` if it is long enough; ``InvalidValue`` otherwise."""
    if len(password) < MIN_PASSWORD:
        raise InvalidValue(f"the password is too short ({len(password)} characters)", hint=f"use at least {MIN_PASSWORD} characters; a few words make a good one")
    return password


def add_user(store: Store, name: str, role: str, password: str, *, actor: str, now: datetime | None = None) -> StudioUser:
    """Create an account, logged as ``user_add`` by ``actor``; ``InvalidValue`` for a bad name, role or password or a name already taken.

    Every caller names ``actor`` (set-up code too: a test's or a bench's
    accounts say so), as for every other change of an account.
    """
    check_name(name)
    _check_role(role)
    check_password(password)
    when = now or utcnow()
    user = StudioUser(name=name, role=role, password_hash=_HASHER.hash(password), created_at=when, updated_at=when)
    try:
        with store.session() as session:
            session.add(user)
            _log(session, actor, "user_add", name, {"role": role}, when)
    except IntegrityError:
        raise InvalidValue(f"there is already an account {name!r}", hint="choose another name, or `leadex-mail users remove` it first") from None
    return user


class AccountState(NamedTuple):
    """An account as a session's next request sees it: its role now, and its ``account_stamp``."""

    role: str
    stamp: str


def account_stamp(user: StudioUser) -> str:
    """A digest (hex) of the account's id and password hash: it changes when the password does or the account is re-created.

    Argon2 salts every hash, so even the same password set again gives a new stamp.
    """
    return _stamp(user.id, user.password_hash)


def _stamp(user_id: int | None, password_hash: str) -> str:
    return hashlib.sha256(f"{user_id}\0{password_hash}".encode()).hexdigest()


# Built once: compiled once by SQLAlchemy's cache, not again for each request.
_STATE = select(StudioUser.id, StudioUser.role, StudioUser.password_hash).where(StudioUser.name == bindparam("name"))  # type: ignore[call-overload]


def account_state(store: Store, name: str) -> AccountState | None:
    """``name``'s role and stamp as the store holds them now (one read by the unique name); None when there is no such account.

    Every request of a signed-in session makes it, so it reads three columns
    on a plain connection (no ORM session): ~0.1 ms on SQLite (bench/studio_latency_bench.py).
    """
    with store.errors(), store.engine.connect() as conn:
        row = conn.execute(_STATE, {"name": name}).first()
    return None if row is None else AccountState(row.role, _stamp(row.id, row.password_hash))


def set_password(store: Store, name: str, password: str, *, actor: str) -> StudioUser:
    """Give ``name`` a new password (its sessions end at their next request), logged as ``user_password`` by ``actor``.

    The account; ``NotFound`` when there is none, ``InvalidValue`` for a short password.
    """
    check_password(password)
    return _rehash(store, name, password, actor=actor)


def _rehash(store: Store, name: str, password: str, *, actor: str | None) -> StudioUser:
    """Store a new hash of ``password`` for ``name``; logged when ``actor`` is given (None: the same password, hashed anew)."""
    with store.session() as session:
        user = _existing(session, name)
        user.password_hash = _HASHER.hash(password)
        user.updated_at = utcnow()
        if actor is not None:
            _log(session, actor, "user_password", name, {}, user.updated_at)
    return user


def set_role(store: Store, name: str, role: str, *, actor: str) -> bool:
    """Give ``name`` the role ``role`` (its sessions have it at their next request), logged as ``user_role`` (``from_role``, ``to_role``) by ``actor``.

    False (and nothing logged) when it had it already. ``NotFound`` when there
    is no such account, ``InvalidValue`` for an unknown role.
    """
    _check_role(role)
    with store.session() as session:
        user = _existing(session, name)
        if user.role == role:
            return False
        _log(session, actor, "user_role", name, {"from_role": user.role, "to_role": role}, utcnow())
        user.role = role
        user.updated_at = utcnow()
    return True


def _check_role(role: str) -> None:
    if role not in STUDIO_ROLES:
        raise InvalidValue(f"unknown role {role!r}", hint=f"choose one of: {', '.join(STUDIO_ROLES)}")


def _existing(session, name: str) -> StudioUser:  # type: ignore[no-untyped-def]
    user = session.exec(select(StudioUser).where(StudioUser.name == name)).scalars().first()
    if user is None:
        raise NotFound(f"there is no account {name!r}", hint="`leadex-mail users list` shows the accounts")
    return user


def remove_user(store: Store, name: str, *, actor: str) -> None:
    """Delete the account ``name`` (its sessions end at their next request), logged as ``user_remove`` (with its role) by ``actor``.

    ``NotFound`` when there is none.
    """
    with store.session() as session:
        user = _existing(session, name)
        _log(session, actor, "user_remove", name, {"role": user.role}, utcnow())
        session.delete(user)


def list_users(store: Store) -> list[StudioUser]:
    """Every account, by name."""
    with store.session(write=False) as session:
        return list(session.exec(select(StudioUser).order_by(StudioUser.name)).scalars())  # type: ignore[arg-type]


def has_users(store: Store) -> bool:
    """True when at least one account exists."""
    with store.session(write=False) as session:
        return session.exec(select(StudioUser.id).limit(1)).first() is not None  # type: ignore[arg-type]


def authenticate(store: Store, name: str, password: str) -> StudioUser | None:
    """The account when ``password`` is its password; None otherwise (unknown names cost the same time)."""
    with store.session(write=False) as session:
        user = session.exec(select(StudioUser).where(StudioUser.name == name)).scalars().first()  # type: ignore[attr-defined]
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _HASHER.check_needs_rehash(user.password_hash):  # parameters were raised since: upgrade on the way in
        # A new hash is a new stamp: the session about to start must carry the new one (the
        # account's other open sessions end, as after any password change; this happens once).
        return _rehash(store, name, password, actor=None)  # not a change of password: nothing for the audit log
    return user


def record(
    store: Store,
    actor: str,
    action: str,
    target: str = "",
    *,
    subscriber_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Append one entry to the audit log (never an address: name a subscriber by ``subscriber_id``).

    ``actor``: an account name, or ``os_actor``'s ``local:<os user>`` (the
    single-user studio), ``cli:<os user>`` (the command line) or
    ``worker:<os user>`` (the worker). ``StoreError`` when it cannot be written.
    """
    with store.session() as session:
        _log(session, actor, action, target, detail, now or utcnow(), subscriber_id=subscriber_id)


def _log(session, actor: str, action: str, target: str, detail: Mapping[str, Any] | None, at: datetime, *, subscriber_id: int | None = None) -> None:  # type: ignore[no-untyped-def]
    """Add an audit entry to ``session``: written with the change it records, in one transaction."""
    Entry(actor, action, target, subscriber_id=subscriber_id, detail=dict(detail or {})).write(session.connection(), at)


@dataclass(frozen=True)
class Entry:
    """An audit entry a store function writes in the transaction of the change it records (both or neither).

    For changes made by functions of other store modules (``schedule.schedule_send``,
    ``campaigns.requeue_failed``): the caller says who and what, the function
    adds what only it knows (``with_detail``) and writes it with its change.
    """

    actor: str
    action: str
    target: str = ""
    subscriber_id: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    def with_detail(self, **more: Any) -> Entry:
        """This entry with ``more`` details (what the change found: ``moved``, how many)."""
        return dataclasses.replace(self, detail={**self.detail, **more})

    def write(self, conn: Connection, at: datetime) -> None:
        """Insert the entry in ``conn``'s transaction."""
        row = {"at": at, "actor": self.actor, "action": self.action, "target": self.target, "subscriber_id": self.subscriber_id, "detail": dict(self.detail)}
        conn.execute(insert(AuditEvent.__table__).values(**row))  # type: ignore[attr-defined]


def audit_log(store: Store, *, limit: int = 200, offset: int = 0, actor: str | None = None, action: str | None = None) -> list[AuditEvent]:
    """The newest entries of the audit log first (only ``actor``'s, only ``action``, when given), from ``offset``."""
    query = _audit_filter(select(AuditEvent), actor, action)
    with store.session(write=False) as session:
        rows = session.exec(query.order_by(AuditEvent.id.desc()).offset(offset).limit(limit)).scalars()  # type: ignore[union-attr]
        return list(rows)


def audit_count(store: Store, *, actor: str | None = None, action: str | None = None) -> int:
    """How many entries ``audit_log`` with these filters has in all (for paging)."""
    query = _audit_filter(select(func.count()).select_from(AuditEvent), actor, action)
    with store.session(write=False) as session:
        return int(session.exec(query).scalar_one())  # type: ignore[call-overload]


def audit_names(store: Store) -> tuple[list[str], list[str]]:
    """(every actor, every action) that occurs in the audit log, sorted: what it can be filtered by."""
    with store.session(write=False) as session:
        actors = session.exec(select(AuditEvent.actor).distinct().order_by(AuditEvent.actor)).scalars()  # type: ignore[call-overload]
        actions = session.exec(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).scalars()  # type: ignore[call-overload]
        return list(actors), list(actions)


def _audit_filter(query, actor: str | None, action: str | None):  # type: ignore[no-untyped-def]
    if actor is not None:
        query = query.where(AuditEvent.actor == actor)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return query
