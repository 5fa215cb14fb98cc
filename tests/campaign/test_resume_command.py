"""The printed resume command runs as printed: it keeps ``--config`` and the options of the send (finding i8/a8 #6).

Reported: ``leadex-mail --config /tmp/a8_cfg/prod.toml send … --list p
--rate 30/min``, stopped, printed ``leadex-mail send … --list p --resume``;
run literally (elsewhere) it said "there is no list 'p'" and hinted to
create it in the wrong store. Here the store is named only by the config
file, the send pauses (the relay answers 421 to everything), and the
printed command is run word for word from another folder once the relay
is back.
"""

from __future__ import annotations

import re
import shlex

import pytest

from campaign_helpers import ISSUE, REPO, add_people
from click.testing import CliRunner
from faulty_smtp import FaultPolicy, faulty_server

from leadex_mail.cli import main
from leadex_mail.store import campaigns


def test_the_printed_command_keeps_config_and_rate(tmp_path, monkeypatch, store, settings) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("the config file names the SQLite file; the printed command does not depend on the database")
    add_people(store, 3, list_name="p")
    (tmp_path / "cfg").mkdir()
    config = tmp_path / "cfg" / "prod.toml"
    config.write_text(
        f'database_url = "{settings.database_url}"\nnewsletters_dir = "{REPO / "newsletters"}"\n'
        f'outbox_dir = "{tmp_path / "outbox"}"\nimages_url = "https://images.example.org"\n'
    )
    policy = FaultPolicy(down=True)
    server = faulty_server(policy)
    env = {
        "LEADEX_SMTP_HOST": server.host, "LEADEX_SMTP_PORT": str(server.port), "LEADEX_SMTP_SECURITY": "none",
        "LEADEX_SECRET_KEY": "k" * 32, "LEADEX_PUBLIC_URL": "https://news.example.org", "LEADEX_SEND_PAUSE_AFTER_FAILURES": "2",
        "LEADEX_SEND_BACKOFF_SECONDS": "0.01", "LEADEX_DATABASE_URL": None,
    }  # fmt: skip
    monkeypatch.chdir(tmp_path / "cfg")
    try:
        first = CliRunner().invoke(main, ["--config", "prod.toml", "send", ISSUE, "--list", "p", "--rate", "600/min", "--yes"], env=env)
        assert first.exit_code == 4, first.output  # paused
        printed = re.search(r"To continue once the server is fine: (.+)", first.output).group(1)  # type: ignore[union-attr]
        assert printed == f"leadex-mail --config {config} send {ISSUE} --list p --rate 600/min --resume"
        policy.down = False
        (tmp_path / "elsewhere").mkdir()
        monkeypatch.chdir(tmp_path / "elsewhere")
        again = CliRunner().invoke(main, shlex.split(printed)[1:], env=env, input="y\n")
        assert again.exit_code == 0, again.output
    finally:
        server.stop()
    counts = campaigns.state_counts(store, campaigns.find_campaign(store, ISSUE).id)  # type: ignore[union-attr]
    assert counts["sent"] == 3 and server.total == 3
    assert not (tmp_path / "elsewhere" / "subscribers.db").exists()
