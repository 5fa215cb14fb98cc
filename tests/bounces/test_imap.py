"""``bounces fetch`` against a real IMAP server: Dovecot on loopback, TLS with a test CA.

Processed messages are moved to the processed folder; a second fetch
processes nothing; a message already recorded (e.g. imported from a file
before) is recognised as a duplicate and still moved; TLS and login
failures are clear errors, never tracebacks.
"""

from __future__ import annotations

import dataclasses
import imaplib
import ssl
from datetime import UTC, datetime, timedelta

import pytest
from bounce_helpers import CORPUS, seed
from click.testing import CliRunner
from dovecot import DOVECOT, start_dovecot

from leadex_mail.bounces.service import fetch_imap, import_paths
from leadex_mail.cli import main
from leadex_mail.errors import MailboxError
from leadex_mail.store.models import Subscriber

FILES = ["03_postfix_user_unknown.eml", "16_arf_yahoo_complaint.eml", "18_autoreply_rfc3834.eml", "22_human_reply.eml", "15_qmail_no_mailbox.eml"]


@pytest.fixture(scope="module")
def imap_server():
    if not DOVECOT.exists():
        pytest.fail("Dovecot is not installed: run `sh .ci/setup` (apt-get install dovecot-imapd)")
    server = start_dovecot()
    yield server
    server.stop()


@pytest.fixture
def mailbox(imap_server):
    """An IMAP session of the test's own (the server's mailboxes emptied first)."""
    conn = imaplib.IMAP4_SSL("127.0.0.1", imap_server.port, ssl_context=ssl.create_default_context(cafile=str(imap_server.ca_file)))
    conn.authenticate("PLAIN", lambda _: f"\0{imap_server.user}\0{imap_server.password}".encode())
    for folder in ("INBOX", "leadex-processed"):
        typ, count = conn.select(folder)
        if typ == "OK" and int(count[0]):
            conn.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
            conn.expunge()
    yield conn
    conn.logout()


def _count(conn: imaplib.IMAP4_SSL, folder: str) -> int:
    typ, data = conn.select(folder, readonly=True)
    return int(data[0]) if typ == "OK" else 0


def _imap_settings(settings, server, **over):
    values = {"imap_host": "127.0.0.1", "imap_port": server.port, "imap_user": server.user, "imap_password": server.password, "imap_ca_file": server.ca_file}
    return dataclasses.replace(settings, **{**values, **over})


def _append(conn: imaplib.IMAP4_SSL, names: list[str]) -> None:
    for name in names:
        assert conn.append("INBOX", None, None, (CORPUS / name).read_bytes().replace(b"\n", b"\r\n"))[0] == "OK"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_fetch_processes_moves_and_never_twice(store, settings, imap_server, mailbox) -> None:
    seed(store)
    _append(mailbox, FILES)
    imap = _imap_settings(settings, imap_server)
    first = fetch_imap(store, imap)
    assert sorted(first.actions.items()) == [("ignored", 1), ("kept", 1), ("suppressed", 2), ("unsubscribed", 1)]
    assert _count(mailbox, "INBOX") == 0 and _count(mailbox, "leadex-processed") == len(FILES)
    with store.session(write=False) as session:
        assert session.get(Subscriber, 3).status == "bounced" and session.get(Subscriber, 16).status == "complained"
    second = fetch_imap(store, imap)
    assert second.outcomes == []
    assert _count(mailbox, "leadex-processed") == len(FILES)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_message_already_recorded_is_moved_without_acting_again(store, settings, imap_server, mailbox) -> None:
    seed(store)
    import_paths(store, settings, [CORPUS / "07_exim_user_unknown.eml"])  # e.g. a run that crashed before moving it
    _append(mailbox, ["07_exim_user_unknown.eml"])
    result = fetch_imap(store, _imap_settings(settings, imap_server))
    assert result.actions == {"duplicate": 1}
    assert _count(mailbox, "INBOX") == 0 and _count(mailbox, "leadex-processed") == 1


