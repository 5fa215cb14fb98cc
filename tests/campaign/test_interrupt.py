"""Ctrl-C and SIGTERM during ``send``: a real ``leadex-mail send`` process, real signals, a loopback server held mid-message.

The server keeps both workers' messages at the end of DATA (an event, no
sleeps) while the signal arrives; the process must finish exactly those,
give back everything else (no row left "sending"), print the resume command
and exit 128 + the signal's number. Running the same command again then
sends the rest, each person once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest
from campaign_helpers import ISSUE, REPO, email_of, smtp_env
from faulty_smtp import faulty_server
from sinks import Policy, Session

from leadex_mail.store import campaigns
from leadex_mail.campaign.runner import send_campaign

KEY = "campaign-test-secret-key-0123456789abcdef"  # pre-flight: >= 32 characters for SMTP

RECIPIENTS = 20
WAIT = 120.0  # only bounds a test that would otherwise hang; reaching it is a failure


class HoldAtEndOfData(Policy):
    """Keeps every message's final reply back until ``release`` is set; ``in_hand`` counts those waiting."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.arrived = threading.Condition()
        self.in_hand = 0

    def on_data_end(self, session: Session, data: bytes) -> str | None:
        with self.arrived:
            self.in_hand += 1
            self.arrived.notify_all()
        self.release.wait()
        return None

    def wait_in_hand(self, n: int) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: self.in_hand >= n, WAIT), f"{n} messages never arrived"


class Output:
    """Reads a process's merged output line by line in a thread; ``wait_for(text)`` blocks until a line has it."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    def wait_for(self, text: str) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: any(text in line for line in self.lines), WAIT), "".join(self.lines)

    def text(self) -> str:
        self.thread.join(WAIT)
        return "".join(self.lines)


def send_process(tmp_path, settings, server, *extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "LEADEX_DATABASE_URL": settings.database_url,
        "LEADEX_NEWSLETTERS_DIR": str(REPO / "newsletters"),
        "LEADEX_IMAGES_URL": "https://images.example.org",
        **smtp_env(server),
    }
    cmd = [sys.executable, "-m", "leadex_mail", "send", ISSUE, "--list", "newsletter", "--yes", "--concurrency", "2", *extra]
    return subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_signal_finishes_the_messages_in_hand_and_gives_back_the_rest(tmp_path, settings, store, people, signum) -> None:
    people(RECIPIENTS)
    policy = HoldAtEndOfData()
    server = faulty_server(policy)
    try:
        proc = send_process(tmp_path, settings, server)
        out = Output(proc)
        policy.wait_in_hand(2)  # each worker has a message on the wire, its reply held back
        proc.send_signal(signum)
        out.wait_for("Stopping")  # the process took the signal as a stop request...
        policy.release.set()  # ...and only now do the two messages in hand get their "250"
        assert proc.wait(WAIT) == 128 + signum, out.text()
        text = out.text()
        campaign = campaigns.find_campaign(store, ISSUE)
        counts = campaigns.state_counts(store, campaign.id)
        assert server.total == 2 and (counts["sent"], counts["sending"], counts["queued"]) == (2, 0, RECIPIENTS - 2), text
        assert counts["uncertain"] == 0  # nothing was cut off mid-message
        assert f"To continue: leadex-mail send {ISSUE} --list newsletter --concurrency 2 --resume" in text
        assert "Traceback" not in text

        again = send_process(tmp_path, settings, server, "--resume")
        rest = Output(again)
        assert again.wait(WAIT) == 0, rest.text()
    finally:
        policy.release.set()
        server.stop()
    assert dict(server.counts) == {email_of(i): 1 for i in range(RECIPIENTS)}


def test_keyboard_interrupt_without_a_handler_stops_the_same_way(tmp_path, store, people, issue) -> None:
    """A library caller with Python's default Ctrl-C handling: the KeyboardInterrupt comes out only after the workers ended."""
    from campaign_helpers import make_settings

    people(RECIPIENTS)
    main_thread = threading.main_thread().ident
    # Set by the runner alone, when it turns the KeyboardInterrupt into its stop request;
    # nothing here sets it (no handler asks the send to stop).
    stopping = threading.Event()

    class InterruptOnFirst(HoldAtEndOfData):
        """Ctrl-C at the first message; every reply waits until the runner has taken the interrupt.

        Without that wait the outcome was a race: on a loaded machine the
        workers could send all the messages before the main thread ran.
        """

        never_stopped = False

        def on_data_end(self, session: Session, data: bytes) -> str | None:
            with self.arrived:
                self.in_hand += 1
                first = self.in_hand == 1
            if first:
                signal.pthread_kill(main_thread, signal.SIGINT)  # as Ctrl-C would, aimed at the main thread
            if not stopping.wait(WAIT):
                self.never_stopped = True
            return None

    policy = InterruptOnFirst()
    server = faulty_server(policy)
    settings = make_settings(
        tmp_path, store=store, smtp_host=server.host, smtp_port=server.port, smtp_security="none",
        secret_key=KEY, public_url="https://news.example.org",
    )
    # Python's default Ctrl-C handling, whatever this process inherited: a shell
    # starts background jobs with SIGINT ignored, and Python then keeps it ignored.
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            send_campaign(store, issue, settings, list_name="newsletter", stop=stopping)
    finally:
        signal.signal(signal.SIGINT, inherited)
        stopping.set()
        server.stop()
    assert not policy.never_stopped
    counts = campaigns.state_counts(store, campaigns.find_campaign(store, ISSUE).id)
    assert counts["sending"] == 0 and counts["sent"] == server.total and counts["queued"] == RECIPIENTS - server.total
    assert 1 <= server.total <= settings.send_concurrency  # the messages in hand when Ctrl-C came, and no more
