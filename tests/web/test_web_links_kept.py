"""Links in mail already sent keep working: across the upgrade that binds links to rows, and across a key change.

The upgrade test builds a store at revision 0004 (the head before links were
bound) with raw SQL, as the previous version left it: Ana and Bor active,
Dora's sign-up pending, Cene erased after the issue went out (his id was
the highest). Their links are made the way that version made them (no
nonce). Then the real app opens the store (upgrading it) and is used over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import text

from leadex_mail.store import db, schema
from leadex_mail.store.lists import create_list
from leadex_mail.store.subscribers import get_subscriber, get_subscriber_by_id, subscriber_lists
from leadex_mail.errors import TokenError
from leadex_mail.tokens import sign, verify
from web.web_helpers import SECRET, Clock, Site, csrf_from, http, link_in, nonce_of, serve_site, sign_up, site_settings

ONE_CLICK = {"List-Unsubscribe": "One-Click"}
BEFORE = "0004"  # the head revision before migration 0005
T0 = "2026-04-01 10:00:00"


@contextmanager
def running_site(folder, smtp_server, *, new_list: bool = True, **env: str) -> Iterator[Site]:
    """Serve the store file ``folder/subscribers.db`` (made, or upgraded, on opening); ``env`` adds ``LEADEX_*`` settings."""
    folder.mkdir(exist_ok=True)
    settings = site_settings(folder, 0, smtp_server.port, **env)
    store = db.open_store(settings)
    try:
        if new_list:
            create_list(store, "newsletter", title="LeadEx novice")
        with serve_site(settings, store, Clock(), smtp_server) as site:
            yield site
    finally:
        store.close()


def _store_at_0004(path) -> None:
    store = db.Store(db.make_engine(f"sqlite:///{path}"))  # foreign keys on, as the app had them
    with store.engine.begin() as conn:
        command.upgrade(schema.alembic_config(conn), BEFORE)
    with store.engine.begin() as conn:
        conn.execute(text(f"INSERT INTO mailing_list (id, name, title, description, public, created_at) VALUES (1, 'newsletter', 'LeadEx novice', '', 1, '{T0}')"))
        for sid, email, status in ((1, "ana", "active"), (2, "bor", "active"), (3, "dora", "pending"), (4, "cene", "active")):
            conn.execute(text(
                "INSERT INTO subscriber (id, email, name, language, status, attributes, created_at, updated_at)"
                f" VALUES ({sid}, '{email}@example.org', NULL, 'sl', '{status}', '{{}}', '{T0}', '{T0}')"
            ))
            conn.execute(text(
                f"INSERT INTO subscription (subscriber_id, list_id, status, created_at, updated_at) VALUES ({sid}, 1, 'active', '{T0}', '{T0}')"
            ))
            conn.execute(text(f"INSERT INTO event (subscriber_id, kind, at, source, detail) VALUES ({sid}, 'subscribed', '{T0}', 'web', '{{}}')"))
        conn.execute(text(  # Dora's confirmation mail, still queued (the table cascades from subscriber)
            "INSERT INTO outgoing_mail (kind, subscriber_id, language, state, attempts, next_attempt_at, created_at, updated_at)"
            f" VALUES ('confirmation', 3, 'sl', 'queued', 0, '{T0}', '{T0}', '{T0}')"
        ))
        conn.execute(text(
            "INSERT INTO campaign (id, issue_slug, list_id, content_hash, subject, status, created_at, updated_at)"
            f" VALUES (1, '2026-04-leadex-01', 1, '{{}}', 'LeadEx novice št. 1', 'done', '{T0}', '{T0}')"
        ))
        for sid in (1, 2, 4):
            conn.execute(text(
                "INSERT INTO delivery (campaign_id, subscriber_id, language, state, attempts, uncertain, created_at, updated_at, sent_at)"
                f" VALUES (1, {sid}, 'sl', 'sent', 1, 0, '{T0}', '{T0}', '{T0}')"
            ))
    with store.engine.begin() as conn:  # Cene is erased: his subscription goes, his delivery loses his id
        conn.execute(text("DELETE FROM subscriber WHERE id = 4"))
    store.close()


def _old_links(base: str, sid: int, key: bytes = SECRET.encode()) -> dict[str, str]:
    """The links the previous version put in mail: signed ids, no nonce."""
    expires = datetime.now(UTC) + timedelta(days=7)
    return {
        "unsubscribe": f"{base}/unsubscribe/{sign('unsubscribe', {'s': sid, 'c': 1}, key)}",
        "preferences": f"{base}/preferences/{sign('preferences', {'s': sid}, key)}",
        "view": f"{base}/view/{sign('view', {'s': sid, 'c': 1, 'l': 'sl'}, key)}",
        "confirm": f"{base}/confirm/{sign('confirm', {'s': sid}, key, expires_at=expires)}",
    }


def test_upgrade_keeps_old_links_of_rows_that_exist_and_refuses_the_rest(tmp_path, smtp_server) -> None:
    _store_at_0004(tmp_path / "subscribers.db")
    with running_site(tmp_path, smtp_server, new_list=False) as site:
        # The upgrade kept every row and reference (no cascade from the table rebuild).
        assert db.migration_status(site.store).up_to_date
        for email in ("ana", "bor"):
            assert subscriber_lists(site.store, int(get_subscriber(site.store, f"{email}@example.org").id)) == [("newsletter", "active")]
        with site.store.engine.connect() as conn:
            assert conn.execute(text("SELECT subscriber_id FROM delivery ORDER BY id")).scalars().all() == [1, 2, None]
            assert conn.execute(text("SELECT count(*) FROM event WHERE subscriber_id IS NOT NULL")).scalar() == 3
            assert conn.execute(text("SELECT subscriber_id FROM outgoing_mail")).scalars().all() == [3]
            nonces = conn.execute(text("SELECT link_nonce FROM subscriber")).scalars().all()
        assert len(set(nonces)) == 3 and all(nonces)

        ana, bor, dora, cene = (_old_links(site.url, sid) for sid in (1, 2, 3, 4))
        with http() as client:
            # Ana's links from the mail already sent still work.
            assert client.get(ana["preferences"]).status_code == 200
            assert client.get(ana["view"]).status_code == 200
            assert client.post(ana["unsubscribe"], data=ONE_CLICK).status_code == 200
            # Dora's old confirmation link confirms nobody; subscribing again gives her one that does.
            assert client.get(dora["confirm"]).status_code == 410
        assert get_subscriber_by_id(site.store, 1).status == "unsubscribed"
        assert get_subscriber_by_id(site.store, 3).status == "pending"

        # Eva signs up: on SQLite she gets Cene's old id (the upgrade could not know it was
        # ever used), and Cene's old links must not act on her.
        with site.client() as eva:
            sign_up(eva, "eva@example.org")
            [mail] = site.mails_to("eva@example.org")
            page = eva.get(link_in(mail, "confirm"))
            eva.post(link_in(mail, "confirm"), data={"csrf": csrf_from(page.text)})
        eva_id = int(get_subscriber(site.store, "eva@example.org").id)
        assert eva_id == 4
        with http() as client:
            assert client.post(cene["unsubscribe"], data=ONE_CLICK).status_code == 200  # harmless, as for the erased
            assert client.get(cene["preferences"]).status_code == 404
            assert client.get(cene["view"]).status_code == 404
        assert get_subscriber_by_id(site.store, eva_id).status == "active"
        assert subscriber_lists(site.store, eva_id) == [("newsletter", "active")]

        # An old unsubscribe link naming a campaign its row never got acts on nobody either.
        with http() as client:
            assert client.post(dora["unsubscribe"], data=ONE_CLICK).status_code == 200
        assert get_subscriber_by_id(site.store, 3).status == "pending"
        # Bor's links still work.
        with http() as client:
            assert client.post(bor["unsubscribe"], data=ONE_CLICK).status_code == 200
        assert get_subscriber_by_id(site.store, 2).status == "unsubscribed"


def test_links_signed_with_a_previous_key_keep_working(tmp_path, smtp_server) -> None:
    old_key = "the-key-before-rotation-0123456789"
    with running_site(tmp_path / "before", smtp_server, LEADEX_SECRET_KEY=old_key) as site:
        from leadex_mail import links
        from leadex_mail.store.subscribers import add_subscriber

        ids = [int(add_subscriber(site.store, f"p{n}@example.org", lists=("newsletter",), status="active").id) for n in range(3)]
        old = [links.unsubscribe_url(site.settings, sid, 7, nonce=nonce_of(site, sid)) for sid in ids]
        old_prefs = links.preferences_url(site.settings, ids[2], nonce=nonce_of(site, ids[2]))
    paths = [url.split("/", 3)[3] for url in old]

    # The new key alone: links in mail already sent are refused (this is what rotation avoids).
    (tmp_path / "before").rename(tmp_path / "after")
    with running_site(tmp_path / "after", smtp_server, new_list=False, LEADEX_SECRET_KEY="a-brand-new-key-9876543210") as site:
        with http() as client:
            assert client.post(f"{site.url}/{paths[0]}", data=ONE_CLICK).status_code == 400
        assert get_subscriber_by_id(site.store, ids[0]).status == "active"

    # New key plus the old one as previous: old links work, new links are signed with the new key.
    env = {"LEADEX_SECRET_KEY": "a-brand-new-key-9876543210", "LEADEX_PREVIOUS_SECRET_KEYS": f"an-even-older-key, {old_key}"}
    with running_site(tmp_path / "after", smtp_server, new_list=False, **env) as site:
        with http() as client:
            assert client.post(f"{site.url}/{paths[0]}", data=ONE_CLICK).status_code == 200
            assert client.get(f"{site.url}/{old_prefs.split('/', 3)[3]}").status_code == 200
            fresh = links.unsubscribe_url(site.settings, ids[1], 7, nonce=nonce_of(site, ids[1]))
            assert verify("unsubscribe", fresh.rsplit("/", 1)[1], b"a-brand-new-key-9876543210")["s"] == ids[1]
            with pytest.raises(TokenError):
                verify("unsubscribe", fresh.rsplit("/", 1)[1], old_key.encode())  # previous keys never sign
            assert client.post(fresh, data=ONE_CLICK).status_code == 200
        assert [get_subscriber_by_id(site.store, sid).status for sid in ids] == ["unsubscribed", "unsubscribed", "active"]


def test_legacy_links_signed_only_by_a_previous_key_need_evidence(tmp_path, smtp_server) -> None:
    """Tester's finding i8/a8 #2: a legacy preferences link names any id up to the upgrade's, so one signed only by a
    previous key (possibly the published development key an operator kept "for old mail") unsubscribed anyone."""
    _store_at_0004(tmp_path / "subscribers.db")
    old_key = "the-key-of-mail-already-sent-0123456789"
    env = {"LEADEX_SECRET_KEY": "a-brand-new-key-9876543210-abcdefghij", "LEADEX_PREVIOUS_SECRET_KEYS": old_key}
    with running_site(tmp_path, smtp_server, new_list=False, **env) as site:
        ana, dora = _old_links(site.url, 1, old_key.encode()), _old_links(site.url, 3, old_key.encode())
        current = _old_links(site.url, 2, b"a-brand-new-key-9876543210-abcdefghij")
        with http() as client:
            # Widest acceptance (any id, no delivery needed): not on a previous key's word.
            assert client.get(ana["preferences"]).status_code == 400
            assert client.get(dora["preferences"]).status_code == 400
            # Where the store proves the campaign went to that row, the old mail's links still work.
            assert client.get(ana["view"]).status_code == 200
            assert client.post(dora["unsubscribe"], data=ONE_CLICK).status_code == 200  # Dora never got campaign 1: nobody
            assert client.post(ana["unsubscribe"], data=ONE_CLICK).status_code == 200
            # A legacy preferences link signed with the current key is unchanged.
            assert client.get(current["preferences"]).status_code == 200
        assert [get_subscriber_by_id(site.store, sid).status for sid in (1, 2, 3)] == ["unsubscribed", "active", "pending"]
