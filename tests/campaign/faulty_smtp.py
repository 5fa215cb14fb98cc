"""A fault-injecting SMTP server on loopback, built on the benchmark's fast sink.

Faults are decided per (recipient, attempt) from a seeded hash, not from a
shared random stream, so the outcome is the same whatever order the sending
threads reach the server in: the end state of a campaign can be asserted
exactly.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from dataclasses import dataclass, field

import campaign_helpers  # noqa: F401 (puts bench/ on sys.path, where sinks.py lives)
from sinks import ACCEPT_THEN_DROP, Policy, Session, SinkServer

# "drop-after-data": the server keeps the message and the connection dies
# before its reply: the client must treat it as maybe delivered (uncertain).
FAULTS = ("451-rcpt", "421-rcpt", "drop-after-data", "451-end-of-data")


@dataclass
class FaultPolicy(Policy):
    """Seeded faults: ``rate`` of the first ``faulty_attempts`` attempts per recipient fail.

    ``reject`` get 550 at RCPT (permanent); ``always_busy`` get 451 forever
    (they end failed after the last attempt); ``down`` answers 421 to every
    MAIL (a server in trouble: the campaign must pause); ``rejection`` is the
    answer to every RCPT (a relay refusing the sender).
    """

    seed: int = 1
    rate: float = 0.0
    faulty_attempts: int = 2
    reject: frozenset[str] = frozenset()
    always_busy: frozenset[str] = frozenset()
    down: bool = False
    faults: tuple[str, ...] = FAULTS  # the kinds to choose from
    attempts: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    faulted: dict[str, list[str]] = field(default_factory=dict)  # recipient -> faults it got, in order
    rejection: str | None = None  # answer every RCPT with this (e.g. "550 5.7.1 Relaying denied")
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fault_for(self, rcpt: str, attempt: int) -> str | None:
        """The fault of attempt ``attempt`` (1-based) to ``rcpt``, if any."""
        if attempt > self.faulty_attempts:
            return None
        digest = hashlib.sha256(f"{self.seed}:{rcpt}:{attempt}".encode()).digest()
        if int.from_bytes(digest[:4], "big") / 2**32 >= self.rate:
            return None
        return self.faults[digest[4] % len(self.faults)]

    def on_mail(self, session: Session, sender: str) -> str | None:
        return "421 4.3.2 Service not available, closing channel" if self.down else None

    def on_rcpt(self, session: Session, rcpt: str) -> str | None:
        if self.rejection:
            return self.rejection
        if rcpt in self.reject:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % rcpt
        if rcpt in self.always_busy:
            return "451 4.7.1 Greylisted, come back later"
        with self.lock:
            self.attempts[rcpt] += 1
            fault = self.fault_for(rcpt, self.attempts[rcpt])
            session.fault = fault
            if fault:
                self.injected[fault] += 1
                self.faulted.setdefault(rcpt, []).append(fault)
        if fault == "451-rcpt":
            return "451 4.3.0 Temporary lookup failure"
        if fault == "421-rcpt":
            return "421 4.7.0 Too busy, closing connection"
        return None

    def on_data_end(self, session: Session, data: bytes) -> str | None:
        if session.fault == "451-end-of-data":
            return "451 4.3.0 Queue write error, try again"
        if session.fault == "drop-after-data":
            return ACCEPT_THEN_DROP
        return None


def faulty_server(policy: FaultPolicy, **kwargs: object) -> SinkServer:
    """A started sink answering through ``policy``."""
    return SinkServer(policy=policy, **kwargs).start()  # type: ignore[arg-type]
