"""Who is using the studio and what they may do: sessions, CSRF tokens, roles, sign-in limits.

Two modes (``Access``):

- **single-user** (the default on 127.0.0.1, like ``preview``): whoever can
  reach the loopback port is the officer at this computer; every page works
  and the audit log names them ``local:<os user>``.
- **accounts** (required on any other address, or asked for with
  ``--require-login``): every page but the sign-in page needs an account
  (``leadex-mail users add``).

Either way every request carries a session cookie (``HttpOnly``,
``SameSite=Strict``, and ``Secure`` in accounts mode) naming a server-side
session, and every POST must carry that session's CSRF token (form field
``csrf`` or header ``X-CSRF-Token``): a web page elsewhere can neither read
the token nor make the browser send the cookie. Signing in replaces the
session and its id (no session fixation); sessions end after
``IDLE_MINUTES`` without a request. A session signed in to an account
follows that account as the store holds it, whichever process changed it
(``leadex-mail users``): each request re-reads it (``web.py``), so a removed
account or a changed password ends the session and a new role applies at
once (``store.accounts.account_state``).

A browser whose session ended is told why on the sign-in page
(``ENDED``): it was idle too long, the studio was restarted since (session
ids start with a token of the studio's run, so an id from an earlier run is
known for what it is), or the account changed. Failed sign-ins are slowed where they
come from, never by locking the account (``throttle.LoginThrottle``).

With accounts the cookies are ``Secure``: a browser keeps them only over
HTTPS (or on a loopback address, which browsers trust), so ``secure_request``
says whether a request came that way -- its own scheme, or
``X-Forwarded-Proto`` from a proxy the server trusts (uvicorn's
``forwarded_allow_ips``, which rewrites the scheme before we see it).
"""

from __future__ import annotations

import ipaddress
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadex_mail.studio.throttle import DEVICE_DAYS, LoginThrottle

COOKIE = "leadex_studio"
DEVICE_COOKIE = "leadex_studio_device"  # a browser that signed in to an account before (throttle.py)
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
IDLE_MINUTES = 8 * 60
# Why a session ended, as the sign-in page says it (catalog key ``signed_out_<reason>``).
ENDED = ("expired", "restarted", "account")
_REMEMBER_ENDED = 10_000  # ended session ids kept to say why (oldest forgotten first; then "expired")

# What each role may do. Editors draft, preview and test-send; senders also
# send to lists (now or scheduled) and manage subscribers (the issue's "who
# may do what"); they read the audit log, which names what that work touched.
PERMISSIONS: dict[str, frozenset[str]] = {
    "editor": frozenset({"edit", "test_send", "reports"}),
    "sender": frozenset({"edit", "test_send", "reports", "send", "subscribers", "audit"}),
}


def local_actor() -> str:
    """How the audit log names the officer of a single-user studio: ``local:<os user>`` (``store.accounts.os_actor``)."""
    from leadex_mail.store.accounts import LOCAL, os_actor

    return os_actor(LOCAL)


@dataclass
class StudioSession:
    """One browser's session: who signed in (None before), their role, the CSRF token, the page language."""

    id: str
    csrf: str
    user: str | None = None
    role: str | None = None
    ui_language: str | None = None
    seen: datetime | None = None
    account: str | None = None  # the account's stamp when it signed in (store.accounts.account_stamp)
    ended: str | None = None  # why the session this browser had before ended (one of ENDED), until it signs in
    pending_import: tuple | None = None  # (token, (file name, bytes), options) of the import whose dry run was shown

    def may(self, permission: str) -> bool:
        """True when this session's role allows ``permission``."""
        return self.role is not None and permission in PERMISSIONS.get(self.role, frozenset())


