"""Link and bold syntax that Markdown leaves as typed is an error of ``check`` at its field; a bare address warns.

Reported (a15 A2): ``[Prijava](https://example.org/prijava obrazec.pdf)``,
``[Prijava] (https://example.org/b)``, ``[Wiki](https://example.org/wiki/Murcia_(city)``,
``[js](javascript:alert(1))``, ``[d](data:text/html;…)``, ``[vb](vbscript:…)`` reached
readers as raw brackets in both parts of the mail while ``check`` said "No problems
found". The class: anything ``content/mdliterals`` finds left in the words the
renderer makes (links, ``**``), and every scheme but https/http/mailto.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from leadex_mail.config import Settings
from leadex_mail.content.lint import lint_issue
from leadex_mail.content.loader import load_issue
from leadex_mail.content.mdliterals import bare_addresses, left_emphasis, written_links
from leadex_mail.render.markdown import LinkCollector, to_html, to_text

REPORTED = [
    ("[Prijava](https://example.org/prijava obrazec.pdf)", "link.written_space", "[Prijava](https://example.org/prijava%20obrazec.pdf)"),
    ("[Prijava] (https://example.org/b)", "link.written_gap", "[Prijava](https://example.org/b)"),
    ("[Wiki](https://example.org/wiki/Murcia_(city)", "link.written_unclosed", None),
    ("[js](javascript:alert(1))", "link.written_scheme", None),
    ("[d](data:text/html;base64,PHNjcmlwdD4=)", "link.written_scheme", None),
    ("[vb](vbscript:msgbox(1))", "link.written_scheme", None),
    ("[f](file:///etc/passwd)", "link.written_scheme", None),
]


def _edition(body: str) -> str:
    quoted = "'" + body.replace("'", "''") + "'"
    return (
        "language: sl\ntitle: T\nsubject: S\npreheader: P\nnumber: 1\ndate: 2026-04-01\nsections:\n"
        f"  - type: story\n    heading: Prijava na dogodek v Murcii\n    body: {quoted}\n"
    )


def _issue(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "newsletters" / "2026-04-leadex-01"
    folder.mkdir(parents=True)
    (folder / "sl.yaml").write_text(_edition(body), encoding="utf-8")
    return folder


@pytest.mark.parametrize(("written", "code", "fixed"), REPORTED, ids=[w for w, _, _ in REPORTED])
def test_a_reported_link_the_mail_shows_as_typed_is_an_error_at_its_field(tmp_path: Path, written: str, code: str, fixed: str | None) -> None:
    body = f"Vabljeni: {written} še danes."
    assert "<a " not in to_html(body) and written.split("]")[0] in to_text(body, LinkCollector())  # what readers got
    issue = load_issue(_issue(tmp_path, body), Settings(newsletters_dir=tmp_path / "newsletters"))
    found = [(p.code, p.severity, p.path, p.line) for p in lint_issue(issue) if p.code.startswith(("link.", "text."))]
    assert found == [(code, "error", "sections[0].body", 10)], found
    problem = next(p for p in lint_issue(issue) if p.code == code)
    assert "looks like a link but is not one" in problem.message and problem.hint
    if fixed:
        assert problem.hint.endswith(fixed)
        assert '<a href="' in to_html(f"Vabljeni: {fixed} še danes.")  # the hint's way reads as a link


@pytest.mark.parametrize(
    "text",
    [
        "[Prijava](https://example.org/prijava)",
        "[Prijava](https://example.org/prijava%20obrazec.pdf) in [Wiki](https://example.org/wiki/Murcia_(city))",
        "[Prijava](<https://example.org/prijava obrazec.pdf>)",
        "[sic] (see below) and [1] (2020)",
        "Oklepaji \\[tako\\](kot so) in koda `[a](b c)`",
        "**krepko** in *ležeče* in 5 * 3 = 15",
        "-5 °C in 15. oktobra",
    ],
)
def test_what_markdown_reads_or_what_is_meant_as_typed_is_no_finding(text: str) -> None:
    assert (written_links(text), left_emphasis(text)) == ([], [])


def test_bold_left_as_typed_is_an_error_and_a_bare_address_a_warning(tmp_path: Path) -> None:
    body = "To je ** pomembno** za vse. Več na https://example.org/novice in www.example.org/dogodki."
    issue = load_issue(_issue(tmp_path, body), Settings(newsletters_dir=tmp_path / "newsletters"))
    found = sorted((p.code, p.severity, p.args) for p in lint_issue(issue) if p.code in ("text.emphasis_left", "link.bare_address"))
    assert found == [
        ("link.bare_address", "warning", (("value", "https://example.org/novice"),)),
        ("link.bare_address", "warning", (("value", "www.example.org/dogodki"),)),
        ("text.emphasis_left", "error", (("value", "To je ** pomembno** za vse. Več na https://example.org/novice in www.example.org/dogodki."),)),
    ]
    assert bare_addresses("[Novice](https://example.org/novice), ana@example.org, `https://example.org/x`") == []


def test_check_names_file_and_line_of_each_reported_link_and_exits_non_zero(tmp_path: Path) -> None:
    """The a15 repro as a file: every reported link on one line, ``check`` says each, no traceback."""
    _issue(tmp_path, " ".join(w for w, _, _ in REPORTED))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADEX_")}
    env["XDG_CACHE_HOME"] = str(tmp_path / ".cache")
    result = subprocess.run([sys.executable, "-m", "leadex_mail", "check", "2026-04-leadex-01"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    said = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in said, said
    assert said.count("sl.yaml:10:") >= len(REPORTED) and said.count("looks like a link but is not one") == len(REPORTED), said
    assert "write each space in the address as %20" in said and "write ] and ( together" in said and "a ( or ) inside the address is written %28" in said
    assert said.count("only web (https://, http://) and e-mail (mailto:) addresses can be links") == 4
