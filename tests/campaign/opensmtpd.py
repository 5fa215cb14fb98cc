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

smtpd tells nobody when it is ready or when it has delivered a message, so
the waits here (``wait_until``) look at the state itself — a connection
accepted, a file in a Maildir, an empty spool — every 0.1 s until it holds,
and fail the test with what was awaited and the end of smtpd's log once
their deadline passes. The deadline only bounds a test that would
otherwise hang; no result depends on how long anything took.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest

SMTPD = Path("/usr/sbin/smtpd")
LOCK = Path("/tmp/leadex-mail-tests-opensmtpd.lock")
SPOOL = Path("/var/spool/smtpd")
RUN = Path("/run")


def smtpd_base(prefix: str) -> Path:
    """A new folder for one test's smtpd (its configuration, spool, Maildirs); fails or skips the test when smtpd cannot run.

    Fails when OpenSMTPD is not installed (``.ci/setup`` installs it), skips
    when this process is not root (smtpd must be started as root). The
    folder is 0755, not pytest's 0700: smtpd delivers as "nobody", who must
    reach the Maildirs inside. ``running_smtpd`` removes it.
    """
    if not SMTPD.exists():
        pytest.fail("OpenSMTPD is not installed: run `sh .ci/setup` (apt-get install opensmtpd)")
    if os.geteuid() != 0:
        pytest.skip("OpenSMTPD must be started as root")
    base = Path(tempfile.mkdtemp(prefix=prefix))
    base.chmod(0o755)
    return base


def make_maildirs(base: Path) -> Path:
    """``base/mail``, where smtpd (as "nobody") creates one Maildir per local part."""
    maildirs = base / "mail"
    maildirs.mkdir(mode=0o777)
    maildirs.chmod(0o777)  # mkdir's mode is cut by the umask
    return maildirs


def maildir_messages(folder: Path) -> list[Path]:
    """The messages delivered to the Maildir ``folder`` (its ``new/``), oldest name first; none when it does not exist yet."""
    return sorted((folder / "new").glob("*")) if (folder / "new").is_dir() else []


def wait_until(done: Callable[[], bool], what: Callable[[], str], log: Path | None, *, seconds: float = 60) -> None:
    """Look at smtpd's state every 0.1 s until ``done()``; fail with ``what()`` and the log's end after ``seconds``.

    A bounded poll of state, not a fixed wait: smtpd has no event to wait on
    (see the module's docstring). ``what`` says what was awaited and what
    was seen, e.g. "DSNs: 1 of 3 arrived".
    """
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else "(no log)"
            pytest.fail(f"{what()}, after {seconds:g} s\n{tail}")
        time.sleep(0.1)


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
                _wait_spool_drained(SPOOL, log_path)
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


def _wait_spool_drained(spool: Path, log: Path) -> None:
    """Fallback only (no private spool): wait until this smtpd removed every envelope from the machine's spool.

    The next test's smtpd shares that spool: stopping with an envelope left
    would let it deliver this test's mail into the next test's Maildirs.
    """

    def queued() -> list[Path]:
        return [p for p in (spool / "queue").rglob("*") if p.is_file()]

    wait_until(lambda: not queued(), lambda: f"smtpd's spool {spool} still holds {len(queued())} queue file(s)", log, seconds=20)


def _wait_listening(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Connect to ``port`` until smtpd accepts (it gives no readiness signal); fail at once if it exited."""

    def accepts() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"smtpd exited: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    wait_until(accepts, lambda: f"smtpd did not start listening on 127.0.0.1:{port}", log, seconds=20)
