"""Officer pages in the officer's words, in en and sl (a14, wording).

Every string of the studio's catalogs is read by an officer: none names a command
(``leadex-mail …``), an option (``--list``), a setting (``dkim_key_path``), a file of the
project (``docs/…``, the README) or a stored state (``retry_wait``); what only the operator
can do is said as "the person who runs the studio can …". The Slovenian words a14 stumbled
on (the check called "Pregled" like the send's review; "vsaka" for errors and warnings;
"vsa besedila za na novo") are said as a Slovenian writes them; the audit log says a
send's message counts in words; a stopped send's banner says it stopped and how many wait.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest

import leadex_mail.studio
from leadex_mail.studio.i18n import words
from leadex_mail.studio.views_audit import detail_words

CATALOGS = Path(leadex_mail.studio.__file__).parent / "catalogs"
# A command, an option, a setting's name, a file of the project, a store's state: never in an officer's page.
NEVER = re.compile(r"leadex-mail|\btimezone\b|--[a-z]|\b[a-z]+_[a-z_]+\b|docs/|README|\.md\b|`|\(none\)")


def _values(table: object, where: str = "") -> list[tuple[str, str]]:
    if isinstance(table, str):
        return [(where, table)]
    if isinstance(table, dict):
        return [pair for key, value in table.items() for pair in _values(value, f"{where}.{key}" if where else key)]
    return []


@pytest.mark.parametrize("language", ["en", "sl"])
def test_no_catalog_string_names_a_command_a_setting_a_file_or_a_state(language: str) -> None:
    catalog = tomllib.loads((CATALOGS / f"{language}.toml").read_text(encoding="utf-8"))
    # {placeholders} are filled by the studio, not read; language_code_help names codes on purpose ("sl = Slovenian").
    found = [(key, text) for key, text in _values(catalog) if NEVER.search(re.sub(r"\{[a-z_]+\}", "", text))]
    assert not found, "\n".join(f"{language}.toml {key}: {text}" for key, text in found)


def test_the_slovenian_check_is_not_named_like_the_sends_review() -> None:
    sl = words("sl")
    assert sl.t("check_heading") == "Preverjanje"
    assert not sl.t("review_button").startswith(sl.t("check_heading")[:6])
    counts = sl.t("check_counts", errors=sl.t("check_errors", n=0), warnings=sl.t("check_warnings", n=2))
    assert counts == "0 napak, 2 opozorili (vse so prikazane pri svojem polju)", counts
    assert "vsa besedila pa napišete na novo" in sl.t("start_previous", previous="2026-11")


@pytest.mark.parametrize("language", ["en", "sl"])
def test_the_audit_logs_message_counts_are_in_words(language: str) -> None:
    ctx = SimpleNamespace(t=words(language).t, words=words(language), studio=None)
    counts = {"failed": 0, "held": 0, "queued": 0, "retry_wait": 1, "sending": 0, "sent": 7, "skipped": 0, "uncertain": 0}
    said = detail_words(ctx, {"status": "interrupted", "counts": counts, "error": None})  # type: ignore[arg-type]
    assert "retry_wait" not in said and "uncertain" not in said and "queued" not in said, said
    assert ("to try again 1" if language == "en" else "za ponovni poskus 1") in said, said


@pytest.mark.parametrize("language", ["en", "sl"])
def test_a_stopped_send_is_said_stopped_with_those_still_waiting(language: str) -> None:
    said = words(language).t("sent_banner_stopped", list="big", when="2026-12-02 03:22", n=226, waiting=1274)
    assert "1274" in said and "226" in said
    assert ("stopped without finishing" if language == "en" else "ustavilo") in said, said
    assert "na big od" not in words(language).t("sent_banner", list="big", when="2026-12-02 03:22", n=226)


@pytest.mark.parametrize("language", ["en", "sl"])
def test_a_section_added_is_said_a_section(language: str) -> None:
    said = words(language).t("announce_added_section", position=3, count=3)
    assert ("section" if language == "en" else "razdelek") in said and "item" not in said


def test_a_skips_reason_and_a_rate_are_said_in_slovenian() -> None:
    sl = words("sl")
    assert sl.t("skipped_why_unsubscribed") == "ni poslano: naslov ni več naročen"
    assert "not sent" not in sl.t("skipped_why_elsewhere")
    assert sl.t("decimal_mark") == ","


def test_a_stopped_send_on_the_editor_says_it_stopped_and_who_still_waits(tmp_path: Path, smtp_server) -> None:  # noqa: ANN001
    """A send stopped after 1 of 3 (as a kill would): the sl editor's banner says it stopped and 2 still wait (a14: it
    said "poslana na newsletter od …")."""
    from leadex_mail.campaign.runner import send_campaign
    from leadex_mail.content.loader import load_issue
    from leadex_mail.store.lists import create_list
    from leadex_mail.store.subscribers import add_subscriber
    from studio.studio_helpers import ISSUE, copy_newsletters, serve_studio_on_store, studio_settings

    copy_newsletters(tmp_path, ISSUE)
    settings = studio_settings(tmp_path, smtp_server.port)

    def three_readers(store) -> None:  # noqa: ANN001
        create_list(store, "newsletter", title="LeadEx novice", public=True)
        for i in range(3):
            add_subscriber(store, f"reader{i}@example.org", language="sl", lists=("newsletter",), source="cli")
        send_campaign(store, load_issue(ISSUE, settings), settings, list_name="newsletter", limit=1)  # stops after one

    with serve_studio_on_store(settings, smtp_server, root=tmp_path, prepare=three_readers) as studio:
        client = studio.client()
        editor = client.get(f"/issues/{ISSUE}/sl?ui=sl").text
        assert "se ustavilo, preden je končalo: to izdajo je prejela 1 oseba, na prejem jih še čaka 2." in editor, editor
        assert "poslana na newsletter od" not in editor
