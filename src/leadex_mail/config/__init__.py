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

from leadex_mail.config.checks import MAX_DAYS, MAX_SOFT_DAYS, MAX_SOFT_LIMIT, VERP_SUFFIX, is_host_name
from leadex_mail.config.loading import _NAMES, CONFIG_FILE, ENV_PREFIX, load_settings
from leadex_mail.config.settings import (
    DEV_SECRET_KEY,
    SECRETS,
    Security,
    Settings,
    Transport,
    UncertainPolicy,
    redact_url,
    url_password,
)

__all__ = [
    "CONFIG_FILE",
    "DEV_SECRET_KEY",
    "ENV_PREFIX",
    "MAX_DAYS",
    "MAX_SOFT_DAYS",
    "MAX_SOFT_LIMIT",
    "SECRETS",
    "VERP_SUFFIX",
    "Security",
    "Settings",
    "Transport",
    "UncertainPolicy",
    "is_host_name",
    "load_settings",
    "redact_url",
    "url_password",
]
