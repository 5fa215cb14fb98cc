"""Configuration, validated once into a typed object.

Sources, later ones winning: built-in defaults, the file ``leadex-mail.toml``
(or the one named by ``--config`` / ``LEADEX_CONFIG``), the environment
(``LEADEX_*``), then command-line flags. Secrets (``smtp_password``,
``secret_key``, ``previous_secret_keys``, and the password inside
``database_url``) are read from the environment only.

Every text setting is refused when it holds a control character (CR, LF,
TAB, NUL, DEL, C1, U+2028/U+2029): most of them end up in mail headers or
SMTP commands, where a line break adds headers of its own (``reply_to =
"r@x\r\nBcc: ..."``). Errors name the file and line, or the variable.

A TOML table flattens into the setting names: ``[smtp] host = "..."`` is the
setting ``smtp_host``, overridden by ``LEADEX_SMTP_HOST``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping, get_args, get_type_hints

from leadex_mail.errors import ConfigError

SECRETS = frozenset({"smtp_password", "secret_key", "previous_secret_keys", "imap_password"})
CONFIG_FILE = "leadex-mail.toml"
ENV_PREFIX = "LEADEX_"
# Used only with the outbox transport, where nothing leaves the machine.
DEV_SECRET_KEY = "leadex-dev-insecure-key-outbox-only"
# Unicode Cc (C0, DEL, C1) and the line/paragraph separators: they break or
# smuggle mail headers and SMTP commands. The same class store/validation.py refuses.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

Transport = Literal["outbox", "smtp"]
Security = Literal["starttls", "tls", "none"]
UncertainPolicy = Literal["resend", "hold"]


@dataclass(frozen=True)
class Settings:
    """Every setting of leadex-mail, with its default."""

    # store
    database_url: str = "sqlite:///subscribers.db"
    # content
    newsletters_dir: Path = Path("newsletters")
    default_language: str = "sl"
    # public web (unsubscribe, view in browser, archive, images)
    public_url: str | None = None
    images_url: str | None = None
    # transport
    transport: Transport | None = None  # None: smtp when smtp_host is set, else outbox
    outbox_dir: Path = Path("outbox")
    smtp_host: str | None = None
    smtp_port: int | None = None  # None: 587 starttls, 465 tls, 25 none
    smtp_security: Security = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 30.0
    smtp_max_per_connection: int = 100
    smtp_allow_insecure: bool = False  # security "none" beyond loopback
    smtp_helo_name: str | None = None  # EHLO name; None: the machine's host name
    smtp_dsn: bool = True  # request NOTIFY=FAILURE and ENVID (RFC 3461) where the relay offers DSN
    smtp_ca_file: Path | None = None  # CA certificates (PEM) to trust for the relay instead of the system's (a private CA)
    # sender identity (None: taken from the brand file)
    from_name: str | None = None
    from_address: str | None = None
    reply_to: str | None = None
    list_id: str | None = None
    unsubscribe_mailto: str | None = None
    # DKIM
    dkim_key_path: Path | None = None
    dkim_selector: str | None = None
    dkim_domain: str | None = None
    # sending policy
    send_rate: str | None = None  # e.g. "600/min", "5000/h"
    send_concurrency: int = 2
    send_max_attempts: int = 5
    send_backoff_seconds: float = 60.0
    send_pause_after_failures: int = 10
    send_pause_after_bounces: int = 10  # identical hard bounces in a row that pause before anyone is suppressed; 0: never
    send_lease_seconds: int = 300
    send_uncertain: UncertainPolicy = "resend"  # no reply after the whole message went out: resend (marked uncertain) or hold
    test_recipients: tuple[str, ...] = ()
    # pre-send checks (`check --deep`, `send`)
    send_deep_check: bool = True  # `send` runs the deep checks first; --deep/--no-deep override
    chromium_path: Path | None = None  # None: `chromium` on PATH, else /usr/bin/chromium
    timezone: str | None = None  # IANA zone of times typed at the CLI (send --at), e.g. "Europe/Ljubljana"; unset: this machine's
    # secrets: environment only
    secret_key: str | None = None
    previous_secret_keys: tuple[str, ...] = ()  # verify links only (key rotation), never sign
    # subscribers
    smtputf8: bool = False
    consent_version: str = "2026-04"
    confirm_expiry_days: int = 7
    confirm_max_attempts: int = 10  # tries per confirmation mail before it is marked failed
    confirm_backoff_seconds: float = 60.0  # first retry delay; doubles each time, at most an hour
    pending_purge_days: int = 30
    # retention (`leadex-mail maintenance`, docs/privacy.md)
    unsubscribed_retention_days: int = 365  # unsubscribed/bounced/complained: then erased, suppression hash kept
    delivery_retention_days: int = 365  # after a campaign is done: its deliveries anonymised, counts kept
    # web
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    # return path: the envelope sender bounces go to (None: from_address); VERP: bounces+<token>@domain per delivery
    bounce_address: str | None = None
    verp: bool = False
    # bounce mailbox (bounces import / fetch): soft bounces suppress after N within M days
    bounce_soft_limit: int = 3
    bounce_soft_days: int = 30
    imap_host: str | None = None
    imap_port: int = 993  # IMAP over TLS (RFC 8314); there is no plain-text mode
    imap_user: str | None = None
    imap_password: str | None = None  # secret: LEADEX_IMAP_PASSWORD only
    imap_mailbox: str = "INBOX"
    imap_processed_folder: str = "leadex-processed"
    imap_ca_file: Path | None = None  # a CA bundle to trust instead of the system's (a private CA)
    # tests and trials on one machine only: SMTP sends and `serve` accept an
    # http:// or loopback public_url (see preflight.py)
    allow_insecure_links: bool = False
    # where each value came from: "default", a file path, "env LEADEX_X" or "flag"
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def effective_transport(self) -> Transport:
        """The transport in use: explicit, else smtp when a host is configured, else outbox."""
        if self.transport:
            return self.transport
        return "smtp" if self.smtp_host else "outbox"

    @property
    def effective_smtp_port(self) -> int:
        """The SMTP port, defaulting by security mode."""
        if self.smtp_port:
            return self.smtp_port
        return {"starttls": 587, "tls": 465, "none": 25}[self.smtp_security]

    def signing_key(self) -> bytes:
        """The HMAC key for tokens.

        With the outbox transport a fixed development key is allowed so the
        embedded demo works with no set-up; anything that reaches real people
        needs ``LEADEX_SECRET_KEY``.
        """
        if self.secret_key:
            return self.secret_key.encode()
        if self.effective_transport == "outbox":
            return DEV_SECRET_KEY.encode()
        raise ConfigError(
            "no secret key is configured for signing unsubscribe and view links",
            hint="set LEADEX_SECRET_KEY in the environment (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)",
        )

    def verification_keys(self) -> tuple[bytes, ...]:
        """The keys a link's signature may be made with: ``signing_key()`` first, then ``previous_secret_keys``.

        After a key change, links in mail already sent were signed with an
        older key; listing it in ``LEADEX_PREVIOUS_SECRET_KEYS`` keeps them
        working while every new link is signed with the current key.
        """
        current = self.signing_key()
        older = (key.encode() for key in self.previous_secret_keys)
        return (current, *dict.fromkeys(key for key in older if key != current))

    def masked(self) -> dict[str, tuple[Any, str]]:
        """Every setting as ``name -> (value, source)``, secrets masked."""
        out: dict[str, tuple[Any, str]] = {}
        for f in dataclasses.fields(self):
            if f.name == "sources":
                continue
            value = getattr(self, f.name)
            if f.name in SECRETS and value:
                value = "********"
            elif f.name == "database_url":
                value = redact_url(value)
            out[f.name] = (value, self.sources.get(f.name, "default"))
        return out


def _userinfo(url: str) -> tuple[str, str, str | None] | None:
    """``(text up to the user name, host and the rest, password)`` of a URL with ``user:password@``.

    Lenient on purpose (it also masks URLs that are not valid): the
    user-info is what stands between ``//`` and the last ``@`` before the
    next ``/``, ``?`` or ``#``.
    """
    start = url.find("//") + 2 if "//" in url else 0
    end = len(url)
    for mark in "/?#":
        found = url.find(mark, start)
        if found != -1:
            end = min(end, found)
    at = url.rfind("@", start, end)
    if at == -1 or ":" not in url[start:at]:
        return None
    user, password = url[start:at].split(":", 1)
    return url[:start] + user, url[at + 1 :], password or None


# Query parameters that carry a password (libpq and psycopg accept ``?password=``, ``?sslpassword=``).
_QUERY_SECRET = re.compile(r"([?&][^=&#]*password[^=&#]*=)([^&#]*)", re.IGNORECASE)


def url_password(url: str) -> str | None:
    """The password written in ``url``: in its user-info (``scheme://user:password@host``) or its query (``?password=``)."""
    parts = _userinfo(url)
    if parts and parts[2]:
        return parts[2]
    found = _QUERY_SECRET.search(url)
    return found.group(2) or None if found else None


def redact_url(url: str) -> str:
    """``url`` with every password replaced by ``***`` (for display and errors).

    The user-info's password up to the *last* ``@`` before the host (an
    unencoded ``@`` in a password stays hidden), and the value of every
    query parameter named like a password (``password``, ``sslpassword``).
    """
    parts = _userinfo(url)
    if parts is not None and parts[2] is not None:
        url = f"{parts[0]}:***@{parts[1]}"
    return _QUERY_SECRET.sub(lambda m: m.group(1) + ("***" if m.group(2) else ""), url)


_HINTS = get_type_hints(Settings)
_NAMES = [f.name for f in dataclasses.fields(Settings) if f.name != "sources"]


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}".replace("-", "_")
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "_"))
        else:
            flat[name] = value
    return flat


