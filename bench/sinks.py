"""A minimal, fast SMTP sink on loopback, with hooks for injecting faults.

aiosmtpd tops out at ~300 msg/s for 58 KB messages on this machine, which
would hide the engine being measured. This sink reads DATA in bulk (large
``recv`` calls, looking for the terminator only in the newest bytes), answers
with fixed replies and counts what it accepted per recipient.

The test suite's fault-injecting server (``tests/campaign/faulty_smtp.py``)
is this sink with a ``Policy`` that answers 421/451/550 or drops connections.

Run standalone (the benchmark does, so the sink does not share the sender's
GIL)::

    python bench/sinks.py --port 2525            # prints "ready <port>"

``XCOUNT`` (a non-standard command) answers ``250 <messages accepted>``.
``XSTAT`` answers, in one multi-line 250 reply, ``<accepted> <distinct
recipients> <first> <last>`` (epoch seconds of the first and last accepted
message), then ``helo <EHLO name> <messages>`` per client name and ``dup
<recipient> <times>`` per recipient accepted more than once; ``XRESET``
forgets everything counted (bench/scale_bench.py uses both).

It offers PIPELINING (RFC 2920) unless told not to, and counts in
``pipelined`` the MAIL commands that arrived together with the commands
after them (the client did not wait for the reply to MAIL).
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

DROP = "__drop__"  # a policy's answer meaning: close the connection without a reply
# At the end of DATA: keep the message (count it), then close without a reply,
# as a server does whose reply is lost: the client cannot know it arrived.
ACCEPT_THEN_DROP = "__accept_then_drop__"
_TERMINATOR = b"\r\n.\r\n"


@dataclass
class Session:
    """What the sink knows about one connection."""

    number: int
    messages: int = 0
    mail_from: str = ""
    in_mail: bool = False  # a MAIL FROM was accepted and no message ended since
    rcpts: list[str] = field(default_factory=list)
    fault: str | None = None  # a fault-injecting policy's decision for the current message
    helo: str = ""  # the client's EHLO name (the scale benchmark gives each sender process its own)


class Policy:
    """Default behaviour: accept everything. Override a hook to inject a fault.

    A hook returns None to go on normally, a reply line (``"451 4.3.0 later"``)
    to answer instead, or ``DROP`` to close the connection.
    """

    def on_mail(self, session: Session, sender: str) -> str | None:
        """Before answering MAIL FROM."""
        return None

    def on_rcpt(self, session: Session, rcpt: str) -> str | None:
        """Before answering RCPT TO."""
        return None

    def on_data_command(self, session: Session) -> str | None:
        """Before answering the DATA command (a reply starting with 354 goes on to read the message)."""
        return None

    def mid_data(self, session: Session) -> str | None:
        """After the first chunk of DATA arrived; ``DROP`` closes mid-message."""
        return None

    def on_data_end(self, session: Session, data: bytes) -> str | None:
        """After the whole message arrived, before it is accepted."""
        return None


class _Conn:
    """Buffered reading of one client socket: lines for commands, bulk for DATA."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()

    def _fill(self) -> bool:
        chunk = self.sock.recv(262144)
        if not chunk:
            return False
        self.buf += chunk
        return True

    def line(self) -> bytes | None:
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                out = bytes(self.buf[:end])
                del self.buf[: end + 2]
                return out
            if not self._fill():
                return None

    def data(self, first_chunk_seen) -> bytes | None:  # noqa: ANN001 (callback)
        """Read up to and including CRLF.CRLF; return the message without it (no dot-unstuffing).

        ``first_chunk_seen`` is called once, when the first bytes of the
        message are in: returning ``DROP`` closes the connection mid-message.
        """
        start = 0
        while not self.buf:
            if not self._fill():
                return None
        if first_chunk_seen() == DROP:
            return None
        if self.buf.startswith(b".\r\n"):  # an empty message
            del self.buf[:3]
            return b""
        while True:
            end = self.buf.find(_TERMINATOR, max(0, start - 4))
            if end >= 0:
                out = bytes(self.buf[: end + 2])
                del self.buf[: end + len(_TERMINATOR)]
                return out
            start = len(self.buf)
            if not self._fill():
                return None

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode() + b"\r\n")


