"""What the campaign tests (and bench/send_bench.py) share: settings, people, the sink's path.

A module of its own, not ``conftest``: several test folders have a
conftest.py, and a later one replaces ``sys.modules["conftest"]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import func, insert, select

from leadex_mail.config import Settings
from leadex_mail.store.db import Store
from leadex_mail.store.models import MailingList, Subscriber, Subscription

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))  # the fast sink (bench/sinks.py) is shared with the benchmark
ISSUE = "2026-04-leadex-01"


def make_settings(tmp_path: Path, *, store: Store | None = None, **overrides: object) -> Settings:
    """Settings on a store file and outbox in ``tmp_path`` (or on ``store``'s database), the repo's newsletters, fast retries."""
    url = store.engine.url.render_as_string(hide_password=False) if store is not None else f"sqlite:///{tmp_path / 'subscribers.db'}"
    values: dict[str, object] = dict(
        database_url=url,
        newsletters_dir=REPO / "newsletters",
        outbox_dir=tmp_path / "outbox",
        images_url="https://images.example.org",
        send_backoff_seconds=0.01,
        send_concurrency=2,
        send_deep_check=False,  # as tests/conftest.py's LEADEX_SEND_DEEP_CHECK: the worker's check at a scheduled send's time is send's
    )
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def email_of(i: int) -> str:
    """The address of test person ``i``."""
    return f"person{i:05d}@example.org"


def add_people(store: Store, n: int, *, list_name: str = "newsletter", languages: tuple[str, ...] = ("sl", "en"), start: int = 0) -> list[int]:
    """Insert ``n`` active subscribers on ``list_name`` (created if needed); return their ids."""
    s, sub, lists = Subscriber.__table__, Subscription.__table__, MailingList.__table__
    with store.begin() as conn:
        list_id = conn.execute(select(lists.c.id).where(lists.c.name == list_name)).scalar()
        if list_id is None:
            list_id = conn.execute(insert(lists).values(name=list_name, title=list_name, description="")).inserted_primary_key[0]
        before = conn.execute(select(func.coalesce(func.max(s.c.id), 0))).scalar()
        rows = [
            dict(email=email_of(i), name=f"Oseba Čžš {i}", language=languages[i % len(languages)], status="active", attributes={})
            for i in range(start, start + n)
        ]
        conn.execute(insert(s), rows)
        ids = list(conn.execute(select(s.c.id).where(s.c.id > before).order_by(s.c.id)).scalars())
        conn.execute(insert(sub), [dict(subscriber_id=i, list_id=list_id, status="active") for i in ids])
    return ids


def smtp_env(server: object) -> dict[str, str]:
    """The environment that points ``leadex-mail`` at a loopback SMTP server (``host``, ``port`` attributes)."""
    return {
        "LEADEX_SMTP_HOST": server.host,  # type: ignore[attr-defined]
        "LEADEX_SMTP_PORT": str(server.port),  # type: ignore[attr-defined]
        "LEADEX_SMTP_SECURITY": "none",
        "LEADEX_SECRET_KEY": "k" * 32,
        "LEADEX_PUBLIC_URL": "https://news.example.org",  # pre-flight: an SMTP send needs an https public URL
    }