def _coerce(name: str, raw: Any, origin: str) -> Any:
    """Turn a raw value (TOML value or env string) into the setting's type."""
    hint = _HINTS[name]
    args = [a for a in get_args(hint) if a is not type(None)]
    target = args[0] if args and get_args(hint) and hint.__class__.__name__ == "UnionType" else hint
    if raw is None or raw == "":
        return None if type(None) in get_args(hint) else raw
    try:
        if getattr(target, "__origin__", None) is Literal or get_args(target) and all(isinstance(a, str) for a in get_args(target)):
            allowed = get_args(target)
            if raw not in allowed:
                raise ValueError(f"must be one of {', '.join(allowed)}")
            return raw
        if target is bool:
            if isinstance(raw, bool):
                return raw
            if str(raw).lower() in {"1", "true", "yes", "on"}:
                return True
            if str(raw).lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError("must be true or false")
        if target is int:
            if isinstance(raw, bool):
                raise ValueError("must be a whole number")
            return int(raw)
        if target is float:
            return float(raw)
        if target is Path:
            return Path(str(raw)).expanduser()
        if getattr(target, "__origin__", None) is tuple:
            items = raw if isinstance(raw, list) else [s for s in str(raw).split(",")]
            return tuple(str(s).strip() for s in items if str(s).strip())
        if target is str:
            if not isinstance(raw, str):
                raise ValueError("must be text")
            return raw
    except ValueError as exc:
        raise ConfigError(f"setting {name!r} from {origin}: {exc} (got {raw!r})") from None
    return raw


