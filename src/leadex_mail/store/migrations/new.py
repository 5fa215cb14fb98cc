"""Developer helper: autogenerate a new migration from the models.

    python -m leadex_mail.store.migrations.new "add subscriber.phone"

Builds a scratch SQLite database at the current head in a temporary folder,
compares it with the models and writes ``versions/NNNN_<slug>.py``. Review
the result by hand: migrations are frozen history and must not import the
models.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from alembic import command

from leadex_mail.store import db, schema


def main(message: str) -> None:
    """Write the next revision file for ``message``."""
    script = schema.script_directory()
    head = script.get_current_head() or "0000"
    number = f"{int(head) + 1:04d}"
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")
    with tempfile.TemporaryDirectory() as tmp:
        store = db.Store(db.make_engine(f"sqlite:///{Path(tmp) / 'scratch.db'}"))
        db.upgrade(store)
        with store.engine.begin() as conn:
            cfg = schema.alembic_config(conn)
            command.revision(cfg, message=message, autogenerate=True, rev_id=number)
        store.close()
    for path in (schema.MIGRATIONS / "versions").glob(f"{number}_*.py"):
        path.rename(path.with_name(f"{number}_{slug}.py"))


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "change")
