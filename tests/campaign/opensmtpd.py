"""OpenSMTPD on loopback for the MTA tests: one at a time on this machine, started, waited for and stopped.

smtpd has a single control socket per machine (``/var/run/smtpd.sock``, fixed
when it is built): a second smtpd started while one runs exits at once with
"control socket already listening". Two test runs on one machine (a developer's
and another's) would fail each other's MTA tests. ``running_smtpd`` holds a
machine-wide lock for as long as its smtpd runs; another waits on the lock
(``flock``, woken when it is released), not on a clock.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SMTPD = Path("/usr/sbin/smtpd")
LOCK = Path("/tmp/leadex-mail-tests-opensmtpd.lock")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def one_smtpd_at_a_time() -> Iterator[None]:
    """Hold the machine-wide OpenSMTPD lock for the ``with`` block."""
    with LOCK.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def running_smtpd(conf: Path, ports: list[int], base: Path) -> Iterator[Path]:
    """smtpd in the foreground on ``conf``, listening on every port of ``ports``; yields its log's path.

    Fails the test if smtpd exits or does not listen within 20 s; stops it
    (SIGTERM, then SIGKILL after 10 s) and removes ``base`` afterwards.
    """
    log_path = base / "smtpd.log"
    with one_smtpd_at_a_time(), log_path.open("w") as log:
        proc = subprocess.Popen([str(SMTPD), "-d", "-f", str(conf)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            for port in ports:
                _wait_listening(proc, port, log_path)
            yield log_path
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            shutil.rmtree(base, ignore_errors=True)


def _wait_listening(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    # smtpd gives no readiness signal: try to connect until it answers, bounded.
    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            pytest.fail(f"smtpd exited: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail("smtpd did not start listening")
            time.sleep(0.1)
