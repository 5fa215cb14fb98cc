"""No message's content may stop or roll back an import (SQLite and PostgreSQL).

A broken encoded word in any header, MIME nested thousands deep, a NUL byte
PostgreSQL refuses, a third-party detector tripping on a message without
``From:``, a value any later step trips on: the message is kept (with the
reason) and the rest of its batch, its mailbox and the run go on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bounce_helpers import CORPUS, seed
from sqlmodel import select

from leadex_mail.bounces.parse import parse_message
from leadex_mail.bounces.policy import Policy
from leadex_mail.bounces.readers import read_paths
from leadex_mail.bounces.service import import_paths, process_many
from leadex_mail.store.db import _hint_for
from leadex_mail.store.models import BounceReport, Delivery, Event, Subscriber

HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"
# The tester's inputs: each once crashed the parser (HeaderParseError, RecursionError) or printed tracebacks.
UNREADABLE = ["b64_subject.eml", "b64_mid.eml", "deep.eml", "deep822.eml", "empty.eml", "binary.eml"]


def _mbox(*messages: bytes) -> bytes:
    return b"".join(b"From MAILER-DAEMON Tue Dec  1 05:37:17 2026\n" + m.rstrip(b"\n") + b"\n\n" for m in messages)


@pytest.mark.parametrize("name", UNREADABLE)
def test_a_hostile_message_is_read_as_unrecognised_without_a_word_on_stderr(name, capfd) -> None:
    report = parse_message((HOSTILE / name).read_bytes())
    assert report.kind.value == "unrecognised"
    assert report.reason
    assert capfd.readouterr().err == ""  # flufl.bounce's detector tracebacks are not printed at the operator


def test_a_broken_encoded_word_keeps_the_rest_of_the_header() -> None:
    report = parse_message((HOSTILE / "b64_subject.eml").read_bytes())
    assert report.subject == "=?utf-8?b?SGVsbG8gd?="  # kept as written
    assert report.message_id == "<min2@example.com>"
    assert parse_message((HOSTILE / "b64_mid.eml").read_bytes()).subject == "hi"


def test_mime_nested_thousands_deep_keeps_its_headers() -> None:
    report = parse_message((HOSTILE / "deep.eml").read_bytes())
    assert report.format == "malformed" and "RecursionError" in (report.reason or "")


def test_a_poisoned_mailbox_is_processed_around_the_poison(store, settings, tmp_path) -> None:
    """The tester's poison.mbox shape: a hard bounce, then spam with a broken Subject, then a complaint; plus NUL and deep MIME."""
    seed(store)
    hard = (CORPUS / "03_postfix_user_unknown.eml").read_bytes()
    complaint = (CORPUS / "16_arf_yahoo_complaint.eml").read_bytes()
    # A NUL in the server's words (PostgreSQL refuses NUL in text and JSON): the bounce still acts, the NUL is dropped.
    nul = (CORPUS / "09_microsoft365_recipient_not_found.eml").read_bytes().replace(b"5.1.10", b"5.1.10\x00", 1)
    assert b"\x00" in nul
    mbox = tmp_path / "poison.mbox"
    mbox.write_bytes(_mbox(hard, (HOSTILE / "b64_subject.eml").read_bytes(), nul, (HOSTILE / "deep.eml").read_bytes(), complaint,
                           (HOSTILE / "nul_dsn.eml").read_bytes()))
    summary = import_paths(store, settings, [mbox])
    actions = [o.action for o in summary.outcomes]
    assert actions[:5] == ["suppressed", "kept", "suppressed", "kept", "unsubscribed"], actions
    assert len(actions) == 6
    with store.session(write=False) as session:
        assert session.get(Subscriber, 3).status == "bounced"
        assert session.get(Subscriber, 9).status == "bounced"
        assert session.get(Subscriber, 16).status == "complained"
        assert "\x00" not in (session.get(Delivery, 9).last_reply or "")
        assert len(session.exec(select(BounceReport)).all()) == 6
        events = session.exec(select(Event).where(Event.subscriber_id == 9)).all()
        assert events and "\x00" not in str(events[0].detail)
    # Every rerun: nothing new, nothing fails.
    assert import_paths(store, settings, [mbox]).actions == {"duplicate": 6}


def test_a_message_that_trips_any_later_step_is_kept_and_the_batch_goes_on(store, settings) -> None:
    """Whatever fails while one message is matched or recorded, that message is kept with the reason; its batch is not rolled back."""
    seed(store)
    hard = (CORPUS / "03_postfix_user_unknown.eml").read_bytes()
    trap = (CORPUS / "26_postfix_verp.eml").read_bytes()
    other = (CORPUS / "07_exim_user_unknown.eml").read_bytes()

    def verp(address: str) -> int | None:  # the VERP lookup is a seam: this one fails on one message's address
        if address.startswith("bounces+"):
            raise ValueError("cannot read this token")
        return None

    summary = process_many(store, [(hard, "a"), (trap, "b"), (other, "c")], policy=Policy(), verp=verp)
    assert [o.action for o in summary.outcomes] == ["suppressed", "kept", "suppressed"]
    with store.session(write=False) as session:
        kept = session.get(BounceReport, summary.outcomes[1].report_id)
        assert kept.raw == trap and "ValueError: cannot read this token" in kept.evidence["reason"]
        assert session.get(Subscriber, 3).status == "bounced" and session.get(Subscriber, 7).status == "bounced"


