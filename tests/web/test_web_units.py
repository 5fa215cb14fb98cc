"""The web layer's small parts, without a server: catalogs, languages, CSRF, rate limit."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta

import pytest

from leadex_mail.web import i18n
from leadex_mail.web.pages import render_page, templates_dir
from leadex_mail.web.security import RateLimiter, csrf_token, csrf_valid, new_nonce

KEY = b"unit-test-key"


def test_every_catalog_has_the_same_keys() -> None:
    keys = {lang: set(tomllib.loads((i18n.CATALOG_DIR / f"{lang}.toml").read_text("utf-8"))) for lang in i18n.languages()}
    assert set(keys) >= {"sl", "en"}
    reference = keys["en"]
    for lang, found in keys.items():
        assert found == reference, f"{lang}: missing {reference - found}, extra {found - reference}"


def test_every_string_used_by_a_template_exists() -> None:
    import re

    used: set[str] = set()
    for path in templates_dir().glob("*.j2"):
        used |= set(re.findall(r"t\('([a-z_]+)'", path.read_text("utf-8")))
    missing = used - set(i18n.catalog("en").strings)
    assert used and not missing


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("sl-SI,sl;q=0.9,en;q=0.8", ["sl", "sl", "en"]),
        ("en;q=0.2, sl", ["sl", "en"]),
        ("de, en;q=0", ["de"]),
        ("fr;q=oops, en", ["en"]),
        ("", []),
    ],
)
def test_accept_language_is_ranked_by_weight(header: str, expected: list[str]) -> None:
    assert i18n.parse_accept_language(header) == expected


def test_language_choice_order() -> None:
    assert i18n.negotiate(subscriber_language="en", query_language="sl", accept_language="sl") == "en"
    assert i18n.negotiate(query_language="en", accept_language="sl") == "en"
    assert i18n.negotiate(query_language="xx", accept_language="de, en;q=0.5") == "en"
    assert i18n.negotiate(accept_language="de", default="sl") == "sl"
    assert i18n.negotiate(default="xx") == "en"


def test_pages_carry_their_language_and_escape_values() -> None:
    page = render_page("message.html.j2", "sl", title_key="unsubscribed_title", paragraphs=["<script>alert(1)</script>"])
    assert '<html lang="sl">' in page
    assert "Odjavljeni ste" in page
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_csrf_token_is_bound_to_its_cookie() -> None:
    nonce = new_nonce()
    token = csrf_token(nonce, KEY)
    assert csrf_valid(token, nonce, KEY)
    assert not csrf_valid(token, new_nonce(), KEY)  # another browser's cookie
    assert not csrf_valid(token, nonce, b"other-key")  # not signed by us
    assert not csrf_valid(token[:-2] + "AA", nonce, KEY)  # tampered
    assert not csrf_valid("", nonce, KEY)
    assert not csrf_valid(token, None, KEY)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_rate_limit_is_per_key_and_slides_with_the_clock() -> None:
    clock = Clock()
    limiter = RateLimiter(3, 60, clock)
    assert [limiter.hit("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit("b")  # another address has its own budget
    assert limiter.retry_after("a") == 61
    clock.now += timedelta(seconds=59)
    assert not limiter.hit("a")
    clock.now += timedelta(seconds=2)
    assert limiter.hit("a")
    assert limiter.retry_after("b") == 0


def test_rate_limit_forgets_idle_keys() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 10, clock)
    for n in range(100):
        limiter.hit(f"ip{n}")
    clock.now += timedelta(seconds=30)
    limiter.hit("late")
    assert list(limiter._hits) == ["late"]


def test_confirmation_retries_wait_twice_as_long_each_time_up_to_an_hour() -> None:
    from leadex_mail.web.confirmations import retry_delay

    waits = [retry_delay(timedelta(seconds=60), attempt) for attempt in range(1, 11)]
    assert [w.total_seconds() / 60 for w in waits] == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert sum(waits[:9], timedelta()) == timedelta(minutes=243)  # ten attempts span about four hours (docs/configuration.md)