class SinkServer:
    """A threaded SMTP sink on 127.0.0.1; ``counts`` maps recipient -> messages accepted."""

    def __init__(
        self,
        port: int = 0,
        *,
        policy: Policy | None = None,
        delay: float = 0.0,
        keep: bool = False,
        max_per_connection: int | None = None,
        pipelining: bool = True,
    ) -> None:
        self.policy = policy or Policy()
        self.delay = delay  # seconds before each final "250": slows the sink down on purpose
        self.keep = keep
        self.max_per_connection = max_per_connection
        self.pipelining = pipelining
        self.pipelined = 0  # MAIL commands that came with later commands already behind them
        self.counts: Counter[str] = Counter()
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.unaddressed: list[bytes] = []  # messages that came after a 354 for no recipient (refused)
        self.total = 0
        self.by_helo: Counter[str] = Counter()
        self.first_at = self.last_at = 0.0  # epoch seconds of the first and last accepted message
        self.connections = 0
        self.lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", port), backlog=64)
        self.port = self._listener.getsockname()[1]
        self.host = "127.0.0.1"
        self._threads: list[threading.Thread] = []
        self._closing = False

    def start(self) -> "SinkServer":
        """Accept connections in a background thread."""
        t = threading.Thread(target=self._accept_loop, name="sink-accept", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        """Stop accepting; open connections end with their clients."""
        self._closing = True
        try:
            self._listener.close()
        except OSError:
            pass

    def __enter__(self) -> "SinkServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        while not self._closing:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.connections += 1
                number = self.connections
            threading.Thread(target=self._serve, args=(sock, number), daemon=True).start()

    def _serve(self, sock: socket.socket, number: int) -> None:
        conn = _Conn(sock)
        session = Session(number)
        try:
            conn.send("220 sink.example.org ESMTP leadex test sink")
            while self._command(conn, session):
                pass
        except OSError:
            pass
        finally:
            sock.close()

    def _command(self, conn: _Conn, session: Session) -> bool:
        """Handle one command; False ends the connection."""
        raw = conn.line()
        if raw is None:
            return False
        verb = raw[:4].upper()
        arg = raw.decode("utf-8", "replace")
        if verb == b"EHLO":
            session.helo = arg[5:].strip()
            offer = b"250-PIPELINING\r\n" if self.pipelining else b""
            conn.sock.sendall(b"250-sink.example.org\r\n250-8BITMIME\r\n" + offer + b"250 SIZE 100000000\r\n")
        elif verb == b"MAIL":
            if conn.buf:
                with self.lock:
                    self.pipelined += 1
            return self._mail(conn, session, _address(arg))
        elif verb == b"RCPT":
            if not session.in_mail:
                conn.send("503 5.5.1 MAIL first")
                return True
            return self._answer(conn, self.policy.on_rcpt(session, _address(arg)), "250 2.1.5 Ok", session.rcpts, _address(arg))
        elif verb == b"DATA":
            return self._data(conn, session)
        elif verb == b"QUIT":
            conn.send("221 2.0.0 Bye")
            return False
        elif verb in (b"RSET", b"NOOP", b"HELO"):
            session.rcpts, session.mail_from, session.in_mail = [], "", False
            conn.send("250 2.0.0 Ok")
        elif verb == b"XCOU":
            conn.send(f"250 {self.total}")
        elif verb == b"XSTA":
            conn.sock.sendall(self._stat().encode() + b"\r\n")
        elif verb == b"XRES":
            with self.lock:
                self.counts.clear()
                self.by_helo.clear()
                self.total, self.first_at, self.last_at = 0, 0.0, 0.0
            conn.send("250 2.0.0 Reset")
        else:
            conn.send("502 5.5.2 Command not recognised")
        return True

    def _stat(self) -> str:
        """The XSTAT reply (see the module docstring), as CRLF-joined lines."""
        with self.lock:
            lines = [f"{self.total} {len(self.counts)} {self.first_at:.6f} {self.last_at:.6f}"]
            lines += [f"helo {name or '-'} {n}" for name, n in sorted(self.by_helo.items())]
            lines += [f"dup {rcpt} {n}" for rcpt, n in sorted(self.counts.items()) if n > 1]
        return "\r\n".join(f"250-{line}" for line in lines[:-1]) + ("\r\n" if len(lines) > 1 else "") + f"250 {lines[-1]}"

    def _answer(self, conn: _Conn, override: str | None, ok: str, into: list[str], value: str) -> bool:
        if override == DROP:
            return False
        if override:
            conn.send(override)
            return not override.startswith("421")
        into.append(value)
        conn.send(ok)
        return True

    def _mail(self, conn: _Conn, session: Session, sender: str) -> bool:
        session.rcpts, session.in_mail = [], False
        if self.max_per_connection is not None and session.messages >= self.max_per_connection:
            conn.send("452 4.5.3 Too many messages on this connection")
            return True
        session.mail_from = sender
        accepted: list[str] = []
        going_on = self._answer(conn, self.policy.on_mail(session, sender), "250 2.1.0 Ok", accepted, sender)
        session.in_mail = bool(accepted)
        return going_on

    def _data(self, conn: _Conn, session: Session) -> bool:
        override = self.policy.on_data_command(session)
        if override == DROP:
            return False
        if override and not override.startswith("354"):
            conn.send(override)
            session.rcpts, session.in_mail = [], False
            return not override.startswith("421")
        if not session.rcpts and not override:
            conn.send("503 5.5.1 No valid recipients")
            return True
        conn.send(override or "354 End data with <CR><LF>.<CR><LF>")
        data = conn.data(lambda: self.policy.mid_data(session))
        if data is None:
            return False
        if not session.rcpts:  # DATA was let through (a policy's 354) without a recipient
            self.unaddressed.append(data)
            conn.send("554 5.5.1 No valid recipients")
            session.in_mail = False
            return True
        override = self.policy.on_data_end(session, data)
        if override == DROP:
            return False
        if override == ACCEPT_THEN_DROP:
            self._accept(session, data)
            return False
        if self.delay:
            time.sleep(self.delay)
        if override:
            conn.send(override)
            session.rcpts = []
            return not override.startswith("421")
        self._accept(session, data)
        conn.send(f"250 2.0.0 Ok: queued as {session.number}.{session.messages}")
        return True

    def _accept(self, session: Session, data: bytes) -> None:
        with self.lock:
            for rcpt in session.rcpts:
                self.counts[rcpt] += 1
            self.total += 1
            self.by_helo[session.helo] += 1
            self.last_at = time.time()
            self.first_at = self.first_at or self.last_at
            if self.keep:
                self.messages.append((session.mail_from, list(session.rcpts), data))
        session.messages += 1
        session.rcpts, session.in_mail = [], False


def _address(arg: str) -> str:
    """The address inside ``MAIL FROM:<a>`` / ``RCPT TO:<a>``."""
    start, end = arg.find("<"), arg.find(">")
    return arg[start + 1 : end] if 0 <= start < end else arg.split(":", 1)[-1].strip()


def main() -> None:
    """Run the sink until killed (used by bench/send_bench.py in its own process)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    server = SinkServer(args.port, delay=args.delay).start()
    print(f"ready {server.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