@pytest.mark.parametrize("name", ["leadingblank.mbox", "bom.mbox", "gz.mbox.gz", "poison.mbox"])
def test_mbox_variants_are_read_message_by_message(name) -> None:
    messages = list(read_paths([HOSTILE / name]))
    assert len(messages) == 3, [m[1] for m in messages]
    assert all(raw.startswith((b"From:", b"Return-Path", b"To:")) for raw, _ in messages)
    assert [source.rsplit("#", 1)[1] for _, source in messages] == ["1", "2", "3"]


def test_folders_say_what_they_skip_and_read_maildir_parts_mh_and_subfolders(tmp_path) -> None:
    message = (CORPUS / "03_postfix_user_unknown.eml").read_bytes()
    maildir_new = tmp_path / "Maildir" / "new"
    for sub in ("new", "cur", "tmp"):
        (tmp_path / "Maildir" / sub).mkdir(parents=True)
    (maildir_new / "1778000000.M1P1.host").write_bytes(message)
    mh = tmp_path / "mh"
    mh.mkdir()
    (mh / "1").write_bytes(message)
    (mh / "2").write_bytes(message)
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.eml").write_bytes(message)
    (folder / "readme.txt").write_text("This folder holds the bounces of May.\n")
    (folder / "saved.txt").write_bytes(message)
    skipped: list[tuple[str, str]] = []
    found = [source for _raw, source in read_paths([maildir_new, mh, folder], on_skip=lambda p, why: skipped.append((p, why)))]
    assert found == [str(maildir_new / "1778000000.M1P1.host"), str(mh / "1"), str(mh / "2"), str(folder / "saved.txt"), str(folder / "sub" / "a.eml")]
    assert skipped == [(str(folder / "readme.txt"), skipped[0][1])] and "does not look like a mail message" in skipped[0][1]


def test_the_cli_lists_skipped_files(cli, store, tmp_path) -> None:
    folder = tmp_path / "bounces"
    folder.mkdir()
    (folder / "notes.txt").write_text("remember the milk\n")
    result = cli("bounces", "import", str(folder))
    assert result.exit_code == 0, result.output
    assert f"skipped      {folder / 'notes.txt'}: does not look like a mail message" in result.output
    assert "1 file or folder skipped" in result.output


def test_a_value_the_database_refuses_is_not_called_a_deleted_file() -> None:
    hint = _hint_for("PostgreSQL text fields cannot contain NUL (0x00) bytes", "postgresql://x")
    assert "deleted" not in hint and "bug" in hint
    assert "deleted" in _hint_for("unable to open database file", "sqlite:///x")
    assert "deleted" not in _hint_for("something else entirely", "sqlite:///x")


def test_flufl_bounce_prints_no_traceback_for_a_message_without_from(tmp_path) -> None:
    """Its detectors log their own exceptions with tracebacks; pytest captures logging, so this runs in a fresh interpreter."""
    import subprocess
    import sys

    code = "import sys; from leadex_mail.bounces.parse import parse_message; print(parse_message(open(sys.argv[1], 'rb').read()).kind.value)"
    for name in ("empty.eml", "binary.eml"):
        done = subprocess.run([sys.executable, "-c", code, str(HOSTILE / name)], capture_output=True, text=True, timeout=120)
        assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "unrecognised", ""), name


def test_ctrl_c_says_what_was_recorded_and_exits_130(store, settings, tmp_path) -> None:
    """Ctrl-C while the import waits on a FIFO (after a batch of 200 was committed): a summary, "run again", exit 130."""
    import os
    import signal
    import subprocess
    import sys

    seed(store)
    auto = (CORPUS / "18_autoreply_rfc3834.eml").read_bytes()
    first = tmp_path / "first.mbox"
    first.write_bytes(_mbox(*(auto.replace(b"Message-ID:", f"X-N: {n}\nMessage-ID: <n{n}@example.org>\nX-Old-Message-ID:".encode(), 1) for n in range(200))))
    fifo = tmp_path / "later.mbox"
    os.mkfifo(fifo)
    env = {**os.environ, "LEADEX_DATABASE_URL": settings.database_url}
    env.pop("LEADEX_CONFIG", None)
    # A suite run as a background job starts with SIGINT ignored, and Python keeps an inherited "ignored":
    # the child gets the default disposition back, so that Python installs its KeyboardInterrupt handler.
    proc = subprocess.Popen([sys.executable, "-m", "leadex_mail", "bounces", "import", str(first), str(fifo)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    with open(fifo, "wb"):  # returns once the import opened the FIFO: the first file's batch is committed by then
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    assert "200 messages read: 200 ignored" in out
    assert "interrupted: the 200 messages above were recorded" in err and "run `leadex-mail bounces import" in err
    assert "Traceback" not in err and "Aborted" not in err
    with store.session(write=False) as session:
        assert len(session.exec(select(BounceReport)).all()) == 200
