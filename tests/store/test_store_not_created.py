"""Commands that read a store, or act on what is in it, never create one (finding i8/a8 #5).

Reported: ``cd /tmp/x && leadex-mail status`` said "No campaigns yet" and
left a new empty ``subscribers.db``; ``send`` to a list of the store it did
not find hinted to create the list there. Only the commands that put
something in (``lists create``, ``subscribers add``/``import``, ``db
upgrade``, ``demo``, ``serve``, ``bounces import``/``fetch``,
``maintenance``) start a new store.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from leadex_mail.cli import main

READERS = [
    ["status"], ["subscribers", "list"], ["subscribers", "show", "a@example.org"], ["subscribers", "stats"],
    ["subscribers", "export"], ["subscribers", "forget", "a@example.org", "--yes"], ["subscribers", "purge-pending"],
    ["subscribers", "reactivate", "a@example.org", "--reason", "x"], ["lists", "list"], ["lists", "show", "news"],
    ["db", "status"], ["retry", "2026-04-leadex-01"], ["confirmations"], ["bounces", "report"],
    ["send", "2026-04-leadex-01", "--list", "news", "--yes"],
]  # fmt: skip


@pytest.mark.parametrize("args", READERS, ids=[" ".join(a[:2]) for a in READERS])
def test_a_command_in_the_wrong_folder_says_there_is_no_store(tmp_path, monkeypatch, args) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args, env={"LEADEX_DATABASE_URL": None, "LEADEX_CONFIG": None})
    assert result.exit_code == 1, result.output
    assert "there is no subscriber store subscribers.db" in result.output and "hint:" in result.output, result.output
    assert not (tmp_path / "subscribers.db").exists()


def test_the_commands_that_fill_a_store_start_one(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    created = CliRunner().invoke(main, ["lists", "create", "news"], env={"LEADEX_DATABASE_URL": None, "LEADEX_CONFIG": None})
    assert created.exit_code == 0, created.output
    assert (tmp_path / "subscribers.db").exists()
    shown = CliRunner().invoke(main, ["lists", "list"], env={"LEADEX_DATABASE_URL": None, "LEADEX_CONFIG": None})
    assert shown.exit_code == 0 and "news" in shown.output
