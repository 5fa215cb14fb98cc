"""The SMTP transport: one reused connection per instance (``smtplib``), replies classified.

Follows ``delivery.transport.Transport``: ``send`` returns a ``SendResult``
holding the server's reply and raises ``TemporaryFailure`` or
``PermanentFailure``; each instance is used from one thread.

SMTP classification (what the campaign runner does with it); the meaning of
each reply comes from ``delivery.replies.classify`` (RFC 3463):

    2xx                                  sent; reply kept
    4xx, timeout, dropped connection     TemporaryFailure  -> retry later
    5xx to RCPT or to the message        PermanentFailure  -> failed; the runner
                                         asks ``classify`` whether it is a hard
                                         bounce, a soft one or a rejection
    connect/TLS/login errors, a refused  ServerFailure (a TemporaryFailure): the
    sender, a dropped session            server, not this recipient; the runner
                                         pauses after several in a row
    the server's certificate is not      TlsFailure (a ServerFailure): the runner
    trusted (unknown CA, wrong name,     pauses at once; the hint names the
    expired)                             setting (``smtp_ca_file``, ``smtp_host``)

TLS contexts verify the server's certificate and host name always: against
the system's CAs, or the CAs of ``smtp_ca_file`` (a private CA). One context
per CA file per process, made when TLS is first used.
    no reply after the message's final   UncertainDelivery (a ServerFailure): the
    "." (dropped, timed out)             server may have it (RFC 5321 4.1.1.4
                                         leaves it unknown); never re-sent here

A server that offers PIPELINING (RFC 2920) gets MAIL FROM, every RCPT TO and
DATA in one write; its replies are read in order and each is classified as
above, as if the commands had gone one by one (a refused sender or DATA
still has the later replies read, so the session stays in step). So a
message costs two round trips (envelope, then content) instead of 2 + N + 1.
The message goes out as ready bytes when the caller has them
(``MessageTemplate`` stuffs each edition once, ``delivery.wire``), else it is
dot-stuffed here.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import smtplib
import socket
import ssl
from collections.abc import Sequence
from typing import NoReturn

from leadex_mail.config import Settings
from leadex_mail.delivery.replies import Kind, classify
from leadex_mail.delivery.smtpauth import login
from leadex_mail.delivery.transport import SendResult
from leadex_mail.delivery.wire import dot_stuff
from leadex_mail.errors import ConfigError, PermanentFailure, ServerFailure, TemporaryFailure, TlsFailure, UncertainDelivery

__all__ = ["ServerFailure", "SmtpTransport", "TlsFailure", "UncertainDelivery", "client_tls_context", "dot_stuff", "is_loopback"]

# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH, X509_V_ERR_CERT_HAS_EXPIRED
_NAME_MISMATCH = (62, 64)
_EXPIRED = 10


@functools.lru_cache(maxsize=4)
def client_tls_context(ca_file: str | None) -> ssl.SSLContext:
    """A verifying client context (certificate and host name) trusting ``ca_file``'s CAs, else the system's.

    Made once per CA file per process (loading the system's CAs costs
    milliseconds); an ``SSLContext`` may be shared by threads. Raises
    ``ConfigError`` when ``ca_file`` cannot be read as PEM certificates
    (it is checked when the settings load; this covers a file changed since).
    """
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"smtp_ca_file {ca_file}: cannot be read as CA certificates: {exc}", hint="give a PEM file of CA certificates") from None


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses (no DNS lookup)."""
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SmtpTransport:
    """One SMTP connection, reused, renewed after ``smtp_max_per_connection`` messages.

    A server that ends the session (``421``, ``452 4.5.3`` too many
    messages, or a dropped idle connection) before a message was handed over
    gets a fresh connection and the message is tried once more on it.
    """

    name = "smtp"

    def __init__(self, settings: Settings, *, ssl_context: ssl.SSLContext | None = None) -> None:
        if not settings.smtp_host:
            raise ConfigError("no SMTP host is configured", hint="set LEADEX_SMTP_HOST or [smtp] host")
        self.host = settings.smtp_host
        self.port = settings.effective_smtp_port
        self.security = settings.smtp_security
        if self.security == "none" and not is_loopback(self.host) and not settings.smtp_allow_insecure:
            raise ConfigError(
                f"refusing to send mail unencrypted to {self.host}:{self.port} (smtp_security = none)",
                hint="use smtp_security = starttls or tls; or set smtp_allow_insecure = true if this network is trusted",
            )
        self.user = settings.smtp_user
        self.password = settings.smtp_password
        self.timeout = settings.smtp_timeout
        self.max_per_connection = settings.smtp_max_per_connection
        self.helo_name = settings.smtp_helo_name
        self.request_dsn = settings.smtp_dsn
        self.ca_file = settings.smtp_ca_file
        self._ssl_context = ssl_context
        self._conn: smtplib.SMTP | None = None
        self._sent_on_connection = 0
        self.connections = 0  # how many sessions were opened (tests and benchmarks read it)

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context: the one given, else the process's for ``smtp_ca_file`` (made on first use)."""
        if self._ssl_context is None:
            self._ssl_context = client_tls_context(str(self.ca_file) if self.ca_file else None)
        return self._ssl_context

    @property
    def where(self) -> str:
        """``host:port`` for messages."""
        return f"{self.host}:{self.port}"

    def send(self, sender: str, recipients: Sequence[str], data: bytes, *, stuffed: bytes | None = None) -> SendResult:
        """Send one message; reconnect once if the session ended before it was handed over.

        ``stuffed``: ``data`` already as DATA carries it (``wire.dot_stuff(data)``,
        e.g. ``OutgoingMessage.wire``); without it ``data`` is stuffed here.
        """
        if self._conn is not None and self._sent_on_connection >= self.max_per_connection:
            self.close()
        ready = stuffed or dot_stuff(data)
        try:
            return self._attempt(sender, recipients, data, ready)
        except _SessionEnded:
            self.close()
        try:
            return self._attempt(sender, recipients, data, ready)
        except _SessionEnded as ended:
            self.close()
            raise ServerFailure(f"{self.where}: {ended.detail} (also on a new connection)", reply=ended.reply) from None

    def close(self) -> None:
        """Say QUIT and drop the connection; safe to call twice."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()

    # -- one attempt ----------------------------------------------------------

    def _attempt(self, sender: str, recipients: Sequence[str], data: bytes, ready: bytes) -> SendResult:
        conn = self._connection()
        try:
            dsn = self.request_dsn and conn.has_extn("dsn")
            options = self._mail_options(conn, sender, recipients, envid=_envid(data) if dsn else None)
            if conn.has_extn("pipelining"):
                refused = self._pipelined(conn, sender, recipients, options, notify=dsn)
            else:
                code, resp = conn.mail(sender, options)
                if code != 250:
                    self._fail(conn, code, resp, "MAIL FROM", sender_stage=True)
                refused = self._recipients(conn, recipients, notify=dsn)
                _start_data(conn)
            code, resp = _send_content(conn, ready)
        except _NoReply as lost:
            # The whole message and its final "." went out; the reply did not
            # come back. The server may have queued it: say so, never resend here.
            self.close()
            raise UncertainDelivery(
                f"{self.where}: {lost.detail} after the whole message was sent, before the server answered; it may have been delivered",
                reply=f"no reply after the end of the message ({lost.detail})",
            ) from None
        except smtplib.SMTPDataError as exc:  # the DATA command itself was refused
            self._fail(conn, exc.smtp_code, exc.smtp_error, "DATA")
        except smtplib.SMTPServerDisconnected as exc:
            if "timed out" in str(exc):  # smtplib reports a read timeout as a disconnect
                self._timed_out()
            # Before the final "." was written: the server cannot have taken the message.
            raise _SessionEnded(f"connection dropped: {exc or 'no reply'}") from None
        except TimeoutError:
            self._timed_out()
        except (OSError, smtplib.SMTPException) as exc:
            raise _SessionEnded(f"{type(exc).__name__}: {exc}") from None
        self._sent_on_connection += 1
        reply = _reply(code, resp)
        if code == 250:
            return SendResult(reply=reply, refused=refused)
        self._fail(conn, code, resp, "end of DATA")

    def _timed_out(self) -> NoReturn:
        self.close()
        raise ServerFailure(f"{self.where}: no answer within {self.timeout:g} s", reply="timeout")

    def _mail_options(self, conn: smtplib.SMTP, sender: str, recipients: Sequence[str], *, envid: str | None = None) -> list[str]:
        options = []
        if envid:
            # RFC 3461: return only the headers, and our id for the message (returned as Original-Envelope-Id).
            options += ["RET=HDRS", f"ENVID={_xtext(envid)}"]
        if not sender.isascii() or not all(r.isascii() for r in recipients):
            if not conn.has_extn("smtputf8"):
                raise PermanentFailure(f"{self.where} does not accept internationalised addresses (no SMTPUTF8)", reply="no SMTPUTF8")
            options.append("SMTPUTF8")
        return options

    def _pipelined(self, conn: smtplib.SMTP, sender: str, recipients: Sequence[str], options: list[str], *, notify: bool) -> dict[str, str]:
        """RFC 2920: MAIL FROM, the RCPT TOs and DATA in one write; replies read and classified in order.

        Returns the refused recipients (some were accepted and DATA got 354).
        Raises as the one-by-one path does for the same replies; before
        raising, the replies still owed are read (a 354 answered with a lone
        "."), so the connection can carry the next message.
        """
        utf8 = "SMTPUTF8" in options
        rcpt_options = " NOTIFY=FAILURE" if notify else ""
        lines = [f"MAIL FROM:{_quote(sender)}{''.join(' ' + o for o in options)}"]
        lines += [f"RCPT TO:{_quote(r)}{rcpt_options}" for r in recipients]
        lines.append("DATA")
        conn.send(_command_bytes(lines, utf8))
        code, resp = conn.getreply()
        if code != 250:
            if code != 421 and not _too_many(code, resp):
                self._drain(conn, len(recipients))
            self._fail(conn, code, resp, "MAIL FROM", sender_stage=True)
        replies = []
        for _ in recipients:
            rcode, rresp = conn.getreply()
            if rcode == 421 or _too_many(rcode, rresp):
                self._fail(conn, rcode, rresp, "RCPT TO")
            replies.append((rcode, rresp))
        refused = self._refused(conn, recipients, replies, data_pending=True)
        code, resp = conn.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, resp)
        return refused

    def _recipients(self, conn: smtplib.SMTP, recipients: Sequence[str], *, notify: bool = False) -> dict[str, str]:
        replies = []
        for rcpt in recipients:
            code, resp = conn.rcpt(rcpt, ["NOTIFY=FAILURE"] if notify else [])
            if code == 421 or _too_many(code, resp):
                self._fail(conn, code, resp, "RCPT TO")
            replies.append((code, resp))
        return self._refused(conn, recipients, replies)

    def _refused(self, conn: smtplib.SMTP, recipients: Sequence[str], replies: list[tuple[int, bytes]], *, data_pending: bool = False) -> dict[str, str]:
        """The refused recipients of the RCPT replies; raises when every one was refused.

        ``data_pending``: DATA was pipelined and its reply is still to be read (first, when raising).
        """
        refused = {rcpt: _reply(code, resp) for rcpt, (code, resp) in zip(recipients, replies) if code not in (250, 251)}
        if len(refused) == len(recipients):
            if data_pending:
                self._drain(conn, 0)
            self._reset(conn)
            verdicts = [classify(reply) for reply in refused.values()]
            # One temporary refusal among them makes it worth trying again later.
            cls = TemporaryFailure if any(v.temporary for v in verdicts) else PermanentFailure
            summary = "; ".join(f"{r}: {reply}" for r, reply in refused.items())
            raise cls(f"{self.where} refused {summary}", reply=next(iter(refused.values())), hint=verdicts[0].hint)
        return refused

    def _fail(self, conn: smtplib.SMTP, code: int, resp: bytes, stage: str, *, sender_stage: bool = False) -> NoReturn:
        """Raise the right error for a non-2xx reply at ``stage``."""
        reply = _reply(code, resp)
        if code == 421 or _too_many(code, resp) or code == -1:
            # An explicit refusal: nothing was accepted, so a new session may try again.
            raise _SessionEnded(f"the server ended the session at {stage}: {reply}", reply=reply)
        self._reset(conn)
        if sender_stage:
            raise ServerFailure(
                f"{self.where} refused the sender at {stage}: {reply}",
                reply=reply,
                hint="check from_address: the server must allow sending as it (for this login)",
            )
        verdict = classify(reply)
        if verdict.kind in (Kind.TEMPORARY, Kind.ACCEPTED):  # a 2xx other than 250 here is a broken server: try later
            raise TemporaryFailure(f"{self.where} deferred the message at {stage}: {reply}", reply=reply)
        raise PermanentFailure(f"{self.where} refused the message at {stage}: {reply}", reply=reply, hint=verdict.hint)

    def _drain(self, conn: smtplib.SMTP, rcpts: int) -> None:
        """Read the replies still owed to ``rcpts`` pipelined RCPT TOs and the DATA after them.

        DATA answered 354 (a server that took it without a recipient) gets a
        lone "." so no message content is sent, and that reply is read too
        (RFC 2920 3.1). A connection that fails meanwhile is closed: the
        refusal being reported stays what it was.
        """
        try:
            for _ in range(rcpts):
                conn.getreply()
            code, _resp = conn.getreply()
            if code == 354:
                conn.send(b".\r\n")
                conn.getreply()
        except (OSError, smtplib.SMTPException):
            self.close()

    def _reset(self, conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    # -- connecting ------------------------------------------------------------

    def _connection(self) -> smtplib.SMTP:
        if self._conn is None:
            self._conn = self._connect()
            self._sent_on_connection = 0
            self.connections += 1
        return self._conn

    def _connect(self) -> smtplib.SMTP:
        try:
            conn = self._open()
        except smtplib.SMTPAuthenticationError as exc:
            raise ServerFailure(
                f"SMTP login to {self.where} as {self.user!r} was refused: {_reply(exc.smtp_code, exc.smtp_error)}",
                reply=_reply(exc.smtp_code, exc.smtp_error),
                hint="check LEADEX_SMTP_USER and LEADEX_SMTP_PASSWORD",
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise ServerFailure(
                f"{self.where}: {exc}", reply=str(exc), hint="the server offers no STARTTLS/AUTH here: check smtp_port and smtp_security"
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise self._untrusted(exc) from None
        except ssl.SSLError as exc:
            raise ServerFailure(
                f"TLS with {self.where} failed: {exc}", reply=str(exc), hint="check smtp_security (tls for port 465, starttls for 587) and the certificate"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerFailure(
                f"could not connect to SMTP server {self.where}: {exc}", reply=str(exc), hint="check smtp_host, smtp_port and that the server is running"
            ) from None
        return conn

    def _untrusted(self, exc: ssl.SSLCertVerificationError) -> TlsFailure:
        """A certificate that failed verification, in plain words: which server, what failed, what to set."""
        step = "STARTTLS" if self.security == "starttls" else "TLS (smtp_security = tls)"
        why = exc.verify_message or exc.reason or str(exc)
        message = f"the SMTP server {self.where} was not trusted during {step}: its certificate could not be verified ({why})"
        if exc.verify_code in _NAME_MISMATCH:
            hint = f"the certificate is for another name than smtp_host {self.host!r}: set smtp_host to the name on the server's certificate"
        elif exc.verify_code == _EXPIRED:
            hint = "the server's certificate has expired: whoever runs the server must renew it"
        elif self.ca_file:
            hint = f"smtp_ca_file ({self.ca_file}) does not hold the CA that signed this server's certificate: set it to that CA's certificate (PEM)"
        else:
            hint = (
                "if the server's certificate comes from your organisation's own CA (or is self-signed), set smtp_ca_file"
                " (LEADEX_SMTP_CA_FILE) to that CA's certificate, a PEM file; verification stays on"
            )
        return TlsFailure(message, hint=hint)

    def _open(self) -> smtplib.SMTP:
        """Open, secure and log in a session (errors are classified by ``_connect``)."""
        # The configured name, else the machine's (getfqdn() may wait on a reverse DNS lookup).
        local = self.helo_name or socket.gethostname()
        if self.security == "tls":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, local_hostname=local, timeout=self.timeout, context=self.ssl_context)
        else:
            conn = smtplib.SMTP(self.host, self.port, local_hostname=local, timeout=self.timeout)
        try:
            conn.ehlo()
            if self.security == "starttls":
                conn.starttls(context=self.ssl_context)
                conn.ehlo()
            if self.user:
                login(conn, self.user, self.password or "")
        except BaseException:
            conn.close()
            raise
        return conn


def _start_data(conn: smtplib.SMTP) -> None:
    """The DATA command, as smtplib's ``SMTP.data`` sends it; ``SMTPDataError`` unless 354."""
    conn.putcmd("data")
    code, repl = conn.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, repl)


