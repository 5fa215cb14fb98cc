"""Loading the settings: defaults, then the file, then ``LEADEX_*``, then flags, each value coerced and checked.

Values are coerced to the setting's type where they are read, so an error
names the file and line, the variable, or the flag; the whole object is then
validated once (``config/checks.py``).
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal, Mapping, get_args, get_type_hints

from leadex_mail.config.checks import validate
from leadex_mail.config.settings import SECRETS, Settings, redact_url, url_password
from leadex_mail.errors import ConfigError

CONFIG_FILE = "leadex-mail.toml"
ENV_PREFIX = "LEADEX_"
# Unicode Cc (C0, DEL, C1) and the line/paragraph separators: they break or
# smuggle mail headers and SMTP commands. The same class store/validation.py refuses.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

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
    validate(settings)
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


def _suggest(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, _NAMES, n=1)
    return f"did you mean {close[0]!r}?" if close else "see docs/configuration.md for the settings"
