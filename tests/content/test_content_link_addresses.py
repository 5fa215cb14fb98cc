"""Every link's address is judged as a mail program would open it (a14 finding 2, s7).

``https://exa mple.org/a b`` made in the studio's link box was saved as
``[Klikni tukaj za prijavo](https://exa%20mple.org/a%20b)``, and neither the
studio's check nor ``leadex-mail check`` said anything: the old check only
looked at the scheme's prefix. One rule (``content/urls.link_trouble``) now
judges links in Markdown texts and link fields alike; the studio's link box
applies its twin (``tests/studio/test_studio_link_box_addresses_browser.py`` keeps the
two agreeing on ``ADDRESSES``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from leadex_mail.config import Settings
from leadex_mail.content.loader import load_issue
from leadex_mail.content.urls import link_trouble, with_scheme
from leadex_mail.errors import ContentError

# (address, reason key or None): the table the Python rule and the link box's JavaScript both answer.
ADDRESSES: list[tuple[str, str | None]] = [
    ("https://example.org/prijava", None),
    ("http://example.org/a?x=1&y=2#top", None),
    ("https://www.example.org:8443/a", None),
    ("https://user@example.org/", None),
    ("https://čevapčiči.si/poročilo", None),
    ("https://xn--evapii-5ya4lc.si/", None),
    ("https://sub_domain.example.org/", None),
    ("https://example.org./a", None),
    ("https://192.0.2.10/a", None),
    ("https://[2001:db8::1]:8080/a", None),
    ("https://example.org/docs/Poro%C4%8Dilo%20(final).pdf", None),
    ("https://example.org/docs/Poročilo Murcia (final).pdf", None),  # a space in a path: written %20 (a13c #13)
    ("mailto:ana@example.org", None),
    ("mailto:ana@example.org,bor@example.org?subject=Prijava%20na%20dogodek", None),
    ("HTTPS://EXAMPLE.ORG/", None),
    ("", None),  # unfinished: content/unfinished.py's (link.unfinished)
    ("#", None),
    ("https://", None),
    ("mailto:", None),
    ("www.example.org/prijava", "no_scheme"),
    ("example.org", "no_scheme"),
    ("example.org:8080/a", "no_scheme"),
    ("novica.html", "no_scheme"),
    ("/prijava", "no_scheme"),
    ("https:example.org", "no_scheme"),
    ("javascript:alert(1)", "scheme"),
    ("ftp://example.org/a", "scheme"),
    ("tel:+38640123456", "scheme"),
    ("https://exa mple.org/a b", "space"),
    ("https://exa\tmple.org/", "space"),
    ("mailto:ana @example.org", "space"),
    ("https://exa%20mple.org/a%20b", "host"),  # the reported link as the studio wrote it
    ("https://example..org/", "host"),
    ("https://.example.org/", "host"),
    ("https://-example.org/", "host"),
    ("https://example-.org/", "host"),
    ("https://exa_mple!.org/", "host"),
    ("https://1.2.3/", "host"),
    ("https://256.1.1.1/", "host"),
    ("https://example.123/", "host"),
    ("https://" + "a" * 64 + ".org/", "host"),
    ("https://[2001:db8::zz]/", "host"),
    ("https://example.org:99999/", "port"),
    ("https://example.org:0/", "port"),
    ("https://example.org:80a/", "port"),
    ("mailto:ana", "mailto"),
    ("mailto:@example.org", "mailto"),
    ("mailto:ana@example", "mailto"),
    ("mailto:ana@exa..mple.org", "mailto"),
    ("mailto:ana..b@example.org", "mailto"),
]
BAD = [(address, why) for address, why in ADDRESSES if why]
MALFORMED = [(address, why) for address, why in BAD if why not in ("no_scheme", "scheme")]


@pytest.mark.parametrize(("address", "why"), ADDRESSES, ids=[repr(a) for a, _ in ADDRESSES])
def test_each_address_is_judged_as_a_mail_program_would_open_it(address: str, why: str | None) -> None:
    assert link_trouble(address) == why


@pytest.mark.parametrize(
    ("typed", "made"),
    [
        ("www.example.org/prijava", "https://www.example.org/prijava"),
        ("example.org", "https://example.org"),
        ("  leadex.eu/novice?x=1 ", "https://leadex.eu/novice?x=1"),
        ("prijava", None),
        ("novica.html", None),
        ("letak.pdf", None),
        ("/prijava", None),
        ("ana@example.org", None),
        ("exa mple.org/a", None),
        ("https://example.org", None),  # has its scheme already
        ("javascript:alert(1)", None),
    ],
)
def test_a_host_and_path_without_a_scheme_is_offered_https(typed: str, made: str | None) -> None:
    assert with_scheme(typed) == made


def _edition(body: str, url: str) -> str:
    quoted = lambda s: "'" + s.replace("'", "''") + "'"  # noqa: E731
    return (
        "language: sl\ntitle: T\nsubject: S\npreheader: P\nnumber: 1\ndate: 2026-04-01\nsections:\n"
        f"  - type: story\n    heading: Prijava\n    body: {quoted(body)}\n    more:\n      url: {quoted(url)}\n"
    )


@pytest.mark.parametrize(("address", "why"), MALFORMED, ids=[repr(a) for a, _ in MALFORMED])
def test_a_malformed_address_is_refused_in_a_text_and_in_a_link_field(tmp_path: Path, address: str, why: str) -> None:
    folder = tmp_path / "2026-04-leadex-01"
    folder.mkdir()
    good = "https://example.org/prijava"
    for body, url, field in ((f"[Klikni tukaj za prijavo]({address})", good, "sections[0].body"), ("Besedilo.", address, "sections[0].more.url")):
        if field.endswith("body") and any(c.isspace() for c in address):
            body = f"[Klikni tukaj za prijavo](<{address}>)"  # CommonMark's form for an address with a space
        (folder / "sl.yaml").write_text(_edition(body, url), encoding="utf-8")
        with pytest.raises(ContentError) as info:
            load_issue(folder, Settings(newsletters_dir=tmp_path))
        found = [(p.code, p.path, p.line) for p in info.value.problems]
        assert found == [("link.malformed", field, 10 if field.endswith("body") else 12)], (address, field, found)
        assert "not an address a mail program can open" in info.value.problems[0].message


def test_the_reported_link_is_an_error_of_check_with_its_file_and_line(tmp_path: Path) -> None:
    """The a14 repro as the studio saved it: ``check`` names file:line and the code, exits non-zero, no traceback."""
    folder = tmp_path / "newsletters" / "2026-04-leadex-01"
    folder.mkdir(parents=True)
    (folder / "sl.yaml").write_text(_edition("[Klikni tukaj za prijavo](https://exa%20mple.org/a%20b)", "https://example.org/a"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADEX_")}
    env["XDG_CACHE_HOME"] = str(tmp_path / ".cache")
    result = subprocess.run(
        [sys.executable, "-m", "leadex_mail", "check", "2026-04-leadex-01"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    said = result.stdout + result.stderr
    assert "sl.yaml:10:" in said and "'https://exa%20mple.org/a%20b' is not an address a mail program can open" in said, said
    assert "host name" in said and "hint:" in said
