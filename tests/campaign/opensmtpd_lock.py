"""One OpenSMTPD at a time on this machine, for the tests that start one.

smtpd has a single control socket per machine (``/var/run/smtpd.sock``, fixed
when it is built): a second smtpd started while one runs exits at once with
"control socket already listening". Two test runs on one machine (a developer's
and another's) would fail each other's MTA tests. Each fixture holds this
machine-wide lock for as long as its smtpd runs; another waits on the lock
(``flock``, woken when it is released), not on a clock.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK = Path("/tmp/leadex-mail-tests-opensmtpd.lock")


@contextmanager
def one_smtpd_at_a_time() -> Iterator[None]:
    """Hold the machine-wide OpenSMTPD lock for the ``with`` block."""
    with LOCK.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
