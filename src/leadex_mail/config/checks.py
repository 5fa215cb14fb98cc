"""The checks of a whole ``Settings``: values each of the right type that still would not work, or would harm.

Each error names where the setting came from (file, variable or flag) and
gives an example of a value that works.
"""

from __future__ import annotations

import re

from leadex_mail.config.settings import Settings, redact_url
from leadex_mail.errors import ConfigError


def _check_database_url(s: Settings) -> None:
    """A URL that would not open the store meant: an unencoded ``@`` in the password, SQLite in memory or with options."""
    url = s.database_url
    if url.startswith("sqlite:"):
        path = url.split(":", 1)[1].removeprefix("///").removeprefix("//")
        if not path or path.startswith("?") or path.split("?")[0] in ("", ":memory:"):
            raise ConfigError(
                f"{_where(s, 'database_url')}: database_url {url!r} names no file: the store would live in memory and be lost on exit",
                hint="name the file, e.g. sqlite:///subscribers.db (relative) or sqlite:////srv/leadex/subscribers.db (absolute)",
            )
        if "?" in url:
            raise ConfigError(
                f"{_where(s, 'database_url')}: database_url {url!r} has options (?...); leadex-mail opens SQLite files its own way",
                hint="leave the options out: sqlite:///subscribers.db (a read-only copy is not a store leadex-mail can use)",
            )
    start = url.find("//") + 2 if "//" in url else 0
    end = min([i for i in (url.find(m, start) for m in "/?#") if i != -1] or [len(url)])
    if url.count("@", start, end) > 1:
        raise ConfigError(
            f"{_where(s, 'database_url')}: database_url has more than one '@' before the host ({redact_url(url)}):"
            " the password would be cut at the first one and the rest taken for the host",
            hint="percent-encode '@' in the password as %40 (and ':' as %3A, '/' as %2F), or leave the password out and set PGPASSWORD",
        )


def _check_hosts(s: Settings) -> None:
    """smtp_host and imap_host are names or addresses: a URL or a host:port there (as mail providers print them) is refused with the split."""
    for name, port in (("smtp_host", "smtp_port"), ("imap_host", "imap_port")):
        host = getattr(s, name)
        if not host or re.fullmatch(r"[A-Za-z0-9._-]+|\[?[0-9A-Fa-f:.]+\]?", host):  # a name, IPv4 or IPv6
            continue
        found = re.fullmatch(r"(?:[A-Za-z]+://)?([^\s/:@]+)(?::(\d+))?/?", host.strip())
        fix = f'{name} = "{found.group(1)}"' + (f" and {port} = {found.group(2)}" if found and found.group(2) else "") if found else f"{name} = \"mail.example.org\""
        raise ConfigError(f"{_where(s, name)}: {name} must be a host name alone, without a scheme, port or path (got {host!r})",
                          hint=f"write {fix} (the port and TLS are settings of their own: {port}{', smtp_security' if name == 'smtp_host' else ''})")


# RFC 2919: List-Id is "[phrase] <list-label.namespace>", the id a dot-atom with at least one dot.
_DOT_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)+"
_LIST_ID = re.compile(rf"(?:[\x20-\x7e]*[^\s<>\x22][\x20-\x7e]*\s+)?<{_DOT_ATOM}>|{_DOT_ATOM}")
_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\\\x22?]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_RATE_UNITS = ("s", "sec", "m", "min", "minute", "h", "hour")  # as delivery's rate limiter reads them


def _check_header_values(s: Settings) -> None:
    """``list_id`` and ``unsubscribe_mailto`` go into headers as written: they must have their standard's shape."""
    if s.list_id and (not _LIST_ID.fullmatch(s.list_id.strip()) or s.list_id.count("<") > 1):
        raise ConfigError(
            f"{_where(s, 'list_id')}: list_id {s.list_id!r} is not a List-Id (RFC 2919)",
            hint='write the list\'s id, e.g. list_id = "novice.leadex.example.org", or a name and the id: "LeadEx <novice.leadex.example.org>"',
        )
    mailto = s.unsubscribe_mailto
    if not mailto:
        return
    address, _, query = mailto.removeprefix("mailto:").partition("?")
    bad_query = query and (
        not mailto.startswith("mailto:")
        or re.search(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]", query)
        or re.search(r"%(0[0-9a-f]|1[0-9a-f]|7f)", query, re.IGNORECASE)  # an encoded CR, LF or other control
    )
    if not _ADDRESS.fullmatch(address) or bad_query:
        raise ConfigError(
            f"{_where(s, 'unsubscribe_mailto')}: unsubscribe_mailto {mailto!r} is not an address or a mailto: URI (RFC 6068)"
            " without encoded line breaks",
            hint='write the address, e.g. unsubscribe_mailto = "odjava@example.org" (the subject "unsubscribe" is added),'
            ' or a whole URI: "mailto:odjava@example.org?subject=unsubscribe"',
        )