def _send_content(conn: smtplib.SMTP, ready: bytes) -> tuple[int, bytes]:
    """The stuffed message (``wire.dot_stuff``) and its final "."; the server's reply (``_NoReply`` when none came)."""
    conn.send(ready + b".\r\n")
    try:
        return conn.getreply()
    except smtplib.SMTPServerDisconnected as exc:  # smtplib's form of EOF, reset and read timeout here
        raise _NoReply(f"no answer within {conn.timeout:g} s" if "timed out" in str(exc) else "the connection was lost") from None


# A plain address (dot-atom local part, no quoting needed): "<addr>" is what smtplib.quoteaddr makes of it.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")


def _quote(address: str) -> str:
    """``<address>`` for MAIL FROM / RCPT TO, as ``smtplib.quoteaddr`` makes it (its parser only where needed)."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _command_bytes(lines: list[str], utf8: bool) -> bytes:
    """Pipelined command lines, CRLF-terminated; ``ValueError`` for a line break inside one (as smtplib's ``putcmd``)."""
    text = "\r\n".join(lines) + "\r\n"
    if text.count("\n") != len(lines) or text.count("\r") != len(lines):
        raise ValueError("command and arguments contain prohibited newline characters")
    return text.encode("utf-8" if utf8 else "ascii")


class _NoReply(Exception):
    """Internal: the message and its final "." were written, and no reply came back."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class _SessionEnded(Exception):
    """Internal: the session is over before the message was handed over: worth one try on a new one."""

    def __init__(self, detail: str, *, reply: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.reply = reply or detail


def _too_many(code: int, resp: bytes) -> bool:
    """OpenSMTPD's per-session cap: ``452 4.5.3 Too many ...``: reconnect, not a failure."""
    return code == 452 and (b"4.5.3" in resp or b"too many" in resp.lower())


def _reply(code: int, resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return f"{code} {' '.join(text.split())}"


_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*<([^<>@\s]+)@", re.IGNORECASE | re.MULTILINE)


def _envid(data: bytes) -> str | None:
    """The DSN envelope id of a message: its Message-ID's local part (``lx.C.D.DIGEST`` for campaign mail).

    Read from the header block, so every transport keeps the one ``send``
    signature; a bounce returning it names the delivery, and the digest
    makes it unguessable.
    """
    head = data[: data.find(b"\r\n\r\n") if b"\r\n\r\n" in data else 16384]
    found = _MESSAGE_ID.search(head)
    return found.group(1).decode("ascii", "replace") if found else None


def _xtext(value: str) -> str:
    """RFC 3461 xtext: printable ASCII except '+' and '=' as is, the rest as +HH."""
    return "".join(c if 33 <= ord(c) <= 126 and c not in "+=" else f"+{ord(c):02X}" for c in value)
