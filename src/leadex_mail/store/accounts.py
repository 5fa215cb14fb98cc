"""Studio accounts (Argon2id passwords) and the studio's audit log.

    add_user(store, "maja", "editor", "a long passphrase")
    user = authenticate(store, "maja", typed)     # the StudioUser, or None
    record(store, "maja", "send", "2026-09-leadex-02 -> newsletter", detail={...})

Passwords are hashed with Argon2id (argon2-cffi's ``PasswordHasher``,
RFC 9106 parameters as the library sets them), never stored. A name that
does not exist costs one hash as well, so the time of a refusal does not
tell whether the account exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from leadex_mail.errors import InvalidValue, NotFound
from leadex_mail.store.db import Store
from leadex_mail.store.models import STUDIO_ROLES, AuditEvent, StudioUser, utcnow

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 12  # NIST SP 800-63B allows 8; these accounts can mail thousands of people
_HASHER = PasswordHasher()
# Verified against when the name is unknown, so that a refusal takes as long either way.
_DUMMY_HASH = _HASHER.hash("leadex-not-a-password")


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


def add_user(store: Store, name: str, role: str, password: str, *, now: datetime | None = None) -> StudioUser:
    """Create an account; ``InvalidValue`` for a bad name, role or password or a name already taken."""
    check_name(name)
    if role not in STUDIO_ROLES:
        raise InvalidValue(f"unknown role {role!r}", hint=f"choose one of: {', '.join(STUDIO_ROLES)}")
    check_password(password)
    when = now or utcnow()
    user = StudioUser(name=name, role=role, password_hash=_HASHER.hash(password), created_at=when, updated_at=when)
    try:
        with store.session() as session:
            session.add(user)
    except IntegrityError:
        raise InvalidValue(f"there is already an account {name!r}", hint="choose another name, or `leadex-mail users remove` it first") from None
    return user


def set_password(store: Store, name: str, password: str) -> None:
    """Give ``name`` a new password; ``NotFound`` when there is no such account."""
    check_password(password)
    with store.session() as session:
        user = session.exec(select(StudioUser).where(StudioUser.name == name)).scalars().first()  # type: ignore[attr-defined]
        if user is None:
            raise NotFound(f"there is no account {name!r}", hint="`leadex-mail users list` shows the accounts")
        user.password_hash = _HASHER.hash(password)
        user.updated_at = utcnow()


def remove_user(store: Store, name: str) -> None:
    """Delete the account ``name``; ``NotFound`` when there is none."""
    with store.session() as session:
        user = session.exec(select(StudioUser).where(StudioUser.name == name)).scalars().first()  # type: ignore[attr-defined]
        if user is None:
            raise NotFound(f"there is no account {name!r}", hint="`leadex-mail users list` shows the accounts")
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
        set_password(store, name, password)
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
    """Append one entry to the audit log (never an address: name a subscriber by ``subscriber_id``)."""
    with store.session() as session:
        session.add(AuditEvent(at=now or utcnow(), actor=actor, action=action, target=target, subscriber_id=subscriber_id, detail=dict(detail or {})))


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