def _check_rate(s: Settings) -> None:
    """``send_rate`` is read when a send starts; an error then would not say where it was written."""
    for part in (s.send_rate or "").split(",") if s.send_rate else ():
        match = re.fullmatch(r"\s*(\d+)\s*/\s*([a-z]+)\s*", part.lower())
        if not match or match.group(2) not in _RATE_UNITS or int(match.group(1)) < 1:
            raise ConfigError(
                f"{_where(s, 'send_rate')}: cannot read the sending rate {part.strip()!r}",
                hint="write it as N/min or N/h with N at least 1, e.g. 600/min or 600/min,20000/h",
            )


def validate(s: Settings) -> None:
    """Refuse ``s`` when a setting, or two together, would not work: ``ConfigError`` naming where it was set."""
    if s.effective_transport == "smtp" and not s.smtp_host:
        raise ConfigError("transport is 'smtp' but no SMTP host is configured", hint="set LEADEX_SMTP_HOST or [smtp] host")
    for name in (
        "send_concurrency", "send_max_attempts", "smtp_max_per_connection", "confirm_expiry_days", "confirm_max_attempts",
        "bounce_soft_limit", "bounce_soft_days", "pending_purge_days", "unsubscribed_retention_days", "delivery_retention_days",
    ):
        if getattr(s, name) < 1:
            raise ConfigError(f"setting {name!r} must be at least 1 (got {getattr(s, name)})")
    for name in ("confirm_expiry_days", "pending_purge_days", "unsubscribed_retention_days", "delivery_retention_days"):
        if getattr(s, name) > MAX_DAYS:
            raise ConfigError(
                f"{_where(s, name)}: {name} may be at most {MAX_DAYS} days (got {getattr(s, name)})",
                hint="a period of days, e.g. 365 for a year; a longer one is a typo, and would overflow date arithmetic",
            )
    if s.send_pause_after_bounces < 0:
        raise ConfigError(f"{_where(s, 'send_pause_after_bounces')}: send_pause_after_bounces must be 0 (never pause) or more (got {s.send_pause_after_bounces})")
    _check_database_url(s)
    _check_header_values(s)
    _check_rate(s)
    for name in ("public_url", "images_url"):
        url = getattr(s, name)
        if url and not re.fullmatch(r"https?://[^\s/?#]+(/\S*)?", url):
            raise ConfigError(
                f"{_where(s, name)}: {name} must be a whole address starting with https:// and without spaces (got {url!r})",
                hint=f"e.g. {name} = \"https://news.example.org\"",
            )
    _check_hosts(s)
    for name in ("unsubscribe_mailto", "from_address"):
        value = getattr(s, name)
        if value and re.search(r"\s", value):
            raise ConfigError(f"{_where(s, name)}: {name} may not contain spaces (got {value!r})", hint="write just the address, e.g. news@example.org")
    if s.bounce_soft_days > MAX_SOFT_DAYS or s.bounce_soft_limit > MAX_SOFT_LIMIT:
        raise ConfigError(
            f"bounce_soft_days may be at most {MAX_SOFT_DAYS} and bounce_soft_limit at most {MAX_SOFT_LIMIT} "
            f"(got {s.bounce_soft_days} and {s.bounce_soft_limit})",
            hint="e.g. bounce_soft_limit = 3 and bounce_soft_days = 30: three soft bounces within 30 days suppress",
        )
    if s.bounce_address is not None:
        _check_bounce_address(s)
    if s.smtp_helo_name is not None and not (is_host_name(s.smtp_helo_name) or re.fullmatch(r"\[[0-9A-Fa-f:.]+\]", s.smtp_helo_name)):
        raise ConfigError(
            f"{_where(s, 'smtp_helo_name')}: smtp_helo_name must be a fully qualified host name or an address literal (got {s.smtp_helo_name!r})",
            hint="e.g. mail.news.example.org (labels of letters, digits and hyphens, separated by single dots), or [192.0.2.1]",
        )
    _check_imap_folders(s)
    for name in ("smtp_ca_file", "imap_ca_file"):
        _check_ca_file(s, name)
    if s.verp and not s.bounce_address:
        raise ConfigError("verp = true needs a bounce_address", hint="set bounce_address (LEADEX_BOUNCE_ADDRESS), e.g. bounces@news.example.org")
    if s.timezone is not None:
        _check_timezone(s)
    if bool(s.dkim_key_path) != bool(s.dkim_selector):
        raise ConfigError("DKIM needs both dkim_key_path and dkim_selector", hint="set both, or neither to send unsigned")