@pytest.mark.parametrize("backend", ["sqlite"])
def test_fetch_command_through_the_cli(store, settings, imap_server, mailbox, monkeypatch, tmp_path) -> None:
    _append(mailbox, ["22_human_reply.eml"])
    env = {
        "LEADEX_DATABASE_URL": settings.database_url, "LEADEX_IMAP_HOST": "127.0.0.1", "LEADEX_IMAP_PORT": str(imap_server.port),
        "LEADEX_IMAP_USER": imap_server.user, "LEADEX_IMAP_PASSWORD": imap_server.password, "LEADEX_IMAP_CA_FILE": str(imap_server.ca_file),
    }
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["bounces", "fetch"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 message read: 1 kept" in result.output
    status = CliRunner().invoke(main, ["bounces", "status"], env=env)
    assert "Kept for a person to read: 1" in status.output and "Re: LeadEx novice 1" in status.output


@pytest.mark.parametrize("backend", ["sqlite"])
def test_untrusted_certificate_and_wrong_password_are_clear_errors(store, settings, imap_server, mailbox) -> None:
    _append(mailbox, ["22_human_reply.eml"])
    with pytest.raises(MailboxError, match="TLS certificate is not trusted") as err:
        fetch_imap(store, _imap_settings(settings, imap_server, imap_ca_file=None))
    assert "imap_ca_file" in (err.value.hint or "")
    with pytest.raises(MailboxError, match="cannot log in"):
        fetch_imap(store, _imap_settings(settings, imap_server, imap_password="wrong"))
    assert _count(mailbox, "INBOX") == 1  # nothing was processed or moved


@pytest.mark.parametrize("backend", ["sqlite"])
def test_maintenance_deletes_the_processed_copies_after_the_retention(store, settings, imap_server, mailbox, monkeypatch, tmp_path) -> None:
    # `bounces fetch` keeps every message it read in the processed folder: bounces and complaints, addresses in them.
    now = datetime.now(UTC)
    mailbox.create('"leadex-processed"')  # NO when it exists already: either way it is there
    for folder, name, age in (("leadex-processed", "03_postfix_user_unknown.eml", 400), ("leadex-processed", "16_arf_yahoo_complaint.eml", 10),
                              ("INBOX", "22_human_reply.eml", 400)):  # the inbox's message is not processed yet: never touched
        raw = (CORPUS / name).read_bytes().replace(b"\n", b"\r\n")
        assert mailbox.append(folder, None, imaplib.Time2Internaldate(now - timedelta(days=age)), raw)[0] == "OK"
    env = {
        "LEADEX_DATABASE_URL": settings.database_url, "LEADEX_IMAP_HOST": "127.0.0.1", "LEADEX_IMAP_PORT": str(imap_server.port),
        "LEADEX_IMAP_USER": imap_server.user, "LEADEX_IMAP_PASSWORD": imap_server.password, "LEADEX_IMAP_CA_FILE": str(imap_server.ca_file),
    }
    monkeypatch.chdir(tmp_path)
    line = "bounce mailbox 127.0.0.1/leadex-processed: 1 message older than 365 days {}deleted"

    dry = CliRunner().invoke(main, ["maintenance", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert line.format("would be ") in dry.output and _count(mailbox, "leadex-processed") == 2
    done = CliRunner().invoke(main, ["maintenance"], env=env)
    assert done.exit_code == 0, done.output
    assert line.format("") in done.output
    assert _count(mailbox, "leadex-processed") == 1 and _count(mailbox, "INBOX") == 1
    assert CliRunner().invoke(main, ["maintenance", "--quiet"], env=env).output == ""  # cron: nothing more to do

    # A mailbox that refuses: the store's part is done and said, then a clear error and a non-zero exit.
    refused = CliRunner().invoke(main, ["maintenance"], env={**env, "LEADEX_IMAP_PASSWORD": "wrong"})
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert "active subscribers were not touched" in refused.output and "error: IMAP server 127.0.0.1:" in refused.output


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_poisoned_message_is_kept_and_moved_and_the_mailbox_goes_on(store, settings, imap_server, mailbox) -> None:
    # The tester's case: a broken encoded word (and MIME nested thousands deep) once crashed every fetch on the same message.
    seed(store)
    hostile = CORPUS.parent / "fixtures" / "hostile"
    for raw in ((hostile / "b64_subject.eml").read_bytes(), (hostile / "deep.eml").read_bytes(), (CORPUS / "03_postfix_user_unknown.eml").read_bytes()):
        assert mailbox.append("INBOX", None, None, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))[0] == "OK"
    result = fetch_imap(store, _imap_settings(settings, imap_server))
    assert [o.action for o in result.outcomes] == ["kept", "kept", "suppressed"]
    assert _count(mailbox, "INBOX") == 0 and _count(mailbox, "leadex-processed") == 3
    assert fetch_imap(store, _imap_settings(settings, imap_server)).outcomes == []


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_non_ascii_processed_folder_is_named_in_modified_utf7(store, settings, imap_server, mailbox) -> None:
    # The tester's LEADEX_IMAP_PROCESSED_FOLDER='Obdelano-čšž' raised UnicodeEncodeError.
    seed(store)
    _append(mailbox, ["03_postfix_user_unknown.eml"])
    result = fetch_imap(store, _imap_settings(settings, imap_server, imap_processed_folder="Obdelano-čšž"))
    assert result.actions == {"suppressed": 1}
    assert _count(mailbox, "INBOX") == 0 and _count(mailbox, '"Obdelano-&AQ0BYQF+-"') == 1
    typ, listed = mailbox.list('""', '"Obdelano-&AQ0BYQF+-"')
    assert typ == "OK" and listed and listed[0] is not None
    mailbox.delete('"Obdelano-&AQ0BYQF+-"')


@pytest.mark.parametrize("backend", ["sqlite"])
def test_capabilities_are_read_after_login(settings, imap_server) -> None:
    # Dovecot announces MOVE and UIDPLUS only once logged in: read before, they were never used.
    from leadex_mail.bounces.imap import ImapMailbox

    with ImapMailbox(_imap_settings(settings, imap_server)) as box:
        assert {"MOVE", "UIDPLUS"} <= box.capabilities
        assert box._can_move
