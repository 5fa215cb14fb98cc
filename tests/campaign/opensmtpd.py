"""OpenSMTPD on loopback for the MTA tests: each smtpd with its own spool, started, waited for and stopped.

smtpd keeps its queue in one spool folder per machine (``/var/spool/smtpd``)
and has one control socket per machine (``/var/run/smtpd.sock``), both fixed
when it is built. A shared spool let one test's smtpd deliver what an earlier
smtpd left queued (an envelope whose removal was still pending when it was
stopped) into the next test's Maildirs: a recipient got the earlier test's
message as well as its own. So each smtpd runs in a private mount namespace
(``unshare --mount``, as root, which these tests need anyway) where its own
temporary folders are mounted over the spool and ``/run``: nothing queued
outlives its test, and two smtpd can run at once.

Where the kernel refuses a mount namespace (some containers), smtpd falls
back to the machine's spool and socket: ``running_smtpd`` then holds a
machine-wide lock (``flock``, woken on release, not a clock) for as long as
its smtpd runs, and waits for the spool to drain before stopping it.
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
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest

SMTPD = Path("/usr/sbin/smtpd")
LOCK = Path("/tmp/leadex-mail-tests-opensmtpd.lock")
SPOOL = Path("/var/spool/smtpd")
RUN = Path("/run")


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

    Its spool and control socket are folders under ``base`` (see the module's
    docstring). Fails the test if smtpd exits or does not listen within 20 s;
    stops it (SIGTERM, then SIGKILL after 10 s) and removes ``base`` afterwards.
    """
    log_path = base / "smtpd.log"
    private = _private_namespace_works(base)
    with (nullcontext() if private else one_smtpd_at_a_time()), log_path.open("w") as log:
        proc = subprocess.Popen(_command(conf, base, private), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            for port in ports:
                _wait_listening(proc, port, log_path)
            yield log_path
            if not private:
                _wait_spool_drained(SPOOL)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            shutil.rmtree(base, ignore_errors=True)


def _command(conf: Path, base: Path, private: bool) -> list[str]:
    smtpd = [str(SMTPD), "-d", "-f", str(conf)]
    if not private:
        return smtpd
    spool, run = base / "spool", base / "run"
    spool.mkdir(mode=0o711)  # smtpd refuses a spool root not owned by root with these modes
    spool.chmod(0o711)
    run.mkdir(mode=0o755)
    script = f'mount --bind "{spool}" {SPOOL} && mount --bind "{run}" {RUN} && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "smtpd", *smtpd]


def _private_namespace_works(base: Path) -> bool:
    """True when this process may give smtpd its own mount namespace with the spool mounted over."""
    if shutil.which("unshare") is None or not SPOOL.is_dir():
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "mount", "--bind", str(base), str(SPOOL)],
                           capture_output=True)
    return probe.returncode == 0


def _wait_spool_drained(spool: Path) -> None:
    # The machine's spool is shared with the next smtpd: stop only once this one has removed every
    # envelope it delivered, bounded (a test that left mail undelivered has already failed).
    deadline = time.monotonic() + 20
    while any(p.is_file() for p in (spool / "queue").rglob("*")) and time.monotonic() < deadline:
        time.sleep(0.1)


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