def load_settings(
    config_path: Path | str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the effective ``Settings`` from file, environment and flags.

    ``config_path`` None means ``$LEADEX_CONFIG`` or ``./leadex-mail.toml`` if
    present. ``overrides`` are flag values; ``None`` values are ignored.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}

    explicit = config_path or env.get(f"{ENV_PREFIX}CONFIG")
    path = Path(explicit) if explicit else Path(CONFIG_FILE)
    if explicit and not path.is_file():
        raise ConfigError(f"configuration file {path} does not exist", hint="check the --config path or LEADEX_CONFIG")
    if path.is_file():
        _read_file(path, values, sources)

    for name in _NAMES:
        key = f"{ENV_PREFIX}{name.upper()}"
        if key in env:
            values[name] = _checked(name, env[key], f"environment {key}")
            sources[name] = f"env {key}"

    for name, raw in (overrides or {}).items():
        if raw is None:
            continue
        if name not in _NAMES:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = _checked(name, raw, "command line")
        sources[name] = "flag"

    settings = Settings(**values, sources=sources)
    _validate(settings)
    return settings


def _read_file(path: Path, values: dict[str, Any], sources: dict[str, str]) -> None:
    """Read ``path`` (TOML) into ``values``; errors name the file and the setting's line."""
    try:
        text = path.read_text(encoding="utf-8")
        table = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", hint="see docs/configuration.md for the format") from None
    lines = _setting_lines(text)
    for name, raw in _flatten(table).items():
        where = f"{path}:{lines[name]}" if name in lines else str(path)
        if name not in _NAMES:
            raise ConfigError(f"{where}: unknown setting {name!r}", hint=_suggest(name))
        if name in SECRETS:
            raise ConfigError(
                f"{where}: {name!r} is a secret and may not be written in a file",
                hint=f"remove it from the file and set {ENV_PREFIX}{name.upper()} in the environment",
            )
        if name == "database_url" and isinstance(raw, str) and url_password(raw):
            raise ConfigError(
                f"{where}: database_url holds a password ({redact_url(raw)}); passwords may not be written in a file",
                hint="leave the password out of the file and set PGPASSWORD (or ~/.pgpass), "
                "or set the whole URL in LEADEX_DATABASE_URL",
            )
        values[name] = _checked(name, raw, where)
        sources[name] = str(path)