class Sessions:
    """The server's sessions, in memory (a restart signs everyone out). Thread-safe.

    Ids are ``<run>.<random>``: ``run`` is drawn when the studio starts, so
    an id of an earlier run says the studio was restarted (``why_ended``).
    """

    def __init__(self, clock: Callable[[], datetime], *, single_user: str | None) -> None:
        self.clock = clock
        self.single_user = single_user
        self.run = secrets.token_urlsafe(6)
        self._by_id: dict[str, StudioSession] = {}
        self._ended: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sid: str | None) -> StudioSession | None:
        """The live session ``sid`` (seen now), or None when unknown or idle too long."""
        if not sid:
            return None
        now = self.clock()
        with self._lock:
            found = self._by_id.get(sid)
            if found is None:
                return None
            if found.seen is not None and now - found.seen > timedelta(minutes=IDLE_MINUTES):
                self._end(sid, "expired")
                return None
            found.seen = now
            return found

    def why_ended(self, sid: str) -> str | None:
        """Why the session ``sid``, not live, ended: one of ``ENDED`` (an id not of this run: ``restarted``); None when signed out."""
        with self._lock:
            reason = self._ended.get(sid)
        if reason is not None:
            return reason or None
        return "expired" if sid.startswith(f"{self.run}.") else "restarted"

    def new(self, *, ended: str | None = None) -> StudioSession:
        """A fresh session: the local officer's in single-user mode, else nobody's until sign-in.

        ``ended``: why this browser's previous session ended, for the sign-in page to say.
        """
        session = StudioSession(id=self._new_id(), csrf=secrets.token_urlsafe(32), seen=self.clock(), ended=ended)
        if self.single_user:
            session.user, session.role = self.single_user, "sender"
        with self._lock:
            self._by_id[session.id] = session
        return session

    def sign_in(self, old: StudioSession, user: str, role: str, account: str | None = None) -> StudioSession:
        """Replace ``old`` with a new session (new id, new CSRF token) for ``user`` (no session fixation).

        ``account``: the account's stamp now (``store.accounts.account_stamp``), which each later request checks.
        """
        fresh = StudioSession(id=self._new_id(), csrf=secrets.token_urlsafe(32), user=user, role=role, ui_language=old.ui_language, seen=self.clock(), account=account)
        with self._lock:
            self._by_id.pop(old.id, None)
            self._by_id[fresh.id] = fresh
        return fresh

    def sign_out(self, session: StudioSession) -> None:
        """End ``session`` (signed out: nothing to explain later)."""
        with self._lock:
            self._end(session.id, "")

    def end(self, session: StudioSession, reason: str) -> None:
        """End ``session`` because of ``reason`` (one of ``ENDED``), remembered for ``why_ended``."""
        with self._lock:
            self._end(session.id, reason)

    def _end(self, sid: str, reason: str) -> None:
        self._by_id.pop(sid, None)
        self._ended[sid] = reason
        while len(self._ended) > _REMEMBER_ENDED:
            self._ended.popitem(last=False)

    def _new_id(self) -> str:
        return f"{self.run}.{secrets.token_urlsafe(32)}"


def csrf_ok(session: StudioSession, sent: str | None) -> bool:
    """True when ``sent`` is this session's CSRF token (compared in constant time)."""
    return bool(sent) and secrets.compare_digest(str(sent), session.csrf)


@dataclass
class Access:
    """How the studio is served: single-user on loopback, or with accounts (``secure`` cookies)."""

    accounts: bool
    secure_cookies: bool
    sessions: Sessions
    login_throttle: LoginThrottle
    plain_http_seen: bool = False  # the operator was warned once that a browser came over plain HTTP

    @classmethod
    def make(cls, *, accounts: bool, clock: Callable[[], datetime]) -> Access:
        """Sessions and limits for the mode."""
        return cls(
            accounts=accounts,
            secure_cookies=accounts,
            sessions=Sessions(clock, single_user=None if accounts else local_actor()),
            login_throttle=LoginThrottle(clock),
        )

    def cookie(self, session: StudioSession) -> str:
        """The ``Set-Cookie`` value for ``session``."""
        flags = "; Path=/; HttpOnly; SameSite=Strict" + ("; Secure" if self.secure_cookies else "")
        return f"{COOKIE}={session.id}{flags}"

    def device_cookie(self, token: str) -> str:
        """The ``Set-Cookie`` value that marks this browser as one the account signed in from (sent to /login only)."""
        flags = f"; Path=/login; Max-Age={DEVICE_DAYS * 86400}; HttpOnly; SameSite=Strict" + ("; Secure" if self.secure_cookies else "")
        return f"{DEVICE_COOKIE}={token}{flags}"

    def expired_cookie(self) -> str:
        """A ``Set-Cookie`` value that removes the cookie."""
        flags = "; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" + ("; Secure" if self.secure_cookies else "")
        return f"{COOKIE}={flags}"


def secure_request(scheme: str, hostname: str | None) -> bool:
    """True when a browser keeps ``Secure`` cookies for this request: HTTPS, or a loopback host name.

    ``scheme`` is the request's as the server sees it (``https`` when a
    trusted proxy said so); browsers treat ``http://127.0.0.1``,
    ``http://[::1]`` and ``http://localhost`` as secure contexts.
    """
    if scheme in ("https", "wss"):
        return True
    host = (hostname or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
