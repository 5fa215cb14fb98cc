"""Import rules against an existing store: merging, never re-activating, one transaction."""

from __future__ import annotations

import random
import sqlite3
import string

import pytest

from leadex_mail.errors import ImportFailed, NotFound
from leadex_mail.store import importer, lists, subscribers
from leadex_mail.store.validation import (
    AddressNormaliser,
    InvalidValue,
    normalise_email,
)


def _csv(tmp_path, text, name="people.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def news(store):
    return lists.create_list(store, "news")


def test_update_unchanged_and_new(store, news, tmp_path):
    subscribers.add_subscriber(store, "ana@example.org", name="Ana", lists=["news"])
    subscribers.add_subscriber(store, "bor@example.org", name="Bor", language="en", lists=["news"])
    path = _csv(tmp_path, "email,name,language,country\nana@example.org,Ana Novak,,SI\nbor@example.org,,en,\ncene@example.org,Cene,,\n")
    report = importer.import_csv(store, path, list_name="news")
    assert (report.imported, report.updated, report.unchanged, report.rejected) == (1, 1, 1, [])
    ana = subscribers.get_subscriber(store, "ana@example.org")
    assert (ana.name, ana.language, ana.attributes) == ("Ana Novak", "sl", {"country": "SI"})
    assert subscribers.get_subscriber(store, "bor@example.org").name == "Bor"  # empty cells never blank a value
    assert [r.email for r in subscribers.eligible_subscribers(store, "news")] == ["ana@example.org", "bor@example.org", "cene@example.org"]
    cene = subscribers.get_subscriber(store, "cene@example.org")
    assert [(e.kind, e.source, e.detail) for e in subscribers.subscriber_events(store, cene.id)] == [
        ("imported", "import", {"file": "people.csv", "line": 4})
    ]


def test_never_reactivates(store, news, tmp_path):
    gone = subscribers.add_subscriber(store, "gone@example.org", lists=["news"])
    subscribers.unsubscribe(store, gone.id, source="one-click")
    bounced = subscribers.add_subscriber(store, "bounced@example.org", lists=["news"])
    subscribers.mark_bounced(store, bounced.id, reply="550 5.1.1 no such user")
    left = subscribers.add_subscriber(store, "left@example.org", lists=["news"])
    subscribers.unsubscribe(store, left.id, source="web", list_id=news.id)
    subscribers.forget(store, "erased@example.org")
    path = _csv(tmp_path, "email\ngone@example.org\nbounced@example.org\nleft@example.org\nErased@Example.org\n")
    report = importer.import_csv(store, path, list_name="news")
    assert report.format().splitlines()[-5:] == [
        "rejected: 4",
        "  line 2: 'gone@example.org': unsubscribed; only the person's own confirmation can re-activate an address",
        "  line 3: 'bounced@example.org': bounced and is suppressed; an import never re-activates an address",
        "  line 4: 'left@example.org': left this list; an import never re-subscribes anyone",
        "  line 5: 'erased@example.org': erased at the person's request; it is never imported again",
    ]
    assert subscribers.eligible_subscribers(store, "news") == []
    assert subscribers.get_subscriber(store, "gone@example.org").status == "unsubscribed"
    with pytest.raises(NotFound):
        subscribers.get_subscriber(store, "erased@example.org")


def test_pending_becomes_active_when_the_operator_imports(store, news, tmp_path):
    subscribers.request_subscription(
        store, "p@example.org", name="P", language="sl", lists=["news"], consent_version="v", source="web", ip=None, user_agent=None
    )
    report = importer.import_csv(store, _csv(tmp_path, "email\np@example.org\n"), list_name="news")
    assert report.updated == 1
    assert [r.email for r in subscribers.eligible_subscribers(store, "news")] == ["p@example.org"]


def test_unknown_list_is_fatal(store, tmp_path):
    with pytest.raises(ImportFailed) as err:
        importer.import_csv(store, _csv(tmp_path, "email\na@example.org\n"), list_name="nope")
    assert "lists create nope" in (err.value.hint or "")
    assert subscribers.stats(store).total == 0


def test_undecodable_file_is_fatal(store, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"email\n\x81\x98@example.org\n")  # invalid UTF-8; 0x81 is defined only in cp1251, which lacks 0x98
    with pytest.raises(ImportFailed, match="line 2: the file is neither UTF-8 nor a Windows code page"):
        importer.import_csv(store, path)


@pytest.mark.sqlite_only_reason("injects the failure through a SQLite file lock")
def test_database_error_midway_writes_nothing(store, news, tmp_path, settings, monkeypatch, sqlite_only):
    # A real failure inside the transaction after the first slices were written.
    monkeypatch.setattr(importer, "SLICE", 2)
    with sqlite3.connect(settings.database_url.removeprefix("sqlite:///")) as raw:
        raw.execute("CREATE TRIGGER boom BEFORE INSERT ON subscriber WHEN NEW.email = 'e@example.org' BEGIN SELECT RAISE(ABORT, 'boom'); END")
    path = _csv(tmp_path, "email\na@example.org\nb@example.org\nc@example.org\nd@example.org\ne@example.org\n")
    with pytest.raises(ImportFailed, match="wrote nothing"):
        importer.import_csv(store, path, list_name="news")
    assert subscribers.stats(store).total == 0
    assert subscribers.stats(store).events == 0


def test_fast_address_path_agrees_with_email_validator():
    rnd = random.Random(20260401)
    alphabet = string.ascii_letters + string.digits + ".@-_+!#$%&'*/=?^`{|}~\" ()<>[]:;,\\ž\x00\r\n\t"
    domains = ["example.org", "EXAMPLE.com", "bücher.example", "a..b", "x", "-a.org", "localhost", "example.test", "123.45", "", "b" * 64 + ".org"]
    fast = AddressNormaliser()
    for _ in range(3000):
        local = "".join(rnd.choice(alphabet) for _ in range(rnd.choice([0, 1, 3, 8, 64, 65])))
        raw = f"{local}@{rnd.choice(domains)}"
        try:
            expected = normalise_email(raw)
        except InvalidValue:
            expected = None
        try:
            got = fast(raw)
        except InvalidValue:
            got = None
        assert got == expected, raw