def _setting_lines(text: str) -> dict[str, int]:
    """The line where each setting of a TOML text is written (tomllib keeps no positions).

    Follows ``[table]`` headers and dotted keys the way ``_flatten`` names
    settings; a line it cannot read is skipped (tomllib has already accepted the text).
    """
    found: dict[str, int] = {}
    prefix = ""
    key_re = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
    for number, line in enumerate(text.splitlines(), 1):
        table = re.match(rf"\s*\[\s*({key_re}(?:\s*\.\s*{key_re})*)\s*\]\s*(#.*)?$", line)
        if table:
            prefix = _dotted(table.group(1)) + "_"
            continue
        assignment = re.match(rf"\s*({key_re}(?:\s*\.\s*{key_re})*)\s*=", line)
        if assignment:
            found.setdefault(prefix + _dotted(assignment.group(1)), number)
    return found


def _dotted(key: str) -> str:
    """``smtp.host`` or ``"smtp".host`` as the flattened setting name ``smtp_host``."""
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([A-Za-z0-9_-]+)', key)
    return "_".join(next(p for p in part if p) for part in parts).replace("-", "_")


def _checked(name: str, raw: Any, origin: str) -> Any:
    """``_coerce`` plus the refusal of control characters in every text setting but the secrets."""
    value = _coerce(name, raw, origin)
    if name not in SECRETS:
        for text in value if isinstance(value, tuple) else (value,):
            if isinstance(text, str) and (bad := _CONTROL.search(text)):
                raise ConfigError(
                    f"{origin}: setting {name!r} contains a control character (U+{ord(bad.group()):04X}, e.g. a line break)",
                    hint="write the value on one line without control characters: in a mail header a line break "
                    "would start a header of its own (such as Bcc:)",
                )
    return value


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


def _suggest(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, _NAMES, n=1)
    return f"did you mean {close[0]!r}?" if close else "see docs/configuration.md for the settings"


def _validate(s: Settings) -> None:
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
