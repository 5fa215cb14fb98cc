"""How fast anyone may guess a studio password, without letting them lock the owner out.

    throttle = LoginThrottle(clock)
    wait = throttle.wait(address, name, device)   # seconds; 0: the password may be checked
    throttle.failed(address, name, device)        # after a wrong password
    device = throttle.succeeded(address, name, device)   # after a right one: the browser's device token

Locking an *account* after a few wrong passwords lets anyone who knows an
officer's name lock them out (a denial of service). Following OWASP's
Authentication Cheat Sheet ("Login Throttling") and its "Slow Down Online
Guessing Attacks with Device Cookies", failures are counted where they come
from:

- **a browser the account signed in from before** carries a *device token*
  (an ``HttpOnly``, ``Secure`` cookie given at each successful sign-in, valid
  for that account only). It is limited by its own count of failures
  (``DEVICE_LIMIT``) and by nothing else: however hard others guess, the
  officer's own browser still gets in.
- **any other browser** is limited per (client address, account)
  (``PAIR_LIMIT``: one address guessing one account) and per client address
  (``ADDRESS_LIMIT``: one address trying many names). When many addresses
  guess one account (more than ``ACCOUNT_LIMIT`` failures from browsers it
  does not trust), each address's own limit for that account drops to
  ``GUESSED_PAIR_LIMIT``: the guessing slows down, every guesser pays for
  it, and nobody is refused for what *other* addresses typed -- the right
  password from an address that has not failed is still checked (a13c #12:
  a per-account lock let anyone who knew an officer's name keep them out
  of every new browser; OWASP's Authentication Cheat Sheet warns that
  account lockout is a denial of service).

A refused attempt checks no password and is not counted; a successful sign-in
clears the counts of that pair and device. Counts and device tokens live in
memory (a restart forgets them, as it forgets sessions). The limits apply to
names that do not exist exactly as to names that do, so they tell nothing
about which accounts exist.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

WINDOW = 15 * 60.0  # seconds
PAIR_LIMIT = 5  # failures per (address, account) in WINDOW
ADDRESS_LIMIT = 20  # failures per address, any account names, in WINDOW
ACCOUNT_LIMIT = 10  # failures per account from browsers it does not trust, in WINDOW, beyond which ...
GUESSED_PAIR_LIMIT = 2  # ... each (address, account) may fail only this often (never a lock of the account)
DEVICE_LIMIT = 5  # failures per trusted browser in WINDOW
DEVICE_DAYS = 180  # how long a browser stays trusted after a successful sign-in
_DEVICES_PER_ACCOUNT = 20  # the oldest trusted browser of an account is forgotten beyond this


@dataclass
class _Device:
    name: str
    issued: float  # epoch seconds


class _Counts:
    """Failures per key within the last ``WINDOW`` seconds (a sliding window)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._hits: dict[str, deque[float]] = {}

    def wait(self, key: str, now: float, limit: int | None = None) -> float:
        """Seconds until ``key`` may try again (0: now), under ``limit`` (default: this table's)."""
        limit = self.limit if limit is None else limit
        hits = self._trim(key, now)
        # Below the limit once all but limit-1 of the failures in the window have aged out.
        return 0.0 if len(hits) < limit else hits[len(hits) - limit] + WINDOW - now

    def count(self, key: str, now: float) -> int:
        """Failures of ``key`` in the window."""
        return len(self._trim(key, now))

    def add(self, key: str, now: float) -> None:
        self._trim(key, now).append(now)

    def clear(self, key: str) -> None:
        self._hits.pop(key, None)

    def sweep(self, now: float) -> None:
        """Forget keys with no failure in the window (the table cannot grow without bound)."""
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - WINDOW]:
            del self._hits[key]

    def _trim(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - WINDOW:
            hits.popleft()
        return hits


class LoginThrottle:
    """Failed sign-ins counted per trusted browser, per (address, account), per address and per account (a slowdown, never a lock). Thread-safe.

    ``clock`` gives the time (tests move it). ``address`` is the client's IP
    address as the server sees it (behind a trusted proxy: the one it names);
    ``name`` the account name typed (lower-cased); ``device`` the browser's
    device token, or None.
    """

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self._pairs, self._addresses = _Counts(PAIR_LIMIT), _Counts(ADDRESS_LIMIT)
        self._accounts, self._devices_failed = _Counts(ACCOUNT_LIMIT), _Counts(DEVICE_LIMIT)
        self._devices: dict[str, _Device] = {}
        self._lock = threading.Lock()
        self._last_sweep = 0.0

    def wait(self, address: str, name: str, device: str | None) -> int:
        """Whole seconds before this browser may try ``name`` again; 0 when its password may be checked now."""
        now = self.clock().timestamp()
        with self._lock:
            self._sweep(now)
            if self._trusted(device, name, now):
                seconds = self._devices_failed.wait(f"{device}", now)
            else:
                guessed = self._accounts.count(name, now) >= ACCOUNT_LIMIT
                pair_limit = GUESSED_PAIR_LIMIT if guessed else PAIR_LIMIT
                seconds = max(self._pairs.wait(f"{address}\0{name}", now, pair_limit), self._addresses.wait(address, now))
        return int(seconds) + 1 if seconds > 0 else 0

    def failed(self, address: str, name: str, device: str | None) -> None:
        """Count a wrong password (or an unknown name)."""
        now = self.clock().timestamp()
        with self._lock:
            if self._trusted(device, name, now):
                self._devices_failed.add(f"{device}", now)
                return
            self._pairs.add(f"{address}\0{name}", now)
            self._addresses.add(address, now)
            self._accounts.add(name, now)

    def succeeded(self, address: str, name: str, device: str | None) -> str:
        """The right password: clear this browser's counts; the device token it keeps (a new one unless it had one for ``name``)."""
        now = self.clock().timestamp()
        with self._lock:
            self._pairs.clear(f"{address}\0{name}")
            if self._trusted(device, name, now):
                self._devices_failed.clear(f"{device}")
                return device  # type: ignore[return-value]
            token = secrets.token_urlsafe(32)
            self._devices[token] = _Device(name, now)
            mine = [t for t, d in self._devices.items() if d.name == name]
            for old in mine[:-_DEVICES_PER_ACCOUNT]:
                del self._devices[old]
            return token

    def forget(self, name: str) -> None:
        """Trust no browser of ``name`` any more (account removed)."""
        with self._lock:
            for token in [t for t, d in self._devices.items() if d.name == name]:
                del self._devices[token]

    def _trusted(self, device: str | None, name: str, now: float) -> bool:
        found = self._devices.get(device) if device else None
        return found is not None and found.name == name and now - found.issued < DEVICE_DAYS * 86400

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < WINDOW:
            return
        self._last_sweep = now
        for counts in (self._pairs, self._addresses, self._accounts, self._devices_failed):
            counts.sweep(now)
        for token in [t for t, d in self._devices.items() if now - d.issued >= DEVICE_DAYS * 86400]:
            del self._devices[token]
