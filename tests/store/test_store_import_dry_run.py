"""A dry run of an import only reads: no write lock, no byte written, and the same report the real import gives.

The dry run and the real import share one planner (``importer._plan_slice``); the real import applies its plans.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leadex_mail.store import importer, lists, subscribers
from leadex_mail.store.db import Store


def _files(db: Path) -> dict[str, tuple[str, int, int]]:
    """Each of the store's files (the database and its WAL) as (sha256, size, mtime_ns)."""
    out = {}
    for path in (db, db.with_name(db.name + "-wal")):
        if path.exists():
            st = path.stat()
            out[path.name] = (hashlib.sha256(path.read_bytes()).hexdigest(), st.st_size, st.st_mtime_ns)
    return out


def _big_csv(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "many.csv"
    path.write_text("email,name,language\n" + "".join(f"p{i}@example.org,Name {i},sl\n" for i in range(n)), encoding="utf-8")
    return path


@pytest.fixture
def news(store: Store):
    news = lists.create_list(store, "news")
    subscribers.add_subscriber(store, "ana@example.org", name="Ana", lists=["news"])  # something to compare with
    return news


def test_dry_run_leaves_the_database_and_its_wal_untouched(store, news, settings, tmp_path, sqlite_only):
    db = Path(settings.database_url.removeprefix("sqlite:///"))
    path = _big_csv(tmp_path, 20_000)  # enough rows that a rolled-back write transaction spills pages into the WAL
    before = _files(db)
    report = importer.import_csv(store, path, list_name="news", dry_run=True)
    assert (report.imported, report.unchanged) == (20_000, 0)
    assert _files(db) == before


_WRITER = """
import sys
from leadex_mail.config import Settings
from leadex_mail.store import subscribers
from leadex_mail.store.db import open_store
store = open_store(Settings(database_url=sys.argv[1]), migrate=False)
subscribers.add_subscriber(store, "colleague@example.org", lists=["news"])
store.close()
print("written")
"""


def test_another_process_writes_while_a_dry_run_is_reading(store, news, settings, tmp_path, monkeypatch):
    """In the middle of the dry run (after its first read of the subscribers), a second process subscribes someone."""
    seen: list[subprocess.CompletedProcess[str]] = []
    existing = importer._existing

    def read_then_let_another_write(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = existing(*args, **kwargs)
        if not seen:
            env = {**os.environ, "LEADEX_CONFIG": ""}
            seen.append(subprocess.run([sys.executable, "-c", _WRITER, settings.database_url], capture_output=True, text=True, env=env))
        return found

    monkeypatch.setattr(importer, "_existing", read_then_let_another_write)
    report = importer.import_csv(store, _big_csv(tmp_path, 12_000), list_name="news", dry_run=True)
    assert report.imported == 12_000
    [writer] = seen
    assert (writer.returncode, writer.stdout.strip(), writer.stderr) == (0, "written", "")
    assert subscribers.get_subscriber(store, "colleague@example.org").status == "active"


RICH = """email,name,language,lists,status,country
ana@example.org,Ana Novak,,,,SI
Ana@Example.org,Ana Again,en,events,,
bor@example.org,,en,,,
cene@example.org,Cene,de,events,,AT
gone@example.org,Gone,,,,
bounced@example.org,,,,,
left@example.org,,,,,
erased@example.org,,,,,
pend@example.org,Pending,,,,
old@example.org,,,news:unsubscribed,,
file-unsub@example.org,,,,unsubscribed,
not-an-address,,,,,
bad-lang@example.org,,xx-notalanguage-at-all,,,
multi@example.org,"Multi",,,,"line one
line two"
"""


def _verdicts(report):  # type: ignore[no-untyped-def]
    return {
        "counts": (report.rows, report.imported, report.updated, report.unchanged),
        "merged": list(report.merged),
        "changed": [(c.line, c.value, c.code, c.args) for c in report.changed],
        "rejected": [(r.line, r.value, r.code, r.args) for r in report.rejected],
        "languages": dict(report.languages),
    }


def test_dry_run_report_equals_the_real_imports_result(store, tmp_path):
    lists.create_list(store, "news")
    events = lists.create_list(store, "events")
    subscribers.add_subscriber(store, "ana@example.org", name="Ana", lists=["news"])
    subscribers.add_subscriber(store, "bor@example.org", name="Bor", language="en", lists=["news"])
    gone = subscribers.add_subscriber(store, "gone@example.org", lists=["news"])
    subscribers.unsubscribe(store, gone.id, source="one-click")
    bounced = subscribers.add_subscriber(store, "bounced@example.org", lists=["news"])
    subscribers.mark_bounced(store, bounced.id, reply="550 5.1.1 no such user")
    left = subscribers.add_subscriber(store, "left@example.org", lists=["news", "events"])
    subscribers.unsubscribe(store, left.id, source="web", list_id=events.id)
    subscribers.forget(store, "erased@example.org")
    subscribers.request_subscription(
        store, "pend@example.org", name="P", language="sl", lists=["news"], consent_version="v", source="web", ip=None, user_agent=None
    )
    path = tmp_path / "rich.csv"
    path.write_text(RICH, encoding="utf-8")
    dry = importer.import_csv(store, path, list_name="news", dry_run=True)
    real = importer.import_csv(store, path, list_name="news")
    assert _verdicts(dry) == _verdicts(real)
    # every kind of verdict is in the file
    kinds = {r[2] for r in _verdicts(real)["rejected"]}
    assert {"suppressed_unsubscribed", "suppressed_bounced", "suppressed_erased", "file_unsubscribed", "file_left_list", "bad_address"} <= kinds
    assert real.imported and real.updated and real.merged and real.changed
    assert dry.format().splitlines()[-1] == "dry run: nothing was written"


def test_progress_is_said_after_each_slice(store, news, tmp_path):
    said: list[tuple[int, int]] = []
    importer.import_csv(store, _big_csv(tmp_path, 12_000), dry_run=True, progress=lambda done, total: said.append((done, total)))
    assert said == [(5000, 12_000), (10_000, 12_000), (12_000, 12_000)]
