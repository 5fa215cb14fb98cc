"""Every version of the privacy notice, kept as consent evidence.

A consent event records the notice version shown (``event.notice_version``);
this table keeps what that version said (``web/notice.py`` builds it), so
the controller can show years later what a person was told when they
signed up (GDPR Art. 7(1), 13). Rows are added, never changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from leadex_mail.store.db import Store
from leadex_mail.store.models import PrivacyNotice

_N = PrivacyNotice.__table__  # type: ignore[attr-defined]


def record_notice(store: Store, version: str, content: dict[str, Any], now: datetime) -> bool:
    """Keep ``version`` with its ``content`` unless it is kept already; True when it was new.

    Several ``serve`` processes may start at once: a version another one
    recorded first is left as it is (same version, same content).
    """
    try:
        with store.begin() as conn:
            if conn.execute(select(_N.c.version).where(_N.c.version == version)).first() is not None:
                return False
            conn.execute(_N.insert().values(version=version, first_shown_at=now, content=content))
    except IntegrityError:  # PostgreSQL: another process inserted it between our read and write
        return False
    return True


def notice_versions(store: Store) -> list[tuple[str, datetime]]:
    """``(version, first shown)`` of every notice version kept, oldest first."""
    with store.begin(write=False) as conn:
        return [(v, at) for v, at in conn.execute(select(_N.c.version, _N.c.first_shown_at).order_by(_N.c.first_shown_at, _N.c.version))]


def notice_content(store: Store, version: str) -> dict[str, Any] | None:
    """What version ``version`` of the notice said; None when it was never shown."""
    with store.begin(write=False) as conn:
        return conn.execute(select(_N.c.content).where(_N.c.version == version)).scalar()