MAX_DAYS = 36500  # a hundred years: every period of days a setting gives (retention, expiry)
MAX_SOFT_DAYS = 3650  # ten years: a longer window is a typo, and would overflow date arithmetic
MAX_SOFT_LIMIT = 1000
# RFC 5321 4.5.3.1.1: a local part is at most 64 octets. A VERP address adds "+" and a token of up
# to 16 hex digits, "-" and 16 base32 characters (verp.py): 34 octets.
VERP_SUFFIX = 34
_ATEXT_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*/=?^_`{|}~-]+)*")


def is_host_name(name: str) -> bool:
    """True for a fully qualified host name: dot-separated labels of letters, digits and hyphens (RFC 1123), at least two."""
    labels = name.rstrip(".").split(".")
    return (
        len(name) <= 253
        and len(labels) >= 2
        and all(re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", label) for label in labels)
    )


def _check_bounce_address(s: Settings) -> None:
    """bounce_address: a plain dot-atom local part (no '+', no quotes) within 64 octets with VERP's token, a host name domain."""
    address = s.bounce_address or ""
    where = _where(s, "bounce_address")
    example = "e.g. bounces@news.example.org; with verp = true each message goes out from bounces+<token>@news.example.org"
    if address.count("@") != 1 or "+" in address or not address.split("@")[0]:
        raise ConfigError(f"{where}: bounce_address must be a plain address local@domain without '+' (got {address!r})", hint=example)
    local, domain = address.split("@")
    if not address.isascii() and not s.smtputf8:
        raise ConfigError(
            f"{where}: bounce_address {address!r} is not ASCII, and smtputf8 is off: every send would be refused",
            hint="use an ASCII address for bounces (it is only an envelope sender), or set smtputf8 = true if the relay offers SMTPUTF8",
        )
    if local.isascii() and not _ATEXT_LOCAL.fullmatch(local):
        raise ConfigError(
            f"{where}: bounce_address's local part {local!r} must be plain (letters, digits and . ! # $ % & ' * / = ? ^ _ ` {{ | }} ~ -; no quotes or spaces)",
            hint=example,
        )
    limit = 64 - (VERP_SUFFIX if s.verp else 0)
    if len(local.encode("utf-8")) > limit:
        raise ConfigError(
            f"{where}: bounce_address's local part is {len(local.encode('utf-8'))} octets; at most {limit}"
            + (f" with verp = true (it adds '+' and a {VERP_SUFFIX - 1}-character token; RFC 5321 allows 64)" if s.verp else " (RFC 5321)"),
            hint="use a shorter local part, e.g. bounces@…",
        )
    if not is_host_name(domain.encode("idna").decode("ascii") if not domain.isascii() and _idna_ok(domain) else domain):
        raise ConfigError(f"{where}: bounce_address's domain {domain!r} is not a host name", hint=example)


def _idna_ok(domain: str) -> bool:
    try:
        domain.encode("idna")
    except UnicodeError:
        return False
    return True


def _check_imap_folders(s: Settings) -> None:
    """imap_mailbox and imap_processed_folder: non-empty, no IMAP wildcards, quotes or controls, and not the same folder."""
    for name in ("imap_mailbox", "imap_processed_folder"):
        value = getattr(s, name)
        if not value or not value.strip():
            raise ConfigError(f"{_where(s, name)}: {name} is empty", hint='e.g. imap_processed_folder = "leadex-processed"')
        if re.search(r'[*%"\\\x00-\x1f\x7f]', value):
            raise ConfigError(
                f"{_where(s, name)}: {name} {value!r} holds a character IMAP folder names cannot (* and % are LIST wildcards; quotes, backslashes, control characters)",
                hint="use letters, digits, spaces, '-', '_', '.', and '/' for subfolders; non-ASCII letters are fine",
            )

    def same(a: str, b: str) -> bool:
        # RFC 3501 5.1: INBOX is case-insensitive, other names are not.
        return a.upper() == b.upper() if "INBOX" in (a.upper(), b.upper()) else a == b

    if same(s.imap_mailbox.strip(), s.imap_processed_folder.strip()):
        raise ConfigError(
            f"imap_processed_folder ({s.imap_processed_folder!r}) is the mailbox fetched ({s.imap_mailbox!r}): every fetch would read its own processed messages again",
            hint='name another folder, e.g. imap_processed_folder = "leadex-processed"',
        )


def _check_ca_file(s: Settings, name: str) -> None:
    """A CA file setting names a readable file of PEM certificates (else the first TLS connection would fail obscurely)."""
    path = getattr(s, name)
    if path is None:
        return
    import ssl

    hint = f"give the PEM file of your CA's certificate, e.g. {name} = \"/etc/ssl/certs/example-org-ca.pem\"; unset it to trust the system's CAs"
    if not path.is_file():
        raise ConfigError(f"{_where(s, name)}: {path} {'is not a file' if path.exists() else 'does not exist'}", hint=hint)
    try:
        ssl.create_default_context(cafile=str(path))
    except PermissionError:
        raise ConfigError(f"{_where(s, name)}: {path} cannot be read (permission denied)", hint=f"let the user running leadex-mail read it; {hint}") from None
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise ConfigError(f"{_where(s, name)}: {path} holds no certificate in PEM form ({exc})", hint=hint) from None


def _check_timezone(s: Settings) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(s.timezone)  # type: ignore[arg-type]
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{_where(s, 'timezone')}: unknown time zone {s.timezone!r}", hint='use an IANA name, e.g. timezone = "Europe/Ljubljana" or "UTC"') from None


def _where(s: Settings, name: str) -> str:
    """Where a setting came from, for an error about its value."""
    source = s.sources.get(name, "default")
    return f"setting {name!r} from {source}"
