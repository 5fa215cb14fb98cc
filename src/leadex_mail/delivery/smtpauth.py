"""SMTP AUTH (RFC 4954) with credentials in UTF-8: PLAIN (RFC 4616), LOGIN and CRAM-MD5 (RFC 2195).

smtplib's ``SMTP.login`` encodes user names and passwords as ASCII; an
operator's ``geslo-čšž`` made it fail with a UnicodeEncodeError. ``login``
keeps smtplib's own for ASCII credentials and speaks the mechanisms itself
for others. Used by the SMTP transport (``smtp.py``) on each new session.
"""

from __future__ import annotations

import base64
import hmac
import smtplib


def login(conn: smtplib.SMTP, user: str, password: str) -> None:
    """SMTP AUTH (RFC 4954) that also takes non-ASCII user names and passwords.

    smtplib encodes credentials as ASCII and fails with a UnicodeEncodeError
    on ``geslo-čšž``. ASCII credentials keep smtplib's own login; others are
    sent as UTF-8, which is what PLAIN defines (RFC 4616) and what servers
    expect of LOGIN and CRAM-MD5. Raises smtplib's errors, as ``login`` does
    (``SMTPAuthenticationError`` when refused).
    """
    if user.isascii() and password.isascii():
        conn.login(user, password)
        return
    conn.ehlo_or_helo_if_needed()
    if not conn.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("the server offers no SMTP AUTH")
    offered = conn.esmtp_features["auth"].upper().split()
    refused: smtplib.SMTPAuthenticationError | None = None
    for mechanism in ("CRAM-MD5", "PLAIN", "LOGIN"):  # smtplib's order of preference
        if mechanism in offered:
            code, reply = _auth_utf8(conn, mechanism, user.encode("utf-8"), password.encode("utf-8"))
            if code in (235, 503):  # 503: already authenticated
                return
            refused = smtplib.SMTPAuthenticationError(code, reply)
    if refused is not None:
        raise refused
    raise smtplib.SMTPNotSupportedError(f"the server offers none of CRAM-MD5, PLAIN, LOGIN (only {' '.join(offered)})")


def _auth_utf8(conn: smtplib.SMTP, mechanism: str, user: bytes, password: bytes) -> tuple[int, bytes]:
    """One AUTH exchange with UTF-8 credentials; the final (code, reply)."""
    if mechanism == "PLAIN":
        code, reply = conn.docmd("AUTH", "PLAIN " + _b64(b"\0" + user + b"\0" + password))
        return code, reply
    code, reply = conn.docmd("AUTH", mechanism)
    if mechanism == "CRAM-MD5" and code == 334:
        digest = hmac.new(password, base64.b64decode(reply), "md5").hexdigest().encode("ascii")
        return conn.docmd(_b64(user + b" " + digest))
    for answer in (user, password):  # LOGIN: two challenges, user name then password
        if code != 334:
            break
        code, reply = conn.docmd(_b64(answer))
    return code, reply


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
