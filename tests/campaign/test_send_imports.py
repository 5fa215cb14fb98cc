"""What ``leadex-mail send`` imports before it sends: on SQLite, never the PostgreSQL dialect.

Issue 11 item 7: ``send`` spent ~0.55 s importing before it sent anything, a
fifth of it SQLAlchemy's PostgreSQL dialect package (its asyncpg and psycopg
modules) that a SQLite store never uses. The whole command runs here, as an
officer runs it, with Python's own import log (``-X importtime``).
"""

from __future__ import annotations

import pytest
from faulty_smtp import FaultPolicy, faulty_server
from test_crash import send_process


@pytest.mark.parametrize("backend", ["sqlite"])  # on PostgreSQL the dialect is what the store runs on
def test_a_send_on_sqlite_never_imports_the_postgresql_dialect(tmp_path, settings, store, people) -> None:
    people(3)
    server = faulty_server(FaultPolicy())
    try:
        proc = send_process(tmp_path, settings, server, python=("-X", "importtime"))
        output = proc.communicate(timeout=120)[0]
    finally:
        server.stop()
    assert proc.returncode == 0, output[-3000:]
    assert sum(server.counts.values()) == 3
    imported = [line.rsplit("|", 1)[-1].strip() for line in output.splitlines() if line.startswith("import time:")]
    assert "leadex_mail.campaign.runner" in imported  # the log is the send's own
    assert not [m for m in imported if m.startswith("sqlalchemy.dialects.postgresql")]
